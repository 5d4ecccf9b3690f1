/* main.c - runs every registered unit test and prints TAP. */
#include <stdlib.h>

#include "harness.h"

static struct unit_test *head, **tail = &head;
int unit_failed;
char unit_skip[256];

void unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

const char *unit_data_dir(void)
{
	const char *d = getenv("UNIT_DATA");

	return d ? d : "tests/unit/data";
}

int main(int argc, char **argv)
{
	struct unit_test *t;
	int n = 0, i = 0, failed = 0;

	for (t = head; t; t = t->next)
		if (argc < 2 || strstr(t->name, argv[1]))
			n++;
	printf("1..%d\n", n);
	for (t = head; t; t = t->next) {
		if (argc >= 2 && !strstr(t->name, argv[1]))
			continue;
		unit_failed = 0;
		unit_skip[0] = 0;
		t->fn();
		fflush(stdout);
		if (unit_skip[0] && !unit_failed) {
			/* a newline would end the directive early */
			unit_skip[strcspn(unit_skip, "\n")] = 0;
			printf("ok %d - %s # SKIP %s\n", ++i, t->name, unit_skip);
			continue;
		}
		printf("%sok %d - %s\n", unit_failed ? "not " : "", ++i, t->name);
		failed += unit_failed;
	}
	return failed ? 1 : 0;
}
