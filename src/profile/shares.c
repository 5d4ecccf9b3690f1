/* shares.c - the held / waiting / native / idle shares every report shows
 * (profile.h). */
#include "gilspy/profile.h"

double profile_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void profile_shares_count(struct profile_shares *sh, const uint64_t *state)
{
	sh->held = state[GIL_HELD];
	sh->waiting = state[GIL_WAITING];
	sh->native = state[GIL_NATIVE] + state[GIL_RUNNING];
	sh->idle = state[GIL_IDLE];
	sh->busy = sh->held + sh->waiting + sh->native;
	sh->all = sh->busy + sh->idle;
}

uint64_t profile_state_total(const struct profile *p, enum gil_state state)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < profile_nthreads(p); i++)
		sum += profile_thread(p, i)->state[state];
	return sum;
}

void profile_shares_total(const struct profile *p, struct profile_shares *sh)
{
	uint64_t tot[GIL_NSTATES];
	int s;

	for (s = 0; s < GIL_NSTATES; s++)
		tot[s] = profile_state_total(p, (enum gil_state)s);
	profile_shares_count(sh, tot);
}
