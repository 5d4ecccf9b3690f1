/*
 * sampler.h - paced sampling of a live Python process.
 *
 * The sampler decides *when* to take a sample and takes it with
 * pyt_sample(); it does not interpret samples (that is profile/).
 *
 * Pacing.  Time is cut into periods of 1/rate seconds counted from the
 * start, and tick k falls at a random point of period k ("stratified"
 * jitter): the rate is exactly the requested one on average, yet the
 * phase of the ticks against anything periodic in the target (CPython's
 * 5 ms switch interval, a timer thread) is uniform, so sampling does not
 * alias with it.  Deadlines are absolute (clock_nanosleep TIMER_ABSTIME):
 * a late tick is taken at once and the next keeps its own deadline, so
 * short stalls are caught up.  When gilspy is more than
 * max(5 periods, 20 ms) behind, the missed deadlines are dropped (counted
 * in sampler_missed()) and sampler_behind() reports it, once.
 * Where the period is shorter than what a sleep and wake-up take on this
 * machine (measured once by sampler_new()), the sampler spins on the clock
 * to each deadline instead of sleeping (sampler_spins()).
 *
 * Blocking mode stops every thread of the target with PTRACE_SEIZE +
 * PTRACE_INTERRUPT (proc_ptrace_stop(), src/proc/ptrace.c) for the duration
 * of one sample and detaches right after.
 * Seize-based stops are ptrace-stops, not job-control stops: if gilspy dies
 * at any moment (even SIGKILL) the kernel detaches and the target runs on.
 * Nothing stays attached between ticks.
 *
 * The sampler never prints and never exits.
 */
#ifndef GILSPY_SAMPLER_H
#define GILSPY_SAMPLER_H

#include <signal.h>
#include <stdint.h>

#include "gilspy/error.h"
#include "gilspy/python.h"

struct sampler_options {
	double rate_hz;		/* ticks per second, > 0 */
	int blocking;		/* stop the target's threads around a sample */
	int jitter;		/* stratified jitter (1, the default) or none */
	uint64_t seed;		/* 0: seeded from the clock and pid */
};

enum sampler_tick {
	SAMPLER_SAMPLE,		/* a sample was taken: *out is valid */
	SAMPLER_FAILED,		/* the sample could not be read (torn) */
	SAMPLER_GONE,		/* the target exited */
	SAMPLER_STOPPED,	/* *stop became non-zero while waiting */
	SAMPLER_ERROR,		/* a ptrace stop failed: see err */
};

struct sampler;

/* A sampler for target t (not owned; must outlive the sampler; NULL for a
 * pacer alone, see sampler_pace()).  The first deadline is "now".  Fails only on bad options (GS_EUSAGE). */
enum gs_err sampler_new(struct py_target *t, const struct sampler_options *o,
			struct sampler **out, struct gs_error *err);
void sampler_free(struct sampler *s);	/* NULL is a no-op */

/*
 * Part of attaching: one sample taken and let go, then the clock starts
 * again from now.  The first look at a process opens a /proc file and a
 * context-switch ring for each of its threads, which for hundreds of
 * threads takes tens of periods; done here, it costs the recording no
 * tick.  Not with blocking (that would stop the process once more) nor
 * for a pacer alone.
 */
void sampler_prime(struct sampler *s);

/*
 * Wait for the next deadline, then sample.  stop (may be NULL) is polled
 * before and after sleeping; a signal handler that sets it interrupts the
 * sleep.  On SAMPLER_SAMPLE *out points at the sample, owned by the sampler
 * and valid until the next call.  *time_ns (may be NULL) receives the
 * tick's time in all cases but SAMPLER_STOPPED.
 */
enum sampler_tick sampler_next(struct sampler *s, volatile sig_atomic_t *stop,
			       const struct py_sample **out, uint64_t *time_ns,
			       struct gs_error *err);

/*
 * The two halves of sampler_next(), for one pacer over several targets:
 * sampler_pace() waits for the next deadline (1 when stop was raised
 * first, 0 on time), sampler_take() samples the sampler's target now (the
 * same results as sampler_next() but SAMPLER_STOPPED).  A pacer alone is a
 * sampler made with a NULL target: only sampler_pace() may be called on it.
 */
int sampler_pace(struct sampler *s, volatile sig_atomic_t *stop);
enum sampler_tick sampler_take(struct sampler *s, const struct py_sample **out,
			       uint64_t *time_ns, struct gs_error *err);

/* Ticks paced since the start, and deadlines dropped when behind. */
uint64_t sampler_ticks(const struct sampler *s);
uint64_t sampler_missed(const struct sampler *s);

/* 1 when ticks are paced by spinning rather than sleeping. */
int sampler_spins(const struct sampler *s);

/* 1 exactly once: the first time the sampler fell behind, after at least a
 * second of sampling (so that *achieved_hz, ticks per second since the
 * start, means something).  0 otherwise. */
int sampler_behind(struct sampler *s, double *achieved_hz);

#endif
