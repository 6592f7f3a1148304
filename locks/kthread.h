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
	cpu_t		*t_cpu;		/* virtual CPU; immutable */
	uint64_t	t_rng[2];	/* fault-injection PRNG state; owner only */
	/*
	 * Diagnostic record read by the watchdog from another thread: every
	 * store/load goes through relaxed atomics (VT_RACY_*).
	 */
	const void	*t_wait;	/* lock/cv this thread is blocked on, or NULL */
	const char	*t_wait_what;	/* "mutex", "cv", "rwlock", "page", "tlb" */
	uint32_t	t_nheld;	/* number of valid t_held[] entries */
	const struct kmutex *t_held[VT_MAX_HELD];
	void		*t_qnodes;	/* back end queue nodes (mcs/clh); owner only */
	void		*t_engine;	/* the stress engine's worker; opaque here */
} kthread_t;

/* Returns the kthread_t installed on this OS thread (never NULL once set). */
kthread_t *vt_curthread(void);
/* Installs t as the running thread of the calling OS thread. */
void vt_thread_set_current(kthread_t *t);
/* Initialise a kthread (id, cpu, PRNG seed for fault injection). */
void vt_thread_init(kthread_t *t, uint32_t id, cpu_t *cpu, uint64_t seed);
void vt_thread_fini(kthread_t *t);

/*
 * Queue nodes for the mcs/clh back ends (lockops.c).  Each node is a
 * VT_QNODE_SIZE-byte, VT_QNODE_SIZE-aligned block from aligned_alloc, so a
 * node may change hands (clh passes nodes from thread to thread and to the
 * lock) and still be released with free().  Owner only; the pool starts
 * with VT_MAX_HELD+1 nodes and grows if a thread holds more locks.
 */
#define VT_QNODE_SIZE	64
void *vt_thread_qnode_get(kthread_t *t);
void vt_thread_qnode_put(kthread_t *t, void *node);

#define curthread	(vt_curthread())
#define CPU		(vt_curthread()->t_cpu)

#endif /* VT_LOCKS_KTHREAD_H */
