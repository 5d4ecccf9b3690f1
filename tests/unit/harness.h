/*
 * harness.h - a tiny unit-test harness (in the spirit of Redis testhelp.h).
 *
 *   TEST(linetable, lnotab_basic) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *
 * defines test_linetable__lnotab_basic and registers it at start-up; the
 * runner (tests/unit/main.c) prints TAP, one "ok N - name" per test.
 * A failed CHECK prints a diagnostic and marks the test failed; the test
 * goes on so one run shows every broken expectation.  SKIP("why") ends a
 * test that cannot run here; the runner reports it as
 * "ok N - name # SKIP why", the TAP directive, so a skip is never counted
 * as a pass.
 */
#ifndef GILSPY_TEST_HARNESS_H
#define GILSPY_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
extern int unit_failed;		/* set by CHECK in the running test */
extern char unit_skip[256];	/* set by SKIP: why the test did not run */
/* Directory with test data (env UNIT_DATA or tests/unit/data). */
const char *unit_data_dir(void);

#define TEST(mod, name)                                                      \
	static void test_##mod##__##name(void);                              \
	static struct unit_test reg_##mod##__##name = {                      \
		#mod "__" #name, test_##mod##__##name, NULL };               \
	__attribute__((constructor)) static void ctor_##mod##__##name(void)  \
	{ unit_register(&reg_##mod##__##name); }                             \
	static void test_##mod##__##name(void)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("#   %s:%d: CHECK(%s) failed\n", __FILE__,    \
			       __LINE__, #cond);                             \
			unit_failed = 1;                                     \
		}                                                            \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                   \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (a_ != b_) {                                              \
			printf("#   %s:%d: %s == %lld, expected %s == %lld\n",\
			       __FILE__, __LINE__, #a, a_, #b, b_);          \
			unit_failed = 1;                                     \
		}                                                            \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                   \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		if (!a_ || !b_ || strcmp(a_, b_)) {                          \
			printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n",  \
			       __FILE__, __LINE__, #a, a_ ? a_ : "(null)",   \
			       b_ ? b_ : "(null)");                          \
			unit_failed = 1;                                     \
		}                                                            \
	} while (0)

/* End the running test as skipped, with a printf-style reason. */
#define SKIP(...)                                                            \
	do {                                                                 \
		snprintf(unit_skip, sizeof(unit_skip), __VA_ARGS__);         \
		return;                                                      \
	} while (0)

#endif
