/*
 * testhooks.c - points where the test suite widens a race window, so that
 * a race the product must survive can be made to happen on demand.
 *
 * The hooks do something only when built with -DGILSPY_TEST_HOOKS, which
 * the Makefile does for the gilspy-hooks binary alone (the tests that need
 * a hook run that one); in gilspy itself they are empty and read no
 * environment.
 */
#include <stdlib.h>
#include <unistd.h>

#include "session.h"

#ifdef GILSPY_TEST_HOOKS
/* GILSPY_TEST_ATTACH_DELAY_MS=N: pause N ms once attached, before the
 * first read, so the target can be made to exit in between. */
void testhook_attached(void)
{
	const char *ms = getenv("GILSPY_TEST_ATTACH_DELAY_MS");

	if (ms)
		usleep((useconds_t)atoi(ms) * 1000);
}
#else
void testhook_attached(void)
{
}
#endif
