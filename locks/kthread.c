/*
 * kthread.c - the current-thread handle (also panic's view of it) and
 * per-thread lock queue nodes.
 *
 * Harness code (not ported).  Each OS thread carries one pointer to the
 * kthread_t running on it; the engine sets it once per worker in free mode,
 * and at every fiber switch in controlled mode.  An OS thread that never
 * installed one runs as the boot kthread (t_id 0, cpu 0), so curthread is
 * never NULL.  The boot kthread is a single object: two OS threads that both
 * run as it would look like one thread to the lock layer, so every worker
 * must install its own kthread before touching a mutex.
 */
#include "kthread.h"

#include <stdlib.h>
#include <string.h>

#include "prng.h"
#include "sched_point.h"
#include "../base/panic.h"

static cpu_t boot_cpu = { .cpu_seqid = 0 };

/*
 * The default kthread.  Its PRNG state is what vt_thread_init(.., seed 0)
 * would give (the first two splitmix64 outputs for seed 0), so draws made
 * before any worker exists are still reproducible.
 */
kthread_t vt_boot_kthread = {
	.t_id = 0,
	.t_cpu = &boot_cpu,
	.t_rng = { 0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL },
};

/* The kthread installed on this OS thread, or NULL for the boot kthread. */
_Thread_local kthread_t *vt_kthread_self;

/* Installs t (NULL: back to the boot kthread) on the calling OS thread. */
void
vt_thread_set_current(kthread_t *t)
{
	vt_kthread_self = t;
}

/*
 * What panic() (base/, which knows no threads) asks of the thread layer:
 * who is running, and a yield schedule point while a second failure waits
 * for the first one's report.  Registered before main(): every binary with
 * kthreads links this file, since curthread refers to its variables.
 */
static const void *
kthread_panic_self(void)
{
	return (curthread);
}

static void
kthread_panic_yield(const void *obj)
{
	vt_sched_point(VT_SP_YIELD, obj);
}

static const struct vt_panic_thread_ops kthread_panic_ops = {
	.pto_self = kthread_panic_self,
	.pto_yield = kthread_panic_yield,
};

static void __attribute__((constructor))
kthread_panic_register(void)
{
	vt_panic_set_thread_ops(&kthread_panic_ops);
}

/* Clears t and gives it an id, a virtual CPU and a PRNG state from seed. */
void
vt_thread_init(kthread_t *t, uint32_t id, cpu_t *cpu, uint64_t seed)
{
	uint64_t s = seed;

	memset(t, 0, sizeof (*t));
	t->t_id = id;
	t->t_cpu = (cpu != NULL) ? cpu : &boot_cpu;
	t->t_rng[0] = vt_prng_splitmix64(&s);
	t->t_rng[1] = vt_prng_splitmix64(&s);
	if ((t->t_rng[0] | t->t_rng[1]) == 0)
		t->t_rng[1] = 1;	/* xoshiro-style state must not be all zero */
}

static void *
qnode_alloc(void)
{
	void *n = aligned_alloc(VT_QNODE_SIZE, VT_QNODE_SIZE);

	if (n == NULL)
		panic("kthread: out of memory for lock queue nodes");
	memset(n, 0, VT_QNODE_SIZE);
	return (n);
}

static struct vt_qpool *
qpool_get(kthread_t *t)
{
	struct vt_qpool *qp = t->t_qnodes;
	uint32_t i;

	if (__builtin_expect(qp != NULL, 1))
		return (qp);
	qp = calloc(1, sizeof (*qp));
	if (qp == NULL)
		panic("kthread: out of memory for lock queue nodes");
	qp->qp_cap = VT_MAX_HELD + 1;
	qp->qp_free = calloc(qp->qp_cap, sizeof (void *));
	if (qp->qp_free == NULL)
		panic("kthread: out of memory for lock queue nodes");
	for (i = 0; i < qp->qp_cap; i++)
		qp->qp_free[i] = qnode_alloc();
	qp->qp_nfree = qp->qp_nodes = qp->qp_cap;
	t->t_qnodes = qp;
	return (qp);
}

/*
 * Slow path of vt_thread_qnode_get(): create the pool on first use, or
 * allocate one more node when a thread holds more than VT_MAX_HELD+1 queue
 * locks at once.
 */
void *
vt_thread_qnode_get_slow(kthread_t *t)
{
	struct vt_qpool *qp = qpool_get(t);

	if (qp->qp_nfree != 0)
		return (qp->qp_free[--qp->qp_nfree]);
	qp->qp_nodes++;
	return (qnode_alloc());
}

/* Slow path of vt_thread_qnode_put(): the free stack is full, grow it. */
void
vt_thread_qnode_put_slow(kthread_t *t, void *node)
{
	struct vt_qpool *qp = qpool_get(t);

	if (qp->qp_nfree == qp->qp_cap) {
		uint32_t ncap = qp->qp_cap * 2;
		void **nf = realloc(qp->qp_free, ncap * sizeof (void *));

		if (nf == NULL)
			panic("kthread: out of memory for lock queue nodes");
		qp->qp_free = nf;
		qp->qp_cap = ncap;
	}
	qp->qp_free[qp->qp_nfree++] = node;
}

/*
 * Releases what vt_thread_init and the lock back ends attached to t.  The
 * thread must hold no mcs/clh lock (its nodes would still be queued).
 */
void
vt_thread_fini(kthread_t *t)
{
	struct vt_qpool *qp = t->t_qnodes;
	uint32_t i;

	if (qp != NULL) {
		for (i = 0; i < qp->qp_nfree; i++)
			free(qp->qp_free[i]);
		free(qp->qp_free);
		free(qp);
		t->t_qnodes = NULL;
	}
	if (vt_kthread_self == t)
		vt_kthread_self = NULL;
}
