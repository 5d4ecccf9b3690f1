/*
 * sampler.c - paced, jittered ticks with absolute deadlines.
 *
 * Below some period sleeping cannot keep the pace: a clock_nanosleep
 * wake-up costs this VM about 13 us of CPU and arrives about 30 us late,
 * so at 100 kHz (10 us periods) every sleep overshoots several ticks.
 * sampler_new() measures the wake-up latency of this machine once, and
 * when the period is shorter than twice that the sampler spins on the
 * clock up to each deadline instead of sleeping (it then keeps one CPU
 * busy, which such a rate needs anyway).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "gilspy/sampler.h"
#include "gilspy/util.h"
#include "freeze.h"

struct sampler {
	struct py_target *t;
	struct sampler_options o;
	struct py_sample *sample;
	struct freezer fz;
	uint64_t period_ns;
	uint64_t start_ns;
	uint64_t k;		/* index of the next period */
	uint64_t ticks, missed;
	uint64_t rng;
	int behind;		/* 1: fell behind, not reported; 2: reported */
	int spin;		/* pace by spinning, not sleeping */
};

/* Periods at or over this always sleep: no need to measure wake-ups. */
#define SPIN_PERIOD_MAX_NS 1000000ull
#define WAKE_PROBES 16

/* xorshift64*: quality is ample for jitter and it never blocks. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static int sleep_until(uint64_t d, volatile sig_atomic_t *stop);

/* How long a sleep of 1 us takes from the call to the return, on average
 * over a few: the shortest period that sleeping can pace is about that. */
static uint64_t wake_latency_ns(void)
{
	uint64_t total = 0;

	for (int i = 0; i < WAKE_PROBES; i++) {
		uint64_t t0 = now_ns();

		sleep_until(t0 + 1000, NULL);
		total += now_ns() - t0;
	}
	return total / WAKE_PROBES;
}

int sampler_spins(const struct sampler *s)
{
	return s->spin;
}

enum gs_err sampler_new(struct py_target *t, const struct sampler_options *o,
			struct sampler **out, struct gs_error *err)
{
	struct sampler *s;

	*out = NULL;
	if (!(o->rate_hz > 0) || o->rate_hz > 1e6)
		return gs_error_set(err, GS_EUSAGE,
				    "sampling rate %g Hz is out of range; use "
				    "1 to 1000000", o->rate_hz);
	s = xcalloc(1, sizeof(*s));
	s->t = t;
	s->o = *o;
	s->sample = xcalloc(1, sizeof(*s->sample));
	s->period_ns = (uint64_t)(1e9 / o->rate_hz);
	if (!s->period_ns)
		s->period_ns = 1;
	if (t)
		pyt_set_period(t, s->period_ns);
	s->rng = o->seed ? o->seed :
		 (now_ns() ^ ((uint64_t)getpid() << 32)) | 1;
	freeze_init(&s->fz, t ? pyt_pid(t) : 0);
	/* The default 50 us timer slack would make every 100 us tick at
	 * 10 kHz late; 1 us keeps wake-ups where we ask for them. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (s->period_ns < SPIN_PERIOD_MAX_NS)
		s->spin = s->period_ns < 2 * wake_latency_ns();
	s->start_ns = now_ns();
	*out = s;
	return GS_OK;
}

void sampler_prime(struct sampler *s)
{
	if (!s || !s->t || s->o.blocking)
		return;
	(void)pyt_sample(s->t, s->sample);
	s->start_ns = now_ns();
}

void sampler_free(struct sampler *s)
{
	if (!s)
		return;
	freeze_release(&s->fz);
	free(s->sample);
	free(s);
}

static uint64_t deadline(struct sampler *s, uint64_t k)
{
	uint64_t d = s->start_ns + k * s->period_ns;

	if (s->o.jitter && k > 0)
		d += rng_next(&s->rng) % s->period_ns;
	return d;
}

/* Sleep until the absolute time d; 1 if stop was raised meanwhile. */
static int sleep_until(uint64_t d, volatile sig_atomic_t *stop)
{
	struct timespec ts = {
		.tv_sec = (time_t)(d / 1000000000ull),
		.tv_nsec = (long)(d % 1000000000ull),
	};

	for (;;) {
		int r;

		if (stop && *stop)
			return 1;
		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (r == 0)
			return stop && *stop;
		if (r != EINTR)
			return stop && *stop;
	}
}

/* Spin on the clock until the absolute time d; 1 if stop was raised. */
static int spin_until(uint64_t d, volatile sig_atomic_t *stop)
{
	while (now_ns() < d) {
		if (stop && *stop)
			return 1;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	return stop && *stop;
}

int sampler_pace(struct sampler *s, volatile sig_atomic_t *stop)
{
	uint64_t d = deadline(s, s->k), now = now_ns(), late_max;

	if (stop && *stop)
		return 1;
	late_max = 5 * s->period_ns;
	if (late_max < 20000000ull)
		late_max = 20000000ull;
	if (now > d + late_max) {
		/* Too far behind to catch up: drop the periods already gone
		 * and take this tick in the current one. */
		uint64_t k_now = (now - s->start_ns) / s->period_ns;

		s->missed += k_now - s->k;
		s->k = k_now;
		if (!s->behind)
			s->behind = 1;
	} else if (now < d) {
		if (s->spin ? spin_until(d, stop) : sleep_until(d, stop))
			return 1;
	}
	s->k++;
	s->ticks++;
	return 0;
}

enum sampler_tick sampler_take(struct sampler *s, const struct py_sample **out,
			       uint64_t *time_ns, struct gs_error *err)
{
	enum gs_err rc;
	int frozen = 0;

	if (s->o.blocking) {
		rc = freeze_stop(&s->fz, err);
		if (rc == GS_EGONE) {
			if (time_ns)
				*time_ns = now_ns();
			return SAMPLER_GONE;
		}
		if (rc != GS_OK)
			return SAMPLER_ERROR;
		frozen = 1;
	}
	rc = pyt_sample(s->t, s->sample);
	if (frozen)
		freeze_resume(&s->fz);
	if (time_ns)
		*time_ns = rc == GS_OK && s->sample->time_ns ?
			   s->sample->time_ns : now_ns();
	if (rc == GS_OK) {
		*out = s->sample;
		return SAMPLER_SAMPLE;
	}
	if (rc == GS_EGONE || !proc_alive(pyt_pid(s->t)))
		return SAMPLER_GONE;
	return SAMPLER_FAILED;
}

enum sampler_tick sampler_next(struct sampler *s, volatile sig_atomic_t *stop,
			       const struct py_sample **out, uint64_t *time_ns,
			       struct gs_error *err)
{
	if (sampler_pace(s, stop))
		return SAMPLER_STOPPED;
	return sampler_take(s, out, time_ns, err);
}

uint64_t sampler_ticks(const struct sampler *s)
{
	return s->ticks;
}

uint64_t sampler_missed(const struct sampler *s)
{
	return s->missed;
}

int sampler_behind(struct sampler *s, double *achieved_hz)
{
	uint64_t el = now_ns() - s->start_ns;

	if (s->behind != 1 || el < 1000000000ull)
		return 0;
	s->behind = 2;
	*achieved_hz = (double)s->ticks / ((double)el / 1e9);
	return 1;
}
