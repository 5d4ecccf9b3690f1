/* test_proc_tids.c - a task's ids in our pid namespace and the target's
 * (src/proc/proc.c: proc_pidns_nested, proc_task_ids, proc_task_inner),
 * on this process: a target in our own namespace. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "harness.h"

TEST(proc, task_ids_in_our_namespace)
{
	pid_t me = (pid_t)syscall(SYS_gettid);
	struct proc_tid *v = NULL;
	int n, found = 0;

	if (proc_pidns_nested(getpid()))
		SKIP("the tests run in a pid namespace below /proc's");
	n = proc_task_ids(getpid(), 0, &v);
	CHECK(n >= 1);
	for (int i = 0; i < n; i++) {
		CHECK(v[i].host == v[i].inner);
		found |= v[i].host == me;
	}
	CHECK(found);
	free(v);
	/* one level: its own id is its inner one */
	CHECK_EQ_INT(proc_task_inner(getpid(), me), me);
	CHECK_EQ_INT(proc_task_inner(getpid(), 0), 0);
}
