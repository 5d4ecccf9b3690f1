/*
 * targets.h - the targets of a session and -s, the loop over a process
 * tree (internal to src/cmd/, behind session.c; see session.h for the
 * model).
 *
 * A target is made for a pid (target_new()), becomes Python when
 * target_attach() succeeds (it may not at once: a launched command, or a
 * child between its fork and the exec of an interpreter), is checked after
 * each sample for a stop or an exec (target_check()), and leaves when it
 * exits or execs (target_leave(): its interpreter and sampler are freed,
 * what it was stays).
 */
#ifndef GILSPY_CMD_TARGETS_H
#define GILSPY_CMD_TARGETS_H

#include <signal.h>

#include "session.h"

/* A new target for pid, appended to s->targets; not attached. */
struct session_target *target_new(struct session *s, pid_t pid, pid_t ppid);
void target_free(struct session_target *tg);

/* Try to read pid as Python (with a sampler when the session has been
 * started).  GS_OK once it is; otherwise the error, with tg->skip set to
 * why and tg->next_try_ns to when trying again makes sense (UINT64_MAX:
 * only after an exec; tg->left when it has exited). */
enum gs_err target_attach(struct session *s, struct session_target *tg,
			  struct gs_error *err);

/* After a sample (smp; NULL when it failed): is the target stopped, and
 * has it exec'd (1: it has, tg->exec_path says what)?  Reading
 * /proc/PID/stat costs a few microseconds, a third of a whole sample at
 * 1 kHz, so after a good sample showing the same thread states as the
 * last one the answer of a check less than TARGET_CHECK_NS old stands.
 * An exec is seen at once all the same: the program it starts is read as
 * a failure (nothing where the interpreter was) or, for a Python at the
 * same address (a non-PIE interpreter exec'ing itself), as thread states
 * never seen before.  A sample that saw a thread on a CPU (or queued for
 * one) shows the process was not stopped then, so it is not checked for a
 * stop: the check waits until TARGET_RUNNING_CHECK_NS.  The first sample
 * after it where no thread runs is checked at once, so a stop is seen
 * there. */
#define TARGET_CHECK_NS 10000000ull		/* 10 ms */
#define TARGET_RUNNING_CHECK_NS 100000000ull	/* 100 ms */
int target_check(struct session_target *tg, const struct py_sample *smp);

/* The target exited or exec'd: hooks->left is told, its interpreter and
 * sampler are freed. */
void target_leave(struct session_target *tg, const struct session_hooks *h,
		  void *ctx);

/* One listing of the tree under args.pid (dump -s): every process found
 * that is not a target yet becomes one and is tried as Python once (no
 * sampler: the session is not started); those that are not keep
 * tg->skip.  0, or -1 when /proc cannot be listed. */
int targets_scan_once(struct session *s);

/* The -s loop: one pacer for every target, the tree scanned every few
 * milliseconds for new ones.  stop and wake are the session's flags. */
enum session_end follow_run(struct session *s, const struct session_hooks *h,
			    void *ctx, volatile sig_atomic_t *stop,
			    volatile sig_atomic_t *wake, struct gs_error *err);

#endif
