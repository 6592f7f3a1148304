/*
 * test_locks.c - unit tests of the lock layer (locks/): every back end
 * excludes, kmutex owner tracking and its panics, tryenter, condition
 * variables, reader/writer locks, lock tables and their statistics, the
 * schedule-point hook, and that the deliberately broken `busted` back end
 * is caught.
 *
 * Tests that must panic run in a fork()ed child whose output is captured;
 * the parent has no other thread alive when it forks.
 */
#include "locks/kmutex.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "locks/atomic.h"
#include "locks/kthread.h"
#include "locks/lockops.h"
#include "locks/locktable.h"
#include "locks/sched_point.h"
#include "tests/tap.h"
#include "tests/child.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#if (defined(__SANITIZE_THREAD__) || defined(VT_TSAN)) && !defined(TEST_TSAN)
#define TEST_TSAN 1
#endif

#ifdef TEST_TSAN
#define ITERS		30000	/* per thread, per back end */
#define BUSTED_ITERS	50000
#else
#define ITERS		200000
#define BUSTED_ITERS	1000000
#endif
#define NTHREADS	4

static cpu_t cpus[NTHREADS + 2];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits (up to 5 s) until *flag is non-zero; returns whether it became so. */
static int
await_flag(const int *flag)
{
	uint64_t deadline = now_ns() + 5000000000ULL;

	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == 0) {
		if (now_ns() > deadline)
			return (0);
		sched_yield();
	}
	return (1);
}

/* Waits (up to 5 s) until kthread t is blocked on obj. */
static int
await_wait(kthread_t *t, const void *obj)
{
	uint64_t deadline = now_ns() + 5000000000ULL;

	while (VT_PEEK(t->t_wait) != obj) {
		if (now_ns() > deadline)
			return (0);
		sched_yield();
	}
	return (1);
}

/* A worker thread with its own kthread. */
struct worker {
	pthread_t	w_tid;
	kthread_t	w_kt;
	void		(*w_fn)(struct worker *);
	void		*w_arg;
	uint32_t	w_id;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	vt_thread_set_current(&w->w_kt);
	w->w_fn(w);
	vt_thread_fini(&w->w_kt);
	return (NULL);
}

static void
worker_start(struct worker *w, uint32_t id, void (*fn)(struct worker *),
    void *arg)
{
	memset(w, 0, sizeof (*w));
	w->w_id = id;
	w->w_fn = fn;
	w->w_arg = arg;
	/* Before the thread exists: the parent may watch w_kt.t_wait. */
	vt_thread_init(&w->w_kt, id, &cpus[id % (NTHREADS + 2)], 1000 + id);
	if (pthread_create(&w->w_tid, NULL, worker_main, w) != 0) {
		perror("pthread_create");
		exit(99);
	}
}

static void
worker_join(struct worker *w)
{
	(void) pthread_join(w->w_tid, NULL);
}

static int
child_failed(int status)
{
	return (WIFSIGNALED(status) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) != 0));
}

/* The most telling line of the captured output, for diagnostics. */
static const char *
first_line(char *s)
{
	static const char *const keys[] = { "panic", "ThreadSanitizer:",
	    "busted:", "survived" };
	char *p = s, *nl;
	size_t i;

	for (i = 0; i < sizeof (keys) / sizeof (keys[0]); i++) {
		if ((p = strstr(s, keys[i])) != NULL)
			break;
	}
	if (p == NULL)
		p = s;
	if ((nl = strchr(p, '\n')) != NULL)
		*nl = '\0';
	return (p);
}

/* ---- mutual exclusion --------------------------------------------------- */

struct hammer {
	kmutex_t	h_m;
	uint64_t	h_count;	/* plain, protected by h_m */
	int		h_iters;
	int		h_ready;	/* atomics: workers at the start gate */
	int		h_go;		/* atomics: gate open */
};

static void
hammer_fn(struct worker *w)
{
	struct hammer *h = w->w_arg;
	int i;

	/* Start together so the threads really contend. */
	__atomic_add_fetch(&h->h_ready, 1, __ATOMIC_RELAXED);
	(void) await_flag(&h->h_go);
	for (i = 0; i < h->h_iters; i++) {
		mutex_enter(&h->h_m);
		h->h_count++;
		mutex_exit(&h->h_m);
	}
}

/* NTHREADS threads increment h_count under h_m; returns the total. */
static uint64_t
hammer_run(struct hammer *h, int iters)
{
	struct worker w[NTHREADS];
	int i;

	h->h_count = 0;
	h->h_iters = iters;
	h->h_ready = h->h_go = 0;
	for (i = 0; i < NTHREADS; i++)
		worker_start(&w[i], (uint32_t)i + 1, hammer_fn, h);
	while (__atomic_load_n(&h->h_ready, __ATOMIC_RELAXED) < NTHREADS)
		sched_yield();
	__atomic_store_n(&h->h_go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NTHREADS; i++)
		worker_join(&w[i]);
	return (h->h_count);
}

static void
test_exclusion(const struct vt_lock_ops *ops)
{
	struct hammer h;
	uint64_t total, t0 = now_ns();

	mutex_init(&h.h_m, "hammer", MUTEX_DEFAULT, NULL);
	total = hammer_run(&h, ITERS);
	tap_ok(total == (uint64_t)NTHREADS * ITERS,
	    "%s: %d threads x %d increments under a mutex = %llu (%.0f ms)",
	    ops->name, NTHREADS, ITERS, (unsigned long long)total,
	    (double)(now_ns() - t0) / 1e6);
	tap_ok(h.h_m.m_acq == (uint64_t)NTHREADS * ITERS,
	    "%s: m_acq counts every acquisition (%llu, %llu contended)",
	    ops->name, (unsigned long long)h.h_m.m_acq,
	    (unsigned long long)h.h_m.m_contended);
	mutex_destroy(&h.h_m);
}

/* ---- held / contended / tryenter ---------------------------------------- */

struct contend {
	kmutex_t	*c_m;
	int		c_in;		/* set once the worker got c_m */
	int		c_try;
};

static void
contend_fn(struct worker *w)
{
	struct contend *c = w->w_arg;

	mutex_enter(c->c_m);
	__atomic_store_n(&c->c_in, 1, __ATOMIC_RELEASE);
	mutex_exit(c->c_m);
}

static void
tryer_fn(struct worker *w)
{
	struct contend *c = w->w_arg;

	c->c_try = mutex_tryenter(c->c_m);
	if (c->c_try)
		mutex_exit(c->c_m);
}

static void
test_held_contended(const struct vt_lock_ops *ops)
{
	kthread_t *me = curthread;
	struct contend c = { 0 };
	struct worker w;
	kmutex_t m;
	int waited;

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	c.c_m = &m;
	tap_ok(!MUTEX_HELD(&m) && vt_mutex_owner(&m) == NULL,
	    "%s: fresh mutex not held", ops->name);
	mutex_enter(&m);
	tap_ok(MUTEX_HELD(&m) && vt_mutex_owner(&m) == me &&
	    me->t_nheld == 1 && me->t_held[0] == &m,
	    "%s: MUTEX_HELD and t_held[] while held", ops->name);

	/* A second thread must wait: contended count goes up. */
	worker_start(&w, 1, contend_fn, &c);
	waited = await_wait(&w.w_kt, &m);
	sleep_ms(2);
	tap_ok(waited && __atomic_load_n(&c.c_in, __ATOMIC_ACQUIRE) == 0,
	    "%s: a second thread blocks (t_wait names the mutex)", ops->name);
	mutex_exit(&m);
	worker_join(&w);
	tap_ok(c.c_in == 1 && !MUTEX_HELD(&m) && me->t_nheld == 0,
	    "%s: released; waiter got in; t_nheld back to 0", ops->name);
	tap_ok(m.m_acq == 2 && m.m_contended >= 1,
	    "%s: m_acq %llu, m_contended %llu > 0 after contention", ops->name,
	    (unsigned long long)m.m_acq, (unsigned long long)m.m_contended);

	if (ops->trylock != NULL) {
		int r1, r2;

		r1 = mutex_tryenter(&m);
		r2 = mutex_tryenter(&m);	/* owner: just fails */
		worker_start(&w, 2, tryer_fn, &c);
		worker_join(&w);
		tap_ok(r1 == 1 && r2 == 0 && c.c_try == 0 && MUTEX_HELD(&m),
		    "%s: tryenter free=1, by owner=0, by another thread=0",
		    ops->name);
		mutex_exit(&m);
		worker_start(&w, 2, tryer_fn, &c);
		worker_join(&w);
		tap_ok(c.c_try == 1 && !MUTEX_HELD(&m),
		    "%s: tryenter by another thread after release = 1",
		    ops->name);
	}
	mutex_destroy(&m);
}

/* ---- panics in a child --------------------------------------------------- */

static void
child_recursive(void *arg)
{
	kmutex_t m;

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	mutex_enter(&m);
	mutex_enter(&m);
	printf("survived recursive mutex_enter\n");
}

static void
other_owner_fn(struct worker *w)
{
	mutex_enter(w->w_arg);
}

static void
child_nonowner(void *arg)
{
	struct worker w;
	kmutex_t m;

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	worker_start(&w, 1, other_owner_fn, &m);
	worker_join(&w);
	mutex_exit(&m);		/* held by thread 1, released by thread 0 */
	printf("survived mutex_exit by a non-owner\n");
}

static void
child_unheld_exit(void *arg)
{
	kmutex_t m;

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	mutex_exit(&m);
	printf("survived mutex_exit of a free mutex\n");
}

static void
child_clh_tryenter(void *arg)
{
	kmutex_t m;

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	(void) mutex_tryenter(&m);
	printf("survived mutex_tryenter on clh\n");
}

static void
expect_panic(const char *what, void (*fn)(void *), const char *needle)
{
	char out[8192];
	int st = run_child(fn, NULL, out, sizeof (out));
	int found = strstr(out, needle) != NULL;

	tap_ok(child_failed(st) && found, "%s: %s panics (status %#x): %s",
	    vt_lock_ops->name, what, st, first_line(out));
}

/* ---- condition variables ------------------------------------------------ */

#define PINGPONG	2000
#define NBCAST		3

struct cvtest {
	kmutex_t	cv_m;
	kcondvar_t	cv_cv;
	int		cv_turn;	/* cv_m */
	int		cv_rounds;	/* cv_m */
	int		cv_go;		/* cv_m */
	int		cv_nwait;	/* cv_m */
	int		cv_woke;	/* cv_m */
};

static void
pingpong_fn(struct worker *w)
{
	struct cvtest *c = w->w_arg;
	int me = (int)w->w_id - 1, i;

	for (i = 0; i < PINGPONG; i++) {
		mutex_enter(&c->cv_m);
		while (c->cv_turn != me)
			cv_wait(&c->cv_cv, &c->cv_m);
		c->cv_rounds++;
		c->cv_turn = 1 - me;
		cv_signal(&c->cv_cv);
		mutex_exit(&c->cv_m);
	}
}

static void
bcast_fn(struct worker *w)
{
	struct cvtest *c = w->w_arg;

	mutex_enter(&c->cv_m);
	c->cv_nwait++;
	while (!c->cv_go)
		cv_wait(&c->cv_cv, &c->cv_m);
	c->cv_woke++;
	mutex_exit(&c->cv_m);
}

static void
test_cv(void)
{
	struct worker w[NBCAST];
	struct cvtest c = { 0 };
	int i, n;
	uint64_t deadline;

	mutex_init(&c.cv_m, "cv", MUTEX_DEFAULT, NULL);
	cv_init(&c.cv_cv, "cv", CV_DEFAULT, NULL);
	worker_start(&w[0], 1, pingpong_fn, &c);
	worker_start(&w[1], 2, pingpong_fn, &c);
	worker_join(&w[0]);
	worker_join(&w[1]);
	tap_ok(c.cv_rounds == 2 * PINGPONG,
	    "%s: cv_wait/cv_signal ping-pong, %d hand-offs", vt_lock_ops->name,
	    c.cv_rounds);

	for (i = 0; i < NBCAST; i++)
		worker_start(&w[i], (uint32_t)i + 1, bcast_fn, &c);
	deadline = now_ns() + 5000000000ULL;
	for (;;) {
		mutex_enter(&c.cv_m);
		n = c.cv_nwait;
		mutex_exit(&c.cv_m);
		if (n == NBCAST || now_ns() > deadline)
			break;
		sleep_ms(1);
	}
	for (i = 0; i < NBCAST; i++)
		(void) await_wait(&w[i].w_kt, &c.cv_cv);
	mutex_enter(&c.cv_m);
	c.cv_go = 1;
	cv_broadcast(&c.cv_cv);
	mutex_exit(&c.cv_m);
	for (i = 0; i < NBCAST; i++)
		worker_join(&w[i]);
	tap_ok(c.cv_woke == NBCAST, "%s: cv_broadcast wakes all %d waiters",
	    vt_lock_ops->name, c.cv_woke);
	tap_ok(c.cv_cv.cv_waiters == 0, "%s: no cv waiters left",
	    vt_lock_ops->name);
	cv_destroy(&c.cv_cv);
	mutex_destroy(&c.cv_m);
}

/* ---- reader/writer locks ------------------------------------------------ */

struct rwtest {
	krwlock_t	rw_lock;
	int		rw_a, rw_b;	/* flags, atomics */
	int		rw_seq;		/* atomics: order of entry */
	int		rw_wseq, rw_rseq;
	uint64_t	rw_val;		/* plain: written under the writer lock */
	int		rw_bad;
};

static void
share_a_fn(struct worker *w)
{
	struct rwtest *r = w->w_arg;

	rw_enter(&r->rw_lock, RW_READER);
	__atomic_store_n(&r->rw_a, 1, __ATOMIC_RELEASE);
	if (!await_flag(&r->rw_b))
		__atomic_store_n(&r->rw_bad, 1, __ATOMIC_RELAXED);
	rw_exit(&r->rw_lock);
}

static void
share_b_fn(struct worker *w)
{
	struct rwtest *r = w->w_arg;

	rw_enter(&r->rw_lock, RW_READER);
	__atomic_store_n(&r->rw_b, 1, __ATOMIC_RELEASE);
	if (!await_flag(&r->rw_a))
		__atomic_store_n(&r->rw_bad, 1, __ATOMIC_RELAXED);
	rw_exit(&r->rw_lock);
}

static void
rw_reader_fn(struct worker *w)
{
	struct rwtest *r = w->w_arg;

	rw_enter(&r->rw_lock, RW_READER);
	r->rw_rseq = __atomic_add_fetch(&r->rw_seq, 1, __ATOMIC_RELAXED);
	rw_exit(&r->rw_lock);
}

static void
rw_writer_fn(struct worker *w)
{
	struct rwtest *r = w->w_arg;

	rw_enter(&r->rw_lock, RW_WRITER);
	r->rw_wseq = __atomic_add_fetch(&r->rw_seq, 1, __ATOMIC_RELAXED);
	rw_exit(&r->rw_lock);
}

static void
rw_mixed_fn(struct worker *w)
{
	struct rwtest *r = w->w_arg;
	int i;

	for (i = 0; i < ITERS / 10; i++) {
		if (i % 4 == (int)w->w_id % 4) {
			rw_enter(&r->rw_lock, RW_WRITER);
			if (!rw_write_held(&r->rw_lock))
				__atomic_store_n(&r->rw_bad, 1, __ATOMIC_RELAXED);
			r->rw_val++;
			r->rw_val++;
			rw_exit(&r->rw_lock);
		} else {
			uint64_t v;

			rw_enter(&r->rw_lock, RW_READER);
			v = r->rw_val;
			sched_yield();
			if ((v & 1) != 0 || v != r->rw_val ||
			    !rw_lock_held(&r->rw_lock) ||
			    rw_write_held(&r->rw_lock))
				__atomic_store_n(&r->rw_bad, 1, __ATOMIC_RELAXED);
			rw_exit(&r->rw_lock);
		}
	}
}

static void
test_rwlock(void)
{
	struct rwtest r = { 0 };
	struct worker w[NTHREADS];
	int i, blocked, wt, rt;

	rw_init(&r.rw_lock, "rw", 0, NULL);

	/* Two readers inside at once. */
	worker_start(&w[0], 1, share_a_fn, &r);
	worker_start(&w[1], 2, share_b_fn, &r);
	worker_join(&w[0]);
	worker_join(&w[1]);
	tap_ok(r.rw_bad == 0 && r.rw_a && r.rw_b,
	    "rwlock: two readers hold it at the same time");

	/* A writer keeps a reader out. */
	rw_enter(&r.rw_lock, RW_WRITER);
	tap_ok(rw_write_held(&r.rw_lock) && rw_lock_held(&r.rw_lock),
	    "rwlock: rw_write_held/rw_lock_held for the writer");
	worker_start(&w[0], 1, rw_reader_fn, &r);
	blocked = await_wait(&w[0].w_kt, &r.rw_lock);
	sleep_ms(2);
	tap_ok(blocked && __atomic_load_n(&r.rw_seq, __ATOMIC_RELAXED) == 0,
	    "rwlock: a reader waits while a writer holds it (t_wait %s)",
	    VT_PEEK(w[0].w_kt.t_wait_what) ? VT_PEEK(w[0].w_kt.t_wait_what) :
	    "-");
	rw_exit(&r.rw_lock);
	worker_join(&w[0]);
	tap_ok(r.rw_seq == 1 && !rw_lock_held(&r.rw_lock),
	    "rwlock: the reader gets in after the writer leaves");

	/* A waiting writer goes before readers that arrive after it. */
	r.rw_seq = 0;
	rw_enter(&r.rw_lock, RW_READER);
	tap_ok(rw_lock_held(&r.rw_lock) && !rw_write_held(&r.rw_lock),
	    "rwlock: rw_lock_held, not rw_write_held, for a reader");
	worker_start(&w[0], 1, rw_writer_fn, &r);
	wt = await_wait(&w[0].w_kt, &r.rw_lock);
	worker_start(&w[1], 2, rw_reader_fn, &r);
	rt = await_wait(&w[1].w_kt, &r.rw_lock);
	rw_exit(&r.rw_lock);
	worker_join(&w[0]);
	worker_join(&w[1]);
	tap_ok(wt && rt && r.rw_wseq == 1 && r.rw_rseq == 2,
	    "rwlock: writers preferred (writer %d, late reader %d)",
	    r.rw_wseq, r.rw_rseq);

	/* Mixed load: readers never see a half-done writer. */
	r.rw_val = 0;
	for (i = 0; i < NTHREADS; i++)
		worker_start(&w[i], (uint32_t)i + 1, rw_mixed_fn, &r);
	for (i = 0; i < NTHREADS; i++)
		worker_join(&w[i]);
	tap_ok(r.rw_bad == 0 && (r.rw_val & 1) == 0 && r.rw_val > 0,
	    "rwlock: %d threads mixed readers/writers consistent (val %llu)",
	    NTHREADS, (unsigned long long)r.rw_val);
	rw_destroy(&r.rw_lock);
}

/* ---- lock tables and classes ------------------------------------------- */

static void
test_tables(void)
{
	struct vt_lock_class *tab, *one, *sc, *c;
	struct vt_lock_stats st;
	kmutex_t single, a, b, misc;
	char name[64];
	int i, found = 0;

	tap_ok(vt_is_pow2(1) && vt_is_pow2(2) && vt_is_pow2(2048) &&
	    vt_is_pow2(1ULL << 63) && !vt_is_pow2(0) && !vt_is_pow2(3) &&
	    !vt_is_pow2(6) && !vt_is_pow2(2049), "vt_is_pow2");

	tab = vt_locktable_create("tlock", 8);
	tap_ok(tab->lc_size == 8 && tab->lc_table && tab->lc_locks != NULL &&
	    vt_locktable_lock(tab, 13) == &tab->lc_locks[5] &&
	    vt_locktable_lock(tab, 8) == &tab->lc_locks[0] &&
	    vt_locktable_lock(tab, 0xffffffffffULL) == &tab->lc_locks[7],
	    "vt_locktable_lock masks the hash with size-1");
	tap_ok(strcmp(vt_mutex_name(&tab->lc_locks[5], name, sizeof (name)),
	    "tlock[5]") == 0, "table member named %s", name);

	one = vt_lockclass_create("tsingle");
	vt_mutex_init_class(&single, one, 0);
	tap_ok(strcmp(vt_mutex_name(&single, name, sizeof (name)),
	    "tsingle") == 0, "singleton named %s", name);
	mutex_init(&misc, NULL, MUTEX_DEFAULT, NULL);
	tap_ok(strcmp(vt_mutex_name(&misc, name, sizeof (name)), "misc") == 0 &&
	    misc.m_class == vt_lockclass_misc(),
	    "an unnamed mutex_init'd mutex is in class %s", name);
	mutex_destroy(&misc);
	mutex_init(&misc, "whatever", MUTEX_DEFAULT, NULL);
	tap_ok(strcmp(vt_mutex_name(&misc, name, sizeof (name)), "whatever") ==
	    0 && misc.m_class == vt_lockclass_named("whatever") &&
	    misc.m_class != vt_lockclass_misc(),
	    "a named mutex_init'd mutex is a class of its own (%s)", name);

	for (i = 0; i < 3; i++) {
		mutex_enter(vt_locktable_lock(tab, (uint64_t)i));
		mutex_exit(vt_locktable_lock(tab, (uint64_t)i));
	}
	mutex_enter(vt_locktable_lock(tab, 9));
	mutex_exit(vt_locktable_lock(tab, 9));
	vt_locktable_stats(tab, &st);
	tap_ok(st.acquisitions == 4 && tab->lc_locks[1].m_acq == 2,
	    "table stats sum the members (%llu)",
	    (unsigned long long)st.acquisitions);

	/* Scattered class: a destroyed member's counts are retired. */
	sc = vt_lockclass_create("thatm");
	vt_mutex_init_class(&a, sc, 1);
	vt_mutex_init_class(&b, sc, 2);
	for (i = 0; i < 3; i++) {
		mutex_enter(&a);
		mutex_exit(&a);
		mutex_enter(&b);
		mutex_exit(&b);
	}
	tap_ok(strcmp(vt_mutex_name(&b, name, sizeof (name)), "thatm#2") == 0,
	    "scattered member named %s", name);
	mutex_destroy(&a);
	vt_locktable_stats(sc, &st);
	tap_ok(st.acquisitions == 3, "retired member counts kept (%llu)",
	    (unsigned long long)st.acquisitions);
	vt_lockclass_add(&st, &b);
	tap_ok(st.acquisitions == 6, "live member added by the caller (%llu)",
	    (unsigned long long)st.acquisitions);

	for (c = vt_lockclass_first(); c != NULL; c = c->lc_next)
		found += (c == tab) + (c == one) + (c == sc) +
		    (c == vt_lockclass_misc());
	tap_ok(found == 4, "registry lists table, singleton, scattered, misc");

	mutex_destroy(&b);
	mutex_destroy(&single);
	mutex_destroy(&misc);
	vt_locktable_destroy(tab);
	vt_lockclass_reset();
	tap_ok(vt_lockclass_first() == NULL && vt_mutex_live_count() == 0,
	    "vt_lockclass_reset empties the registry; no mutex left");
}

/* ---- the schedule-point hook -------------------------------------------- */

static uint64_t hook_counts[VT_SP_NKINDS];	/* atomics */

static void
count_hook(enum vt_sp_kind kind, const void *obj, const void *pc)
{
	__atomic_add_fetch(&hook_counts[kind], 1, __ATOMIC_RELAXED);
	if (kind == VT_SP_YIELD || kind == VT_SP_CV_WAIT)
		sched_yield();
}

/*
 * With a hook installed the back ends take their controlled-mode paths
 * (retry with yield points, cv waits by polling).  Real threads still run
 * in parallel here, which those paths must also survive.
 */
static void
test_hook(const struct vt_lock_ops *ops)
{
	struct hammer h;
	uint64_t total, acq;

	memset(hook_counts, 0, sizeof (hook_counts));
	mutex_init(&h.h_m, NULL, MUTEX_DEFAULT, NULL);
	vt_sched_hook = count_hook;
	total = hammer_run(&h, ITERS / 4);
	vt_sched_hook = NULL;
	acq = h.h_m.m_acq;
	tap_ok(total == (uint64_t)NTHREADS * (ITERS / 4) &&
	    hook_counts[VT_SP_LOCK] == acq && hook_counts[VT_SP_UNLOCK] == acq,
	    "%s: hook mode exact (%llu); lock/unlock points %llu/%llu, "
	    "yields %llu", ops->name, (unsigned long long)total,
	    (unsigned long long)hook_counts[VT_SP_LOCK],
	    (unsigned long long)hook_counts[VT_SP_UNLOCK],
	    (unsigned long long)hook_counts[VT_SP_YIELD]);
	mutex_destroy(&h.h_m);
	tap_ok(strcmp(vt_sp_kind_name(VT_SP_CV_WAIT), "cv_wait") == 0 &&
	    strcmp(vt_sp_kind_name(VT_SP_NKINDS), "?") == 0,
	    "vt_sp_kind_name");
}

/* ---- the canary ---------------------------------------------------------- */

static void
child_busted(void *arg)
{
	struct hammer h;
	uint64_t total;

	vt_lock_select(&vt_lock_busted_ops);
	mutex_init(&h.h_m, NULL, MUTEX_DEFAULT, NULL);
	total = hammer_run(&h, BUSTED_ITERS);
	if (total != (uint64_t)NTHREADS * BUSTED_ITERS) {
		printf("busted: counter %llu, expected %llu\n",
		    (unsigned long long)total,
		    (unsigned long long)NTHREADS * BUSTED_ITERS);
		exit(1);
	}
	printf("busted: not caught\n");
}

static void
test_busted(void)
{
	char out[8192];
	int st = run_child(child_busted, NULL, out, sizeof (out));

	tap_ok(child_failed(st),
	    "busted: broken mutual exclusion detected (status %#x): %s", st,
	    first_line(out));
}

/* ---- main ---------------------------------------------------------------- */

int
main(void)
{
	uint64_t t0 = now_ns();
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NTHREADS + 2; i++)
		cpus[i].cpu_seqid = (uint32_t)i;

	tap_ok(curthread != NULL && curthread->t_id == 0 && CPU != NULL &&
	    CPU->cpu_seqid == 0, "default boot kthread: t_id 0, cpu 0");
	tap_ok(vt_lock_ops == &vt_lock_pthread_ops &&
	    vt_lock_find("mcs") == &vt_lock_mcs_ops &&
	    vt_lock_find("nope") == NULL, "pthread default; vt_lock_find");

	for (i = 0; vt_lock_backends[i] != NULL; i++) {
		const struct vt_lock_ops *ops = vt_lock_backends[i];

		if (ops->broken)
			continue;
		vt_lock_select(ops);
		tap_diag("back end %s: %s", ops->name, ops->desc);
		test_exclusion(ops);
		test_held_contended(ops);
		expect_panic("recursive mutex_enter", child_recursive,
		    "recursive");
		expect_panic("mutex_exit by a non-owner", child_nonowner,
		    "released by non-owner");
		expect_panic("mutex_exit of a free mutex", child_unheld_exit,
		    "released by non-owner");
		if (ops->trylock == NULL)
			expect_panic("mutex_tryenter", child_clh_tryenter,
			    "try-lock");
		test_cv();
		test_hook(ops);
		tap_ok(vt_mutex_live_count() == 0, "%s: every mutex destroyed",
		    ops->name);
	}
	vt_lock_select(&vt_lock_pthread_ops);

	test_rwlock();
	test_tables();
	test_busted();

	vt_lock_select(&vt_lock_adaptive_ops);
	tap_ok(vt_lock_ops == &vt_lock_adaptive_ops,
	    "vt_lock_select once no mutex is left");
	tap_diag("total %.2f s", (double)(now_ns() - t0) / 1e9);
	tap_plan(tap_n);	/* trailing plan: the count depends on the back ends */
	return (tap_done());
}
