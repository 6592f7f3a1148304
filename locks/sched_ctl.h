/*
 * sched_ctl.h - how blocking primitives cooperate with the controlled
 * scheduler.
 *
 * In free mode vt_sched_ctl is NULL and locks block in the OS.  When the
 * controlled scheduler runs (all workers are fibers on one OS thread), it
 * installs vt_sched_ctl: a primitive that cannot proceed calls block(obj)
 * instead of spinning or sleeping — the scheduler parks the running task on
 * obj and runs another — and whoever releases obj calls wake(obj), making
 * every task parked on it runnable again (they re-check; wake-ups may be
 * spurious).  This makes "blocked" and "runnable" exact, so a state with no
 * runnable task is a deadlock.
 */
#ifndef VT_LOCKS_SCHED_CTL_H
#define VT_LOCKS_SCHED_CTL_H

struct vt_sched_ctl {
	/* Park the running task until wake(obj); what: "mutex", "cv", ... */
	void	(*block)(const void *obj, const char *what);
	/* Make every task parked on obj runnable. */
	void	(*wake)(const void *obj);
};

/* NULL in free mode; written only while no worker runs. */
extern const struct vt_sched_ctl *vt_sched_ctl;

#endif /* VT_LOCKS_SCHED_CTL_H */
