/*
 * lockops.h - lock back ends as const ops tables (locktorture style).
 *
 * One back end is selected per run (--lock NAME) before any mutex is
 * initialised.  A NULL entry means "not supported"; `vmtorture list` prints
 * the table.  Each back end stores its lock in kmutex_t.m_impl.
 */
#ifndef VT_LOCKS_LOCKOPS_H
#define VT_LOCKS_LOCKOPS_H

#include <stdbool.h>
#include "kmutex.h"

struct vt_lock_ops {
	const char	*name;
	const char	*desc;
	void	(*init)(kmutex_t *m);
	void	(*destroy)(kmutex_t *m);
	/* Acquire; returns true if the acquisition had to wait. */
	bool	(*lock)(kmutex_t *m);
	/* Try once; true if acquired.  NULL: no try-lock (clh). */
	bool	(*trylock)(kmutex_t *m);
	void	(*unlock)(kmutex_t *m);
	bool	sleeps;		/* blocks in the kernel (futex) rather than spinning */
	bool	broken;		/* does not guarantee mutual exclusion (the canary) */
};

extern const struct vt_lock_ops vt_lock_pthread_ops, vt_lock_adaptive_ops,
    vt_lock_ticket_ops, vt_lock_mcs_ops, vt_lock_clh_ops, vt_lock_fas_ops,
    vt_lock_busted_ops;

/* NULL-terminated list of all back ends, in `list` order. */
extern const struct vt_lock_ops *const vt_lock_backends[];

/* The back end in force (pthread by default).  Immutable while running. */
extern const struct vt_lock_ops *vt_lock_ops;

/* Look up by name; NULL if unknown. */
const struct vt_lock_ops *vt_lock_find(const char *name);
/* Select the back end; only before any mutex_init. */
void vt_lock_select(const struct vt_lock_ops *ops);

#endif /* VT_LOCKS_LOCKOPS_H */
