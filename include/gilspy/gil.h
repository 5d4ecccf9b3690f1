/*
 * gil.h - the GIL state of a thread at one sample, decided from facts.
 *
 * The classifier is pure: it reads no memory and no /proc file.  The
 * reading layer (src/python/) gathers the facts of one sample - each GIL's
 * locked flag and last holder, each thread's holds_gil / gil_requested
 * flags, whether it sleeps in a futex on its GIL, its OS state and CPU
 * time - and gets back a state and the evidence that chose it.
 *
 * Rules, strongest first (DESIGN.md):
 *   held     its GIL is locked and last_holder is its tstate (EV_HOLDER);
 *            or the GIL does not exist yet (locked -1: 3.6 makes it when
 *            a second thread starts) and the thread is R (EV_NO_GIL_YET);
 *            else 3.13+ holds_gil, for one thread per GIL, when the GIL is
 *            locked, the thread has not requested it and no thread read is
 *            last_holder: take_gil sets locked before last_holder
 *            (EV_HOLDS_FLAG)
 *   waiting  3.15 gil_requested (EV_REQUESTED_FLAG) - the holder test above
 *            wins over it, the flag may lag a hand-off; a futex wait on the
 *            GIL's cond or mutex (EV_FUTEX_COND); runnable but off a CPU,
 *            queued on its way into take_gil (EV_QUEUED, gil_woken(), from
 *            the on_cpu fact), or where that fact is unknown, woken from
 *            such a wait and not run since (EV_WOKEN_WAITER); with
 *            --native, a C stack inside take_gil (EV_NATIVE_STACK when the
 *            rules above did not see it: a woken waiter queued for a CPU,
 *            or the mutex before the futex)
 *   native   none of those, OS state R (EV_OS_RUNNING)
 *   idle     none of those, any other OS state (EV_OS_SLEEPING)
 * Free-threaded builds have no GIL: running when R, else idle.
 *
 * struct gil_history is what the woken-waiter rule remembers of a thread
 * from one sample to the next; the caller keeps one per thread (embedded
 * where it keeps its threads) and only gil_woken() writes it.
 */
#ifndef GILSPY_GIL_H
#define GILSPY_GIL_H

#include <stdint.h>

enum gil_state {
	GIL_HELD = 0,		/* holds the GIL */
	GIL_WAITING,		/* blocked taking the GIL */
	GIL_NATIVE,		/* on CPU, GIL released */
	GIL_IDLE,		/* off CPU, GIL released */
	GIL_RUNNING,		/* free-threaded build: on CPU (no GIL) */
	GIL_NSTATES
};

/* "held", "waiting", "native", "idle", "running" */
const char *gil_state_name(enum gil_state s);

/* Why a thread's state was chosen: kept for the JSON debug section.
 * EV_FUTEX_COND and EV_OS_SLEEPING may come from a /proc read made at an
 * earlier sample: while /proc/.../schedstat shows that the thread has not
 * been on a CPU since, it is still in that call (or woken and not yet run,
 * which is not running either), and the read is not repeated. */
enum gil_evidence {
	EV_HOLDER,		/* gil.locked && last_holder == tstate */
	EV_HOLDS_FLAG,		/* per-thread holds_gil flag (3.13+) */
	EV_REQUESTED_FLAG,	/* per-thread gil_requested flag (3.15+) */
	EV_FUTEX_COND,		/* futex wait on gil->cond / gil->mutex */
	EV_OS_RUNNING,		/* /proc state R */
	EV_OS_SLEEPING,		/* /proc state other than R */
	EV_WOKEN_WAITER,	/* R, but was waiting at the previous sample and
				   has barely run since: woken in take_gil and
				   queued for a CPU, not doing work */
	EV_NATIVE_STACK,	/* --native: its C stack is in take_gil (or, in a
				   stripped build, a GIL-taking function over a
				   futex wait), where the /proc rule said native
				   or idle: so its count is how often the two
				   disagreed */
	EV_QUEUED,		/* R but off CPU at this instant (task clock),
				   and not running native code at the previous
				   sample: queued for a CPU on its way to
				   take the GIL */
	EV_NO_GIL_YET,		/* R, and the GIL has not been created (3.6
				   creates it when a second thread starts):
				   the one thread runs as its holder would */
	EV_NSTATES
};
/* "gil-holder", "holds-gil-flag", ... as in the JSON debug section */
const char *gil_evidence_name(enum gil_evidence e);

/* GILs one sample can name (one per interpreter from 3.12); a fact naming
 * a GIL beyond this is classified as if its GIL were unknown. */
#define GIL_MAX 64

/* One GIL as read at the sample's instant. */
struct gil_snapshot {
	int32_t locked;		/* 1 locked, 0 not, -1 not created yet,
				   anything else: torn */
	uint64_t holder;	/* last_holder: a tstate address */
};

/* What a thread's C stack (--native) says of the GIL. */
enum {
	GIL_STACK_UNREAD = 0,	/* not read */
	GIL_STACK_TAKING,	/* in take_gil */
	GIL_STACK_ELSEWHERE,	/* read, and not taking the GIL */
};

/* What is known of one thread at this sample. */
struct gil_facts {
	uint64_t tstate;
	int gil;		/* index of its GIL in the snapshots, -1 none */
	int holds_flag;		/* 3.13+ tstate holds_gil */
	int requested_flag;	/* 3.15+ tstate gil_requested */
	int futex_on_gil;	/* in futex() on its GIL's cond or mutex */
	int native_wait;	/* --native: GIL_STACK_* below */
	char os_state;		/* /proc state 'R', 'S', ... or '?' */
	int have_cpu;		/* cpu_ns and switches were read */
	uint64_t cpu_ns;	/* time on a CPU (schedstat) */
	uint64_t switches;	/* times switched in (schedstat) */
	int on_cpu;		/* GIL_CPU_*: with os_state R, on a CPU at this
				   instant or queued for one */
};

/* struct gil_facts on_cpu: zero (the default) is unknown */
enum { GIL_CPU_UNKNOWN = 0, GIL_CPU_ON, GIL_CPU_QUEUED };

struct gil_verdict {
	enum gil_state state;
	enum gil_evidence evidence;
	char os_state;		/* facts' os_state; 'R' for the holder */
};

/* Classify the n threads of one sample.  gils[0..ngils) are the GILs the
 * facts' gil indexes name; free_threaded: the build has no GIL. */
void gil_classify(int free_threaded, const struct gil_snapshot *gils,
		  int ngils, const struct gil_facts *facts, int n,
		  struct gil_verdict *out);

/* What the woken-waiter rule remembers of a thread. */
struct gil_history {
	uint64_t seq;			/* sample of state, 0 never */
	enum gil_state state;
	enum gil_evidence evidence;
	uint64_t cpu_seq;		/* sample of cpu_ns and switches */
	uint64_t cpu_ns, switches;
	uint64_t cpu_at_ns;		/* when they were read */
	uint64_t last_seq;		/* sample of last, idle included */
	enum gil_state last;
	int native_work;		/* native since it last ran a while */
};

/* Whether the woken-waiter rule needs the CPU time of a thread given its
 * verdict: not for an idle thread, and for the holder only when the
 * sampling period lets the next interval be long enough for the rule
 * (gil_holder_cpu_needed()). */
int gil_needs_cpu(const struct gil_verdict *v, int holder_cpu_needed);
/* Whether samples period_ns apart (0: unknown) can use the holder's CPU
 * time in the woken-waiter rule. */
int gil_holder_cpu_needed(uint64_t period_ns);

/* Whether the on_cpu fact of a thread found runnable at sample seq is
 * worth a costly read (the task clock; a switch ring is free): not when it
 * was native at sample seq - 1, where it most likely still is. */
int gil_oncpu_needed(const struct gil_history *h, uint64_t seq);

/* The rules that look back, after gil_classify().  A thread whose C stack
 * was read and is not taking the GIL (--native, GIL_STACK_ELSEWHERE) is
 * what its stack says.  Else a thread found native at sample seq (taken at
 * time_ns):
 *  - when its on_cpu fact is known (GIL_CPU_ON or _QUEUED), that decides:
 *    off a CPU while runnable, it is queued for one; if it held the GIL at
 *    sample seq - 1, or has barely run since and was not doing native work
 *    then, it is on its way into take_gil: waiting (EV_QUEUED); if it ran
 *    since, was native and working then, or there is no sample seq - 1 to
 *    say, it is native code, preempted: native (classify.c has the rule);
 *  - when it is unknown: if it was waiting in a futex on the GIL at sample
 *    seq - 1 and has not been switched in since, or held or waited for the
 *    GIL then, at least two scheduler ticks ago, and has been on a CPU
 *    under a quarter of the time since, it is a woken waiter queued for a
 *    CPU (EV_WOKEN_WAITER).
 * Updates h with this sample; an idle thread only updates last/last_seq. */
void gil_woken(struct gil_history *h, uint64_t seq, uint64_t time_ns,
	       const struct gil_facts *f, struct gil_verdict *v);

#endif
