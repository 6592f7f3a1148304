/*
 * kthread.h - the "current thread" and "current CPU" handles the port sees.
 *
 * The kernel code reads curthread and CPU as ambient state.  Here each
 * worker owns one kthread_t (and one cpu_t); the engine installs it as the
 * running thread of an OS thread with vt_thread_set_current().  In free mode
 * that is once per OS thread; the controlled scheduler (later) switches it
 * at every fiber switch.  Nothing in the port keeps its own __thread state.
 */
#ifndef VT_LOCKS_KTHREAD_H
#define VT_LOCKS_KTHREAD_H

#include <stdint.h>

#define VT_MAX_HELD 16		/* locks one thread may hold at once (watchdog record) */

struct kmutex;
struct cpu;

typedef struct cpu {
	uint32_t cpu_seqid;		/* virtual CPU id, 0..ncpus-1 (immutable) */
	uint32_t cpu_pad;
} cpu_t;

typedef struct kthread {
	uint32_t	t_id;		/* worker id; immutable */
	int		t_hatdepth;	/* HAT recursion depth; owner only */
	int		t_hatexiting;	/* 2006 hati_reserves_exit adjusting; owner only */
	int		t_vmem_populator; /* vmem_is_populator(): mapping vmem's own pages; owner only */
	int		t_segkmem;	/* inside a slab grow/shrink (no nested shrink); owner only */
	cpu_t		*t_cpu;		/* virtual CPU; immutable */
	uint64_t	t_rng[2];	/* fault-injection PRNG state; owner only */
	/*
	 * Diagnostic record read by the watchdog from another thread: every
	 * store/load goes through relaxed atomics (VT_RACY_*).
	 */
	const void	*t_wait;	/* lock/cv this thread is blocked on, or NULL */
	const char	*t_wait_what;	/* "mutex", "cv", "rwlock", "page", "tlb" */
	const void	*t_wait_pc;	/* where the lock function was called, or NULL */
	uint32_t	t_nheld;	/* number of valid t_held[] entries */
	const struct kmutex *t_held[VT_MAX_HELD];
	void		*t_qnodes;	/* back end queue nodes (mcs/clh); owner only */
	void		*t_engine;	/* the stress engine's worker; opaque here */
	/* --lockstat of page locks (core/page_lockstat.c); owner only. */
	void		*t_pagels;	/* this thread's record, valid in boot t_pagels_gen */
	uint64_t	t_pagels_gen;	/* the boot that made t_pagels (0: none) */
} kthread_t;

/*
 * The kthread installed on this OS thread (NULL: none, run as the boot
 * kthread).  Only kthread.c writes it; read it through vt_curthread().
 */
extern _Thread_local kthread_t *vt_kthread_self;
/* The process-wide default kthread (t_id 0, cpu 0); kthread.c. */
extern kthread_t vt_boot_kthread;

/*
 * Returns the kthread_t installed on this OS thread, or the boot kthread if
 * none was installed: never NULL.  Inline because every lock operation and
 * much of the port asks for it.
 */
static inline kthread_t *
vt_curthread(void)
{
	kthread_t *t = vt_kthread_self;

	return (__builtin_expect(t != (kthread_t *)0, 1) ? t : &vt_boot_kthread);
}
/* Installs t as the running thread of the calling OS thread. */
void vt_thread_set_current(kthread_t *t);
/* Initialise a kthread (id, cpu, PRNG seed for fault injection). */
void vt_thread_init(kthread_t *t, uint32_t id, cpu_t *cpu, uint64_t seed);
void vt_thread_fini(kthread_t *t);

/*
 * Queue nodes for the mcs/clh back ends (lockops.c).  Each node is a
 * VT_QNODE_SIZE-byte, VT_QNODE_SIZE-aligned block from aligned_alloc, so a
 * node may change hands (clh passes nodes from thread to thread and to the
 * lock) and still be released with free().  t_qnodes points to the pool, a
 * stack of free nodes; owner only.  It starts with VT_MAX_HELD+1 nodes and
 * grows if a thread holds more locks at once.
 */
#define VT_QNODE_SIZE	64
struct vt_qpool {
	uint32_t	qp_nfree;	/* valid entries of qp_free[] */
	uint32_t	qp_cap;		/* capacity of qp_free[] */
	uint32_t	qp_nodes;	/* nodes this thread answers for */
	void		**qp_free;
};
void *vt_thread_qnode_get_slow(kthread_t *t);
void vt_thread_qnode_put_slow(kthread_t *t, void *node);

/* Takes a free queue node from t's pool. */
static inline void *
vt_thread_qnode_get(kthread_t *t)
{
	struct vt_qpool *qp = (struct vt_qpool *)t->t_qnodes;

	if (__builtin_expect(qp != (struct vt_qpool *)0 && qp->qp_nfree != 0, 1))
		return (qp->qp_free[--qp->qp_nfree]);
	return (vt_thread_qnode_get_slow(t));
}

/* Returns a node (not necessarily the one taken: clh swaps) to t's pool. */
static inline void
vt_thread_qnode_put(kthread_t *t, void *node)
{
	struct vt_qpool *qp = (struct vt_qpool *)t->t_qnodes;

	if (__builtin_expect(qp != (struct vt_qpool *)0 &&
	    qp->qp_nfree < qp->qp_cap, 1))
		qp->qp_free[qp->qp_nfree++] = node;
	else
		vt_thread_qnode_put_slow(t, node);
}

#define curthread	(vt_curthread())
#define CPU		(vt_curthread()->t_cpu)

#endif /* VT_LOCKS_KTHREAD_H */
