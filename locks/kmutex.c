/*
 * kmutex.c - kmutex_t, kcondvar_t and krwlock_t with kernel semantics over
 * the selected lock back end (lockops.c).
 *
 * Harness code (not ported).  What a mutex adds to its back end:
 *  - an owner, kept with relaxed atomics so MUTEX_HELD() is exact and a
 *    second thread inside (a broken back end) is caught at once;
 *  - acquisition and contention counts, bumped by the holder;
 *  - the holder's t_held[] record and the waiter's t_wait, for the watchdog;
 *  - schedule points: VT_SP_LOCK / VT_SP_TRYLOCK before, VT_SP_UNLOCK after,
 *    each with the caller's address as its site (and t_wait_pc while it
 *    waits), so reports name the line that called mutex_enter.
 * The uncontended path is one try-lock through the ops table plus a few
 * stores to lines the caller already owns.
 */
#include "kmutex.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "lockdep.h"
#include "lockstat.h"
#include "lockops.h"
#include "sched_ctl.h"
#include "locktable.h"
#include "atomic.h"
#include "../base/inject.h"
#include "../base/panic.h"

/* Mutexes alive (init minus destroy); atomics. */
static uint64_t mutex_live;

uint64_t
vt_mutex_live_count(void)
{
	return (__atomic_load_n(&mutex_live, __ATOMIC_RELAXED));
}

static void mutex_panic(const kmutex_t *m, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* panic("mutex <name>: <message>"). */
static void
mutex_panic(const kmutex_t *m, const char *fmt, ...)
{
	char name[80], msg[160];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof (msg), fmt, ap);
	va_end(ap);
	panic("mutex %s: %s", vt_mutex_name(m, name, sizeof (name)), msg);
}

/*
 * "mlist_lock[37]" for table members, the class name for singletons,
 * "hat_mutex#5" for scattered members with a non-zero index, "misc" for
 * plain mutex_init'd mutexes.
 */
const char *
vt_mutex_name(const kmutex_t *m, char *buf, size_t len)
{
	const struct vt_lock_class *cls = m->m_class;

	if (cls == NULL)
		(void) snprintf(buf, len, "misc");
	else if (cls->lc_table)
		(void) snprintf(buf, len, "%s[%u]", cls->lc_name, m->m_index);
	else if (m->m_index != 0)
		(void) snprintf(buf, len, "%s#%u", cls->lc_name, m->m_index);
	else
		(void) snprintf(buf, len, "%s", cls->lc_name);
	return (buf);
}

/* Prepares m as member index of cls (NULL: "misc") with the current back end. */
void
vt_mutex_init_class(kmutex_t *m, const struct vt_lock_class *cls,
    uint32_t index)
{
	memset(m, 0, sizeof (*m));
	m->m_class = (cls != NULL) ? cls : vt_lockclass_misc();
	m->m_index = index;
	if (vt_lockstat_enabled)
		vt_lockstat_attach(m);
	vt_lock_ops->init(m);
	__atomic_add_fetch(&mutex_live, 1, __ATOMIC_RELAXED);
}

/* Kernel-shaped initialiser; the mutex joins the "misc" class. */
void
mutex_init(kmutex_t *m, const char *name, int type, void *arg)
{
	/* A named mutex is a class of its own (reports, lock order). */
	vt_mutex_init_class(m, name != NULL ? vt_lockclass_named(name) : NULL,
	    0);
}

/*
 * Tears m down.  As in the kernel, the owner may destroy a mutex it still
 * holds (it is released first); anyone else holding it is a bug.  Members
 * of scattered classes leave their counts with the class.
 */
void
mutex_destroy(kmutex_t *m)
{
	const struct vt_lock_class *cls = m->m_class;
	kthread_t *o = VT_PEEK(m->m_owner);

	if (o != NULL) {
		if (o != vt_curthread())
			mutex_panic(m, "mutex_destroy while held by thread %u",
			    o->t_id);
		mutex_exit(m);
	}
	if (cls != NULL && !cls->lc_table) {
		/* Retired counters are atomics; the class itself is not written. */
		vt_lockclass_retire((struct vt_lock_class *)(uintptr_t)cls, m);
	}
	if (m->m_ls != NULL)
		vt_lockstat_detach(m);
	vt_lock_ops->destroy(m);
	m->m_class = NULL;
	__atomic_sub_fetch(&mutex_live, 1, __ATOMIC_RELAXED);
}

/* Records m in t's held list (diagnostics; only VT_MAX_HELD are kept). */
static inline void
held_push(kthread_t *t, const kmutex_t *m)
{
	uint32_t n = t->t_nheld;

	if (__builtin_expect(n < VT_MAX_HELD, 1)) {
		VT_POKE(t->t_held[n], m);
		VT_POKE(t->t_nheld, n + 1);
	}
}

/*
 * Drops m from t's held list.  Locks are mostly released in reverse order,
 * so the top entry is checked first; an unrecorded (overflow) lock is
 * simply not found.
 */
static inline void
held_pop(kthread_t *t, const kmutex_t *m)
{
	uint32_t n = t->t_nheld, i;

	if (__builtin_expect(n != 0 && t->t_held[n - 1] == m, 1)) {
		VT_POKE(t->t_nheld, n - 1);
		return;
	}
	for (i = n; i-- > 0; ) {
		if (t->t_held[i] != m)
			continue;
		for (; i + 1 < n; i++)
			VT_POKE(t->t_held[i], t->t_held[i + 1]);
		VT_POKE(t->t_nheld, n - 1);
		return;
	}
}

/* Bookkeeping once the back end let t in.  m is held by t on return. */
static inline void
acquired(kmutex_t *m, kthread_t *t, bool waited)
{
	kthread_t *o = VT_PEEK(m->m_owner);

	if (__builtin_expect(o != NULL, 0))
		mutex_panic(m, "mutual exclusion violated (held by thread %u)",
		    o->t_id);
	VT_POKE(m->m_owner, t);
	m->m_acq++;
	if (waited)
		m->m_contended++;
	held_push(t, m);
}

/* Acquires m, blocking while another thread holds it.  m held on return. */
void
mutex_enter(kmutex_t *m)
{
	const struct vt_lock_ops *ops = vt_lock_ops;
	kthread_t *t = vt_curthread();
	const void *pc = __builtin_return_address(0);
	struct vt_lockstat *ls = m->m_ls;
	uint64_t w0 = 0;
	bool waited;

	if (__builtin_expect(VT_PEEK(m->m_owner) == t, 0))
		mutex_panic(m, "recursive mutex_enter by thread %u", t->t_id);
	/* The order is checked before waiting: an inversion need not hang. */
	if (t->t_nheld != 0 && vt_lockdep_enabled)
		vt_lockdep_acquire(t, m, pc);
	vt_sched_point_at(VT_SP_LOCK, m, pc);
	if (__builtin_expect(ops->trylock != NULL && ops->trylock(m), 1)) {
		waited = false;
	} else if (vt_sched_ctl != NULL) {
		if (ls != NULL)
			w0 = vt_lockstat_now();
		/*
		 * Controlled mode: every worker is a fiber on this OS thread,
		 * so waiting inside the back end would never end.  Park on m
		 * in the scheduler until mutex_exit(m) wakes us, then retry.
		 */
		VT_POKE(t->t_wait_what, "mutex");
		VT_POKE(t->t_wait_pc, pc);
		VT_POKE(t->t_wait, (const void *)m);
		if (ops->trylock != NULL) {
			do {
				vt_sched_ctl->block(m, "mutex");
			} while (!ops->trylock(m));
			waited = true;
		} else {
			/*
			 * No try-lock (clh), so this is also the uncontended
			 * path: wait while somebody owns m.  No other fiber
			 * runs between that check and the back end's lock (no
			 * schedule point), so the lock cannot spin.
			 */
			waited = false;
			while (VT_PEEK(m->m_owner) != NULL) {
				vt_sched_ctl->block(m, "mutex");
				waited = true;
			}
			(void) ops->lock(m);
		}
		VT_POKE(t->t_wait, NULL);
		VT_POKE(t->t_wait_pc, NULL);
	} else {
		if (ls != NULL)
			w0 = vt_lockstat_now();
		VT_POKE(t->t_wait_what, "mutex");
		VT_POKE(t->t_wait_pc, pc);
		VT_POKE(t->t_wait, (const void *)m);
		waited = ops->lock(m);
		if (ops->trylock != NULL)
			waited = true;		/* the first try found it held */
		VT_POKE(t->t_wait, NULL);
		VT_POKE(t->t_wait_pc, NULL);
	}
	acquired(m, t, waited);
	if (__builtin_expect(ls != NULL, 0)) {
		bool timed = vt_lockstat_timed(m->m_acq);

		if (waited || timed) {
			uint64_t now = vt_lockstat_now();

			if (waited)
				vt_lockstat_contended(ls, now > w0 ? now - w0 :
				    0, pc);
			if (timed)
				ls->ls_t0 = now;
		}
	}
}

/*
 * Tries once to acquire m; returns non-zero if it did.  A mutex the caller
 * already owns is simply not acquired (0), as for kernel adaptive mutexes.
 */
int
mutex_tryenter(kmutex_t *m)
{
	const struct vt_lock_ops *ops = vt_lock_ops;
	kthread_t *t = vt_curthread();

	if (ops->trylock == NULL)
		mutex_panic(m, "mutex_tryenter: lock back end '%s' has no "
		    "try-lock", ops->name);
	vt_sched_point_at(VT_SP_TRYLOCK, m, __builtin_return_address(0));
	if (VT_PEEK(m->m_owner) == t || !ops->trylock(m))
		return (0);
	acquired(m, t, false);
	if (__builtin_expect(m->m_ls != NULL, 0) &&
	    vt_lockstat_timed(m->m_acq))
		m->m_ls->ls_t0 = vt_lockstat_now();
	return (1);
}

/* Releases m, which the caller must hold. */
void
mutex_exit(kmutex_t *m)
{
	kthread_t *t = vt_curthread();
	kthread_t *o = VT_PEEK(m->m_owner);

	if (__builtin_expect(o != t, 0)) {
		if (o == NULL)
			mutex_panic(m, "released by non-owner (thread %u; "
			    "not held)", t->t_id);
		mutex_panic(m, "released by non-owner (thread %u; held by "
		    "thread %u)", t->t_id, o->t_id);
	}
	if (__builtin_expect(m->m_ls != NULL, 0) &&
	    vt_lockstat_timed(m->m_acq))
		vt_lockstat_release(m->m_ls);	/* still ours: before the unlock */
	held_pop(t, m);
	VT_POKE(m->m_owner, NULL);
	vt_lock_ops->unlock(m);
	/* Mutant mutex-exit-nowake: parked waiters stay parked. */
	if (vt_sched_ctl != NULL && !VT_INJECT(MUTEX_EXIT_NOWAKE))
		vt_sched_ctl->wake(m);
	vt_sched_point_at(VT_SP_UNLOCK, m, __builtin_return_address(0));
}

kthread_t *
vt_mutex_owner(const kmutex_t *m)
{
	return (VT_PEEK(m->m_owner));
}

/* ---- condition variables ------------------------------------------------ */

/*
 * A waiter samples cv_seq while holding the mutex, drops the mutex and
 * sleeps only while cv_seq still has that value; signal and broadcast bump
 * it, so a wake-up between the unlock and the sleep is never lost.
 * cv_waiters (counted up before the unlock, down after retaking the mutex)
 * only spares the waker a futex call when nobody can be asleep.
 *
 * Controlled mode: the workers share one OS thread, so a waiter does not
 * sleep in the kernel; it repeats VT_SP_CV_WAIT on cv until cv_seq moves,
 * which tells the scheduler it is blocked on cv.
 */
static long
futex_op(uint32_t *w, int op, uint32_t val)
{
	return (syscall(SYS_futex, w, op, val, NULL, NULL, 0));
}

void
cv_init(kcondvar_t *cv, const char *name, int type, void *arg)
{
	__atomic_store_n(&cv->cv_seq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&cv->cv_waiters, 0, __ATOMIC_RELAXED);
}

void
cv_destroy(kcondvar_t *cv)
{
	uint32_t w = __atomic_load_n(&cv->cv_waiters, __ATOMIC_RELAXED);

	if (w != 0)
		panic("cv_destroy: %u threads still waiting", w);
}

/*
 * cv_wait with the wait record naming obj/what (the cv itself, or the
 * rwlock built on it) and pc (the caller of cv_wait or rw_enter) as the
 * site.  m held on entry; dropped while asleep; held again on return.
 */
static void
cv_block(kcondvar_t *cv, kmutex_t *m, const void *obj, const char *what,
    const void *pc)
{
	kthread_t *t = vt_curthread();
	uint32_t seq;

	if (VT_PEEK(m->m_owner) != t)
		mutex_panic(m, "cv_wait without holding the mutex");
	vt_sched_point_at(VT_SP_CV_WAIT, cv, pc);
	seq = __atomic_load_n(&cv->cv_seq, __ATOMIC_ACQUIRE);
	__atomic_add_fetch(&cv->cv_waiters, 1, __ATOMIC_SEQ_CST);
	mutex_exit(m);

	VT_POKE(t->t_wait_what, what);
	VT_POKE(t->t_wait_pc, pc);
	VT_POKE(t->t_wait, obj);
	if (vt_sched_hook == (vt_sched_hook_t)0) {
		/* EAGAIN (already bumped), EINTR and spurious returns are fine. */
		(void) futex_op(&cv->cv_seq, FUTEX_WAIT_PRIVATE, seq);
	} else if (vt_sched_ctl != NULL) {
		/* Controlled mode: parked on cv until cv_signal/broadcast. */
		while (__atomic_load_n(&cv->cv_seq, __ATOMIC_ACQUIRE) == seq)
			vt_sched_ctl->block(cv, what);
	} else {
		while (__atomic_load_n(&cv->cv_seq, __ATOMIC_ACQUIRE) == seq)
			vt_sched_point_at(VT_SP_CV_WAIT, cv, pc);
	}
	VT_POKE(t->t_wait, NULL);
	VT_POKE(t->t_wait_pc, NULL);

	mutex_enter(m);
	__atomic_sub_fetch(&cv->cv_waiters, 1, __ATOMIC_SEQ_CST);
}

/* m held on entry; dropped while asleep; held again on return. */
void
cv_wait(kcondvar_t *cv, kmutex_t *m)
{
	cv_block(cv, m, cv, "cv", __builtin_return_address(0));
}

/* pc: the caller of cv_signal/cv_broadcast, the point's site. */
static void
cv_wake(kcondvar_t *cv, int nwake, const void *pc)
{
	vt_sched_point_at(VT_SP_CV_WAKE, cv, pc);
	/* Mutant cv-lost-signal: every other wake-up with sleepers is lost. */
	if (VT_INJECT(CV_LOST_SIGNAL) &&
	    __atomic_load_n(&cv->cv_waiters, __ATOMIC_SEQ_CST) != 0 &&
	    (vt_inject_tick(VT_MUT_CV_LOST_SIGNAL) & 1) != 0)
		return;
	__atomic_add_fetch(&cv->cv_seq, 1, __ATOMIC_SEQ_CST);
	if (vt_sched_ctl != NULL)
		vt_sched_ctl->wake(cv);
	if (__atomic_load_n(&cv->cv_waiters, __ATOMIC_SEQ_CST) != 0 &&
	    vt_sched_hook == (vt_sched_hook_t)0)
		(void) futex_op(&cv->cv_seq, FUTEX_WAKE_PRIVATE, (uint32_t)nwake);
}

void
cv_signal(kcondvar_t *cv)
{
	cv_wake(cv, 1, __builtin_return_address(0));
}

void
cv_broadcast(kcondvar_t *cv)
{
	cv_wake(cv, INT_MAX, __builtin_return_address(0));
}

/* ---- reader/writer locks ------------------------------------------------ */

void
rw_init(krwlock_t *rw, const char *name, int type, void *arg)
{
	/* The internal mutex is anonymous (misc): it orders nothing. */
	mutex_init(&rw->rw_mutex, NULL, MUTEX_DEFAULT, NULL);
	cv_init(&rw->rw_cv, name, CV_DEFAULT, NULL);
	VT_POKE(rw->rw_readers, 0);
	VT_POKE(rw->rw_writer, NULL);
	rw->rw_wwant = 0;
}

void
rw_destroy(krwlock_t *rw)
{
	if (VT_PEEK(rw->rw_writer) != NULL || VT_PEEK(rw->rw_readers) != 0)
		panic("rw_destroy: rwlock %p still held", (void *)rw);
	cv_destroy(&rw->rw_cv);
	mutex_destroy(&rw->rw_mutex);
}

/*
 * Takes rw as reader or writer.  Takes and drops rw_mutex (waiting on
 * rw_cv, which drops and retakes it, while the lock is unavailable); a
 * waiting writer keeps new readers out.
 */
void
rw_enter(krwlock_t *rw, krw_t how)
{
	kthread_t *t = vt_curthread();

	mutex_enter(&rw->rw_mutex);
	if (rw->rw_writer == t)
		panic("rw_enter: rwlock %p: recursive entry by its writer "
		    "(thread %u)", (void *)rw, t->t_id);
	if (how == RW_WRITER) {
		rw->rw_wwant++;
		while (rw->rw_writer != NULL || rw->rw_readers != 0)
			cv_block(&rw->rw_cv, &rw->rw_mutex, rw, "rwlock",
			    __builtin_return_address(0));
		rw->rw_wwant--;
		VT_POKE(rw->rw_writer, t);
	} else {
		while (rw->rw_writer != NULL || rw->rw_wwant != 0)
			cv_block(&rw->rw_cv, &rw->rw_mutex, rw, "rwlock",
			    __builtin_return_address(0));
		VT_POKE(rw->rw_readers, rw->rw_readers + 1);
	}
	mutex_exit(&rw->rw_mutex);
}

/* Releases rw (as writer if the caller is the writer, else as a reader). */
void
rw_exit(krwlock_t *rw)
{
	kthread_t *t = vt_curthread();
	bool wake;

	mutex_enter(&rw->rw_mutex);
	if (rw->rw_writer == t) {
		VT_POKE(rw->rw_writer, NULL);
		wake = true;
	} else {
		if (rw->rw_readers <= 0)
			panic("rw_exit: rwlock %p not held by thread %u",
			    (void *)rw, t->t_id);
		VT_POKE(rw->rw_readers, rw->rw_readers - 1);
		wake = (rw->rw_readers == 0);
	}
	if (wake)
		cv_broadcast(&rw->rw_cv);
	mutex_exit(&rw->rw_mutex);
}

bool
rw_write_held(krwlock_t *rw)
{
	return (VT_PEEK(rw->rw_writer) == vt_curthread());
}

/* Kernel meaning: held as writer by the caller, or by any reader. */
bool
rw_lock_held(krwlock_t *rw)
{
	return (rw_write_held(rw) || VT_PEEK(rw->rw_readers) > 0);
}
