/*
 * sched_point.h - the schedule-point hook.
 *
 * Every lock operation, kernel-named atomic and marked racy access calls
 * vt_sched_point().  In free mode the hook is NULL and the call is one
 * predictable branch.  The controlled scheduler (stress/) installs a hook
 * that may switch to another worker at that point.  locks/ knows nothing of
 * the engine beyond this pointer.
 *
 * The hook also learns where the point is, as a code address (pc) that the
 * scheduler names by function and line in traces and reports.  Inline
 * points (atomics, racy macros) pass NULL: the hook then takes its own
 * return address, which lies in the code that made the point.  Lock
 * functions pass their caller's address (vt_sched_point_at), so the site of
 * a mutex_enter is the line that called it, not a line of kmutex.c.
 */
#ifndef VT_LOCKS_SCHED_POINT_H
#define VT_LOCKS_SCHED_POINT_H

enum vt_sp_kind {
	VT_SP_LOCK,		/* about to acquire a mutex (obj = kmutex_t *) */
	VT_SP_TRYLOCK,		/* about to try a mutex */
	VT_SP_UNLOCK,		/* just released a mutex */
	VT_SP_CV_WAIT,		/* about to sleep on a condition variable */
	VT_SP_CV_WAKE,		/* cv_signal / cv_broadcast */
	VT_SP_ATOMIC,		/* kernel-named atomic (obj = address) */
	VT_SP_RACY,		/* marked racy load/store (obj = address) */
	VT_SP_YIELD,		/* explicit yield (spin loops, waits) */
	VT_SP_NKINDS
};

/* pc: the site, or NULL for "the hook's caller". */
typedef void (*vt_sched_hook_t)(enum vt_sp_kind kind, const void *obj,
    const void *pc);

/* NULL in free mode.  Written only while no worker runs. */
extern vt_sched_hook_t vt_sched_hook;

static inline void
vt_sched_point(enum vt_sp_kind kind, const void *obj)
{
	vt_sched_hook_t h = vt_sched_hook;

	if (__builtin_expect(h != (vt_sched_hook_t)0, 0))
		h(kind, obj, (const void *)0);
}

/* A point whose site is pc (a lock function passes its return address). */
static inline void
vt_sched_point_at(enum vt_sp_kind kind, const void *obj, const void *pc)
{
	vt_sched_hook_t h = vt_sched_hook;

	if (__builtin_expect(h != (vt_sched_hook_t)0, 0))
		h(kind, obj, pc);
}

const char *vt_sp_kind_name(enum vt_sp_kind kind);

#endif /* VT_LOCKS_SCHED_POINT_H */
