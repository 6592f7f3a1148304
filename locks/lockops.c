/*
 * lockops.c - the lock back ends (locktorture style const ops tables).
 *
 * Harness code (not ported).  kmutex.c does owner tracking, statistics and
 * schedule points; a back end only excludes.  Conventions:
 *
 *  - lock() returns true if it had to wait.  kmutex.c calls trylock() first
 *    when there is one, so lock() is reached on the slow path only.
 *  - In controlled mode (vt_sched_hook set) all workers share one OS thread,
 *    so a back end must never block or spin inside the OS: it retries with
 *    a VT_SP_YIELD schedule point on the mutex between attempts, which lets
 *    the scheduler run the owner (and see who waits for whom).
 *  - ck spinlocks use inline assembly that ThreadSanitizer cannot see, so
 *    every ck operation (and the hand-written adaptive lock) is wrapped in
 *    TSan's mutex annotations; pthread mutexes are intercepted by TSan
 *    itself; `busted` is left bare on purpose so TSan reports what it lets
 *    through.
 */
#include "lockops.h"

#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <ck_pr.h>

#include "atomic.h"
#include "../base/inject.h"
#include "../base/panic.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOCK_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(LOCK_TSAN)
#define LOCK_TSAN 1
#endif

#ifdef LOCK_TSAN
#include <sanitizer/tsan_interface.h>
#define TSAN_CREATE(m)		__tsan_mutex_create((m), 0)
#define TSAN_DESTROY(m)		__tsan_mutex_destroy((m), 0)
#define TSAN_PRE_LOCK(m, f)	__tsan_mutex_pre_lock((m), (f))
#define TSAN_POST_LOCK(m, f)	__tsan_mutex_post_lock((m), (f), 0)
#define TSAN_PRE_UNLOCK(m)	__tsan_mutex_pre_unlock((m), 0)
#define TSAN_POST_UNLOCK(m)	__tsan_mutex_post_unlock((m), 0)
#define TSAN_TRY		__tsan_mutex_try_lock
#define TSAN_TRY_FAILED		(__tsan_mutex_try_lock | __tsan_mutex_try_lock_failed)
#else
#define TSAN_CREATE(m)		((void)(m))
#define TSAN_DESTROY(m)		((void)(m))
#define TSAN_PRE_LOCK(m, f)	((void)(m))
#define TSAN_POST_LOCK(m, f)	((void)(m))
#define TSAN_PRE_UNLOCK(m)	((void)(m))
#define TSAN_POST_UNLOCK(m)	((void)(m))
#define TSAN_TRY		0
#define TSAN_TRY_FAILED		0
#endif

/* The back end in force.  Written by vt_lock_select() before any mutex. */
const struct vt_lock_ops *vt_lock_ops = &vt_lock_pthread_ops;

static inline bool
controlled(void)
{
	return (__builtin_expect(vt_sched_hook != (vt_sched_hook_t)0, 0));
}

/*
 * Slow path shared by the back ends that can try-lock: in controlled mode
 * retry with a yield point between attempts, otherwise block natively.
 */
static inline __attribute__((always_inline)) bool
lock_slow(kmutex_t *m, bool (*trylock)(kmutex_t *), void (*block)(kmutex_t *))
{
	if (trylock(m))
		return (false);
	if (controlled()) {
		do {
			vt_sched_point(VT_SP_YIELD, m);
		} while (!trylock(m));
	} else {
		block(m);
	}
	return (true);
}

/*
 * Free-mode waiting front end of the spinning back ends: watch the lock
 * (pause, then give the CPU away) until it looks free, and only then call
 * ck's lock.  ck's own loops spin without ever yielding; with more threads
 * than CPUs a FIFO lock (ticket, mcs, clh) then convoys behind a preempted
 * waiter whose turn has come (measured: ~100 hand-offs a second, 4 threads
 * on 2 CPUs).  Looking before queueing keeps the queue short, and yielding
 * lets a preempted holder or next-in-line run.  ck's lock still does the
 * excluding, so this costs some FIFO order, never correctness.
 */
#define SPIN_BEFORE_YIELD	128

static inline __attribute__((always_inline)) void
spin_until_free(kmutex_t *m, bool (*locked)(kmutex_t *))
{
	int i;

	for (i = 0; locked(m); i++) {
		if (i < SPIN_BEFORE_YIELD)
			ck_pr_stall();
		else
			(void) sched_yield();
	}
}

/* lock_slow for spinning back ends: wait politely, then ck's lock. */
static inline __attribute__((always_inline)) bool
spin_lock_slow(kmutex_t *m, bool (*trylock)(kmutex_t *),
    bool (*locked)(kmutex_t *), void (*block)(kmutex_t *))
{
	if (trylock(m))
		return (false);
	if (controlled()) {
		do {
			vt_sched_point(VT_SP_YIELD, m);
		} while (!trylock(m));
	} else {
		spin_until_free(m, locked);
		block(m);
	}
	return (true);
}

/*
 * lock for spinning back ends without a try-lock: wait until m looks free
 * (yielding to the controlled scheduler, or politely spinning), then queue
 * with the back end's own lock.  Returns whether it had to wait.
 */
static inline __attribute__((always_inline)) bool
spin_wait_then_block(kmutex_t *m, bool (*locked)(kmutex_t *),
    void (*block)(kmutex_t *))
{
	bool waited = locked(m);

	if (waited && controlled()) {
		/* No schedule point between the last peek and the enqueue. */
		while (locked(m))
			vt_sched_point(VT_SP_YIELD, m);
	} else if (waited) {
		spin_until_free(m, locked);
	}
	block(m);
	return (waited);
}

/* ---- pthread (default) ------------------------------------------------- */

static void
pth_init(kmutex_t *m)
{
	int e = pthread_mutex_init(&m->m_impl.pm, NULL);

	if (e != 0)
		panic("pthread_mutex_init: %s", strerror(e));
}

static void
pth_destroy(kmutex_t *m)
{
	(void) pthread_mutex_destroy(&m->m_impl.pm);
}

static bool
pth_try(kmutex_t *m)
{
	return (pthread_mutex_trylock(&m->m_impl.pm) == 0);
}

static void
pth_block(kmutex_t *m)
{
	int e = pthread_mutex_lock(&m->m_impl.pm);

	if (e != 0)
		panic("pthread_mutex_lock: %s", strerror(e));
}

static bool
pth_lock(kmutex_t *m)
{
	return (lock_slow(m, pth_try, pth_block));
}

static void
pth_unlock(kmutex_t *m)
{
	(void) pthread_mutex_unlock(&m->m_impl.pm);
}

const struct vt_lock_ops vt_lock_pthread_ops = {
	.name = "pthread",
	.desc = "pthread_mutex_t (default)",
	.init = pth_init,
	.destroy = pth_destroy,
	.lock = pth_lock,
	.trylock = pth_try,
	.unlock = pth_unlock,
	.sleeps = true,
};

/* ---- adaptive: spin a while, then sleep on a futex ---------------------- */

/*
 * The word is 0 (free), 1 (held, nobody asleep) or 2 (held, maybe
 * sleepers), the classic three-state futex mutex.  Like an illumos adaptive
 * mutex it spins first, hoping the owner is about to let go; unlike it, it
 * cannot see whether the owner is on a CPU, so the spin is bounded by count.
 */
#define ADAPTIVE_SPINS	200

static long
futex_op(uint32_t *w, int op, uint32_t val)
{
	return (syscall(SYS_futex, w, op, val, NULL, NULL, 0));
}

static void
adaptive_init(kmutex_t *m)
{
	m->m_impl.word = 0;
	TSAN_CREATE(m);
}

static void
adaptive_destroy(kmutex_t *m)
{
	TSAN_DESTROY(m);
}

static inline bool
adaptive_cas(kmutex_t *m)
{
	uint32_t zero = 0;

	return (__atomic_compare_exchange_n(&m->m_impl.word, &zero, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
}

static bool
adaptive_try(kmutex_t *m)
{
	bool ok;

	TSAN_PRE_LOCK(m, TSAN_TRY);
	ok = adaptive_cas(m);
	TSAN_POST_LOCK(m, ok ? TSAN_TRY : TSAN_TRY_FAILED);
	return (ok);
}

static void
adaptive_block(kmutex_t *m)
{
	uint32_t *w = &m->m_impl.word;
	int i;

	TSAN_PRE_LOCK(m, 0);
	for (i = 0; i < ADAPTIVE_SPINS; i++) {
		if (__atomic_load_n(w, __ATOMIC_RELAXED) == 0 && adaptive_cas(m))
			goto out;
		ck_pr_stall();
	}
	/* Announce a sleeper by leaving 2 behind; 0 means we got it. */
	while (__atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE) != 0)
		(void) futex_op(w, FUTEX_WAIT_PRIVATE, 2);
out:
	TSAN_POST_LOCK(m, 0);
}

static bool
adaptive_lock(kmutex_t *m)
{
	return (lock_slow(m, adaptive_try, adaptive_block));
}

static void
adaptive_unlock(kmutex_t *m)
{
	uint32_t *w = &m->m_impl.word;

	TSAN_PRE_UNLOCK(m);
	/* Mutant mutex-exit-nowake: a sleeper is never woken. */
	if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) == 2 &&
	    !VT_INJECT(MUTEX_EXIT_NOWAKE))
		(void) futex_op(w, FUTEX_WAKE_PRIVATE, 1);
	TSAN_POST_UNLOCK(m);
}

const struct vt_lock_ops vt_lock_adaptive_ops = {
	.name = "adaptive",
	.desc = "futex word: bounded spin, then sleep (illumos adaptive style)",
	.init = adaptive_init,
	.destroy = adaptive_destroy,
	.lock = adaptive_lock,
	.trylock = adaptive_try,
	.unlock = adaptive_unlock,
	.sleeps = true,
};

/* ---- ck ticket ---------------------------------------------------------- */

static void
ticket_init(kmutex_t *m)
{
	ck_spinlock_ticket_init(&m->m_impl.ticket);
	TSAN_CREATE(m);
}

static void
ticket_destroy(kmutex_t *m)
{
	TSAN_DESTROY(m);
}

#ifdef CK_F_SPINLOCK_TICKET_TRYLOCK
static bool
ticket_try(kmutex_t *m)
{
	bool ok;

	TSAN_PRE_LOCK(m, TSAN_TRY);
	ok = ck_spinlock_ticket_trylock(&m->m_impl.ticket);
	TSAN_POST_LOCK(m, ok ? TSAN_TRY : TSAN_TRY_FAILED);
	return (ok);
}
#endif

static bool
ticket_locked(kmutex_t *m)
{
	return (ck_spinlock_ticket_locked(&m->m_impl.ticket));
}

static void
ticket_block(kmutex_t *m)
{
	TSAN_PRE_LOCK(m, 0);
	ck_spinlock_ticket_lock(&m->m_impl.ticket);
	TSAN_POST_LOCK(m, 0);
}

static bool
ticket_lock(kmutex_t *m)
{
#ifdef CK_F_SPINLOCK_TICKET_TRYLOCK
	return (spin_lock_slow(m, ticket_try, ticket_locked, ticket_block));
#else
	return (spin_wait_then_block(m, ticket_locked, ticket_block));
#endif
}

static void
ticket_unlock(kmutex_t *m)
{
	TSAN_PRE_UNLOCK(m);
	ck_spinlock_ticket_unlock(&m->m_impl.ticket);
	TSAN_POST_UNLOCK(m);
}

const struct vt_lock_ops vt_lock_ticket_ops = {
	.name = "ticket",
	.desc = "ck_spinlock_ticket (FIFO spin)",
	.init = ticket_init,
	.destroy = ticket_destroy,
	.lock = ticket_lock,
#ifdef CK_F_SPINLOCK_TICKET_TRYLOCK
	.trylock = ticket_try,
#endif
	.unlock = ticket_unlock,
};

/* ---- ck MCS: queue nodes from the thread's pool ------------------------- */

_Static_assert(sizeof (struct ck_spinlock_mcs) <= VT_QNODE_SIZE,
    "mcs node does not fit a queue node");
_Static_assert(sizeof (struct ck_spinlock_clh) <= VT_QNODE_SIZE,
    "clh node does not fit a queue node");

static void
mcs_init(kmutex_t *m)
{
	ck_spinlock_mcs_init(&m->m_impl.mcs);
	TSAN_CREATE(m);
}

static void
mcs_destroy(kmutex_t *m)
{
	TSAN_DESTROY(m);
}

/* On success the node stays queued, recorded in m_qnode until unlock. */
static bool
mcs_try(kmutex_t *m)
{
	kthread_t *t = vt_curthread();
	struct ck_spinlock_mcs *n = vt_thread_qnode_get(t);
	bool ok;

	TSAN_PRE_LOCK(m, TSAN_TRY);
	ok = ck_spinlock_mcs_trylock(&m->m_impl.mcs, n);
	TSAN_POST_LOCK(m, ok ? TSAN_TRY : TSAN_TRY_FAILED);
	if (ok)
		m->m_qnode = n;
	else
		vt_thread_qnode_put(t, n);	/* never queued */
	return (ok);
}

static bool
mcs_locked(kmutex_t *m)
{
	return (ck_spinlock_mcs_locked(&m->m_impl.mcs));
}

static void
mcs_block(kmutex_t *m)
{
	struct ck_spinlock_mcs *n = vt_thread_qnode_get(vt_curthread());

	TSAN_PRE_LOCK(m, 0);
	ck_spinlock_mcs_lock(&m->m_impl.mcs, n);
	TSAN_POST_LOCK(m, 0);
	m->m_qnode = n;
}

static bool
mcs_lock(kmutex_t *m)
{
	return (spin_lock_slow(m, mcs_try, mcs_locked, mcs_block));
}

static void
mcs_unlock(kmutex_t *m)
{
	struct ck_spinlock_mcs *n = m->m_qnode;

	m->m_qnode = NULL;
	TSAN_PRE_UNLOCK(m);
	ck_spinlock_mcs_unlock(&m->m_impl.mcs, n);
	TSAN_POST_UNLOCK(m);
	vt_thread_qnode_put(vt_curthread(), n);
}

const struct vt_lock_ops vt_lock_mcs_ops = {
	.name = "mcs",
	.desc = "ck_spinlock_mcs (queue lock, per-thread nodes)",
	.init = mcs_init,
	.destroy = mcs_destroy,
	.lock = mcs_lock,
	.trylock = mcs_try,
	.unlock = mcs_unlock,
};

/* ---- ck CLH: no try-lock ------------------------------------------------ */

/*
 * CLH recycles nodes: unlocking hands the holder its predecessor's node and
 * leaves its own in the queue.  So the lock always owns exactly one node
 * (the tail, freed by destroy) and each thread keeps its count of nodes,
 * though not their identity.  The "waited" peek reads the tail node, which
 * stays allocated as long as the lock's tail or a queued node refers to it.
 */
static void
clh_init(kmutex_t *m)
{
	void *unowned = aligned_alloc(VT_QNODE_SIZE, VT_QNODE_SIZE);

	if (unowned == NULL)
		panic("clh: out of memory");
	ck_spinlock_clh_init(&m->m_impl.clh, unowned);
	TSAN_CREATE(m);
}

static void
clh_destroy(kmutex_t *m)
{
	TSAN_DESTROY(m);
	free(m->m_impl.clh);
	m->m_impl.clh = NULL;
}

static bool
clh_locked(kmutex_t *m)
{
	return (ck_spinlock_clh_locked(&m->m_impl.clh));
}

/* Enqueue with a node from the thread's pool; kept in m_qnode until unlock. */
static void
clh_block(kmutex_t *m)
{
	struct ck_spinlock_clh *n = vt_thread_qnode_get(vt_curthread());

	TSAN_PRE_LOCK(m, 0);
	ck_spinlock_clh_lock(&m->m_impl.clh, n);
	TSAN_POST_LOCK(m, 0);
	m->m_qnode = n;
}

/*
 * Controlled mode: nothing else runs between the last peek and the
 * enqueue (no schedule point there), so the queue lock cannot spin.
 */
static bool
clh_lock(kmutex_t *m)
{
	return (spin_wait_then_block(m, clh_locked, clh_block));
}

static void
clh_unlock(kmutex_t *m)
{
	struct ck_spinlock_clh *n = m->m_qnode;

	m->m_qnode = NULL;
	TSAN_PRE_UNLOCK(m);
	ck_spinlock_clh_unlock(&n);	/* n becomes the predecessor's node */
	TSAN_POST_UNLOCK(m);
	vt_thread_qnode_put(vt_curthread(), n);
}

const struct vt_lock_ops vt_lock_clh_ops = {
	.name = "clh",
	.desc = "ck_spinlock_clh (queue lock, no try-lock)",
	.init = clh_init,
	.destroy = clh_destroy,
	.lock = clh_lock,
	.trylock = NULL,
	.unlock = clh_unlock,
};

/* ---- ck fetch-and-store ------------------------------------------------- */

static void
fas_init(kmutex_t *m)
{
	ck_spinlock_fas_init(&m->m_impl.fas);
	TSAN_CREATE(m);
}

static void
fas_destroy(kmutex_t *m)
{
	TSAN_DESTROY(m);
}

static bool
fas_try(kmutex_t *m)
{
	bool ok;

	TSAN_PRE_LOCK(m, TSAN_TRY);
	ok = ck_spinlock_fas_trylock(&m->m_impl.fas);
	TSAN_POST_LOCK(m, ok ? TSAN_TRY : TSAN_TRY_FAILED);
	return (ok);
}

static bool
fas_locked(kmutex_t *m)
{
	return (ck_spinlock_fas_locked(&m->m_impl.fas));
}

static void
fas_block(kmutex_t *m)
{
	TSAN_PRE_LOCK(m, 0);
	ck_spinlock_fas_lock(&m->m_impl.fas);
	TSAN_POST_LOCK(m, 0);
}

static bool
fas_lock(kmutex_t *m)
{
	return (spin_lock_slow(m, fas_try, fas_locked, fas_block));
}

static void
fas_unlock(kmutex_t *m)
{
	TSAN_PRE_UNLOCK(m);
	ck_spinlock_fas_unlock(&m->m_impl.fas);
	TSAN_POST_UNLOCK(m);
}

const struct vt_lock_ops vt_lock_fas_ops = {
	.name = "fas",
	.desc = "ck_spinlock_fas (test-and-set spin)",
	.init = fas_init,
	.destroy = fas_destroy,
	.lock = fas_lock,
	.trylock = fas_try,
	.unlock = fas_unlock,
};

/* ---- busted: the canary ------------------------------------------------- */

/*
 * Deliberately wrong: "is it free?" and "take it" are two separate relaxed
 * accesses with a gap between them (a few pause instructions and, for the
 * controlled scheduler, a schedule point), so two threads can both see it
 * free and both walk in.  No ordering and no TSan annotations, on purpose:
 * kmutex's owner check, the audit and TSan are all expected to catch it.
 */
#define BUSTED_WINDOW	8

static void
busted_init(kmutex_t *m)
{
	__atomic_store_n(&m->m_impl.word, 0, __ATOMIC_RELAXED);
}

static void
busted_destroy(kmutex_t *m)
{
}

/* Take the lock after having seen it free: the racy window. */
static void
busted_take(kmutex_t *m)
{
	int i;

	vt_sched_point(VT_SP_YIELD, m);
	for (i = 0; i < BUSTED_WINDOW; i++)
		ck_pr_stall();
	__atomic_store_n(&m->m_impl.word, 1, __ATOMIC_RELAXED);
}

static bool
busted_try(kmutex_t *m)
{
	if (__atomic_load_n(&m->m_impl.word, __ATOMIC_RELAXED) != 0)
		return (false);
	busted_take(m);
	return (true);
}

static bool
busted_lock(kmutex_t *m)
{
	bool waited = false;
	int i;

	for (i = 0; __atomic_load_n(&m->m_impl.word, __ATOMIC_RELAXED) != 0;
	    i++) {
		waited = true;
		vt_sched_point(VT_SP_YIELD, m);
		if (i < SPIN_BEFORE_YIELD)
			ck_pr_stall();
		else
			(void) sched_yield();
	}
	busted_take(m);
	return (waited);
}

static void
busted_unlock(kmutex_t *m)
{
	__atomic_store_n(&m->m_impl.word, 0, __ATOMIC_RELAXED);
}

const struct vt_lock_ops vt_lock_busted_ops = {
	.name = "busted",
	.desc = "BROKEN on purpose: test-then-set with a window (canary)",
	.init = busted_init,
	.destroy = busted_destroy,
	.lock = busted_lock,
	.trylock = busted_try,
	.unlock = busted_unlock,
	.broken = true,
};

/* ---- registry ----------------------------------------------------------- */

const struct vt_lock_ops *const vt_lock_backends[] = {
	&vt_lock_pthread_ops,
	&vt_lock_adaptive_ops,
	&vt_lock_ticket_ops,
	&vt_lock_mcs_ops,
	&vt_lock_clh_ops,
	&vt_lock_fas_ops,
	&vt_lock_busted_ops,
	NULL,
};

/* Back end called name, or NULL. */
const struct vt_lock_ops *
vt_lock_find(const char *name)
{
	int i;

	for (i = 0; vt_lock_backends[i] != NULL; i++) {
		if (strcmp(vt_lock_backends[i]->name, name) == 0)
			return (vt_lock_backends[i]);
	}
	return (NULL);
}

/*
 * Selects the back end.  Every mutex keeps its lock in the back end's
 * layout, so switching while any mutex exists would corrupt it: panic.
 */
void
vt_lock_select(const struct vt_lock_ops *ops)
{
	uint64_t live;

	VERIFY(ops != NULL);
	if (ops == vt_lock_ops)
		return;
	live = vt_mutex_live_count();
	if (live != 0) {
		panic("vt_lock_select(%s): %llu mutexes of back end %s still "
		    "exist", ops->name, (unsigned long long)live,
		    vt_lock_ops->name);
	}
	vt_lock_ops = ops;
}
