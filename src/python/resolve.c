/*
 * resolve.c - turn what a sample holds (interned frame ids, thread ids)
 * back into text, in the shape of struct profile_resolver's callbacks, so
 * every consumer of samples (record, top, later several targets in one
 * session) shares one resolver instead of wrapping pyt_frame() itself.
 */
#include "gilspy/python.h"

const struct py_frame_info *pyt_resolve_frame(void *target, uint32_t id)
{
	return pyt_frame(target, id);
}

const char *pyt_resolve_thread_name(void *target, pid_t tid,
				    uint64_t thread_id)
{
	return pyt_thread_name(target, tid, thread_id);
}
