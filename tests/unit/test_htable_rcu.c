/*
 * test_htable_rcu.c - unit tests for --htable-lookup rcu (core/htable_rcu.c
 * and the RCU decisions in core/htable.c), TAP.
 *
 * Single-threaded part, on a known table: an RCU lookup finds a hashed
 * table and holds it by CAS; a second hold keeps an emptied table hashed;
 * the last release makes the table dead (HT_BUSY_DEAD), unhashes it and
 * parks it in the limbo with its owner's pending count raised, where no
 * lookup can find it; a stale walker's CAS on a dead table is refused; a
 * barrier waits out a grace period and hands it to the hat's cache.
 * Concurrent part: workers create, look up (RCU) and release a few shared
 * leaf tables and map their own pages through them while a reaper steals;
 * every hold must be of the table asked for, and at the end the limbo
 * drains and hat_free gives every frame back.  Meant to run under TSan too.
 */
#include "core/htable.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "core/hat.h"
#include "core/hment.h"
#include "core/htable_rcu.h"
#include "core/page.h"
#include "locks/rcu.h"
#include "tests/tap.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
/* No engine is linked, so the liburcu suppressions are given here. */
const char *__tsan_default_suppressions(void);
const char *
__tsan_default_suppressions(void)
{
	return (VT_RCU_TSAN_SUPPRESSIONS);
}
#endif
#endif

#define	NPAGES		4096
#define	THROTTLE	16
#define	NWORKERS	3
#define	NITER		20000
#define	NVAS		4

static uintptr_t
make_va(uint_t e3, uint_t e2, uint_t e1, uint_t e0)
{
	return (((uintptr_t)e3 << 39) | ((uintptr_t)e2 << 30) |
	    ((uintptr_t)e1 << 21) | ((uintptr_t)e0 << 12));
}

static uint_t
limbo_len(void)
{
	uint_t n = 0;

	for (htable_t *ht = htable_rcu_limbo; ht != NULL; ht = ht->ht_rcu_next)
		++n;
	return (n);
}

static bool
on_cache(hat_t *hat, htable_t *want)
{
	for (htable_t *ht = hat->hat_ht_cached; ht != NULL; ht = ht->ht_next)
		if (ht == want)
			return (true);
	return (false);
}

static void
test_single(hat_t *hat)
{
	uintptr_t va = make_va(3, 5, 7, 0);
	htable_t *ht, *h2, *parent;
	struct hatstats s0, s1;
	htable_t *head;
	uint_t hv;
	int gave_up;

	vt_hatstats_sum(&s0);
	ht = htable_create(hat, va, 0, NULL);
	parent = ht->ht_parent;
	tap_ok(ht != NULL && VT_PEEK(ht->ht_busy) == 1,
	    "create: a leaf table with one hold");
	h2 = htable_lookup(hat, va, 0);
	vt_hatstats_sum(&s1);
	tap_ok(h2 == ht && VT_PEEK(ht->ht_busy) == 2 &&
	    s1.vt_rcu_lookups > s0.vt_rcu_lookups &&
	    s1.vt_rcu_fallbacks == s0.vt_rcu_fallbacks,
	    "rcu lookup: found under a read section, held by CAS (busy %d)",
	    (int)VT_PEEK(ht->ht_busy));
	tap_ok(htable_lookup(hat, make_va(3, 5, 8, 0), 0) == NULL,
	    "rcu lookup: a clean miss for a table that does not exist");

	htable_release(ht);
	tap_ok(VT_PEEK(ht->ht_busy) == 1 && htable_lookup(hat, va, 0) == ht,
	    "release of one of two holds: the table stays hashed");
	htable_release(ht);			/* the lookup's hold */
	htable_release(ht);			/* the create's hold: last */
	tap_ok(VT_PEEK(ht->ht_busy) == HT_BUSY_DEAD && limbo_len() == 1 &&
	    htable_rcu_limbo == ht && htable_rcu_limbo_cnt == 1 &&
	    VT_PEEK(hat->hat_rcu_pending) == 1,
	    "last release: dead, unhashed, in the limbo, owner pending 1");
	tap_ok(htable_lookup(hat, va, 0) == NULL && !on_cache(hat, ht),
	    "a dead table is found by no lookup and not cached yet");
	/*
	 * A walker that loaded the pointer before the unhash meets the dead
	 * table: put it back at the head of its bucket for one walk.
	 */
	hv = HTABLE_HASH(hat, va, 0);
	head = hat->hat_ht_hash[hv];
	ht->ht_next = head;
	hat->hat_ht_hash[hv] = ht;
	vt_hatstats_sum(&s0);
	h2 = htable_lookup_rcu(hat, va, 0, hv, &gave_up);
	vt_hatstats_sum(&s1);
	hat->hat_ht_hash[hv] = head;
	tap_ok(h2 == NULL && gave_up && VT_PEEK(ht->ht_busy) == HT_BUSY_DEAD &&
	    s1.vt_rcu_restarts - s0.vt_rcu_restarts == 4 &&
	    s1.vt_rcu_fallbacks - s0.vt_rcu_fallbacks == 1,
	    "a walker meeting a dead match: CAS refused, 4 restarts, then the "
	    "mutex path");

	vt_hatstats_sum(&s0);
	htable_rcu_barrier();
	vt_hatstats_sum(&s1);
	tap_ok(limbo_len() == 0 && htable_rcu_limbo_cnt == 0 &&
	    VT_PEEK(hat->hat_rcu_pending) == 0 && on_cache(hat, ht) &&
	    VT_PEEK(ht->ht_busy) == 0 &&
	    s1.vt_rcu_grace_periods == s0.vt_rcu_grace_periods + 1,
	    "barrier: one grace period, then the table is on the hat's cache");
	/* Level 1 is max_page_level: an empty parent stays hashed. */
	h2 = htable_lookup(hat, va, 1);
	tap_ok(h2 == parent && VT_PEEK(parent->ht_busy) == 1 &&
	    VT_PEEK(parent->ht_valid_cnt) == 0,
	    "the empty level-1 parent stays hashed, its child's hold gone");
	if (h2 != NULL)
		htable_release(h2);
}

/* Concurrent part. */
static hat_t *c_hat;
static struct as *c_as;
static page_t *c_page[NWORKERS];
static uint32_t c_running;			/* atomics */
static uint32_t c_bad[NWORKERS + 2];

static uintptr_t
c_va(uint_t k)
{
	return (make_va(1, 0, k, 0));
}

static void *
c_worker(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	kthread_t kt;
	cpu_t cpu = { .cpu_seqid = id };
	uint64_t x = 0x2545f4914f6cdd1dULL * id;
	htable_t *ht, *h;
	uintptr_t va, pva;

	vt_thread_init(&kt, id, &cpu, id);
	vt_thread_set_current(&kt);
	for (uint_t i = 0; i < NITER; ++i) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		va = c_va((uint_t)(x >> 33) % NVAS);
		if ((x >> 19) & 1) {
			/* A lock-free lookup: NULL, or the very table asked for. */
			h = htable_lookup(c_hat, va, 0);
			if (h != NULL) {
				if (h->ht_vaddr != va || h->ht_level != 0 ||
				    h->ht_hat != c_hat ||
				    VT_PEEK(h->ht_busy) < 1)
					++c_bad[id];
				htable_release(h);
			}
			continue;
		}
		ht = htable_create(c_hat, va, 0, NULL);
		if (ht->ht_vaddr != va || VT_PEEK(ht->ht_busy) < 1)
			++c_bad[id];
		pva = va + (uintptr_t)(1 + id) * MMU_PAGESIZE;
		rw_enter(&c_as->a_lock, RW_READER);
		hat_memload(c_hat, (caddr_t)pva, c_page[id - 1],
		    PROT_READ | PROT_USER, HAT_LOAD);
		rw_exit(&c_as->a_lock);
		htable_release(ht);
		if ((x >> 22) & 1)
			sched_yield();
		rw_enter(&c_as->a_lock, RW_READER);
		hat_unload(c_hat, (caddr_t)pva, MMU_PAGESIZE, HAT_UNLOAD);
		rw_exit(&c_as->a_lock);
	}
	__atomic_sub_fetch(&c_running, 1, __ATOMIC_SEQ_CST);
	vt_thread_set_current(NULL);
	vt_thread_fini(&kt);
	return (NULL);
}

static void *
c_reaper(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	kthread_t kt;
	cpu_t cpu = { .cpu_seqid = id };

	vt_thread_init(&kt, id, &cpu, id);
	vt_thread_set_current(&kt);
	while (__atomic_load_n(&c_running, __ATOMIC_SEQ_CST) != 0) {
		kmem_cache_reap(htable_cache);
		sched_yield();
	}
	vt_thread_set_current(NULL);
	vt_thread_fini(&kt);
	return (NULL);
}

static void
test_concurrent(struct as *as)
{
	pthread_t tid[NWORKERS + 1];
	struct hatstats s0, s1;
	uint64_t free0;
	uint_t i, bad = 0;

	for (i = 0; i < NWORKERS; ++i)
		c_page[i] = vt_frame_alloc(VT_FRAME_DATA);
	free0 = freemem;
	rw_enter(&as->a_lock, RW_WRITER);
	c_hat = hat_alloc(as);
	as->a_hat = c_hat;
	rw_exit(&as->a_lock);
	c_as = as;
	vt_hatstats_sum(&s0);

	c_running = NWORKERS;
	for (i = 0; i < NWORKERS; ++i)
		pthread_create(&tid[i], NULL, c_worker,
		    (void *)(uintptr_t)(i + 1));
	pthread_create(&tid[NWORKERS], NULL, c_reaper,
	    (void *)(uintptr_t)(NWORKERS + 1));
	for (i = 0; i <= NWORKERS; ++i)
		pthread_join(tid[i], NULL);
	vt_hatstats_sum(&s1);

	for (i = 0; i < NWORKERS + 2; ++i)
		bad += c_bad[i];
	tap_ok(bad == 0, "concurrent: every hold was of the table asked for "
	    "(%u bad)", bad);
	tap_diag("concurrent: rcu lookups %lu, restarts %lu, fallbacks %lu, "
	    "deferred %lu, grace periods %lu, reaped %lu",
	    s1.vt_rcu_lookups - s0.vt_rcu_lookups,
	    s1.vt_rcu_restarts - s0.vt_rcu_restarts,
	    s1.vt_rcu_fallbacks - s0.vt_rcu_fallbacks,
	    s1.vt_rcu_deferred - s0.vt_rcu_deferred,
	    s1.vt_rcu_grace_periods - s0.vt_rcu_grace_periods,
	    s1.hs_reaped - s0.hs_reaped);
	tap_ok(s1.vt_rcu_deferred > s0.vt_rcu_deferred &&
	    s1.vt_rcu_grace_periods > s0.vt_rcu_grace_periods,
	    "concurrent: tables went through the limbo and grace periods");
	rw_enter(&as->a_lock, RW_WRITER);
	hat_free_start(c_hat);
	rw_exit(&as->a_lock);
	hat_free_end(c_hat);
	tap_ok(VT_PEEK(htable_rcu_limbo_cnt) == limbo_len(),
	    "concurrent: limbo count equals its list (%u)", limbo_len());
	while (htable_rcu_limbo != NULL)
		htable_rcu_barrier();
	for (i = 0; i < NWORKERS; ++i)
		vt_frame_free(c_page[i]);
	tap_ok(freemem == free0 + NWORKERS, "concurrent: after hat_free and "
	    "the last flush every frame is back (%lu/%lu)",
	    (unsigned long)freemem, (unsigned long)(free0 + NWORKERS));
}

int
main(void)
{
	struct vt_hat_params p;
	struct as as1, as2;
	hat_t *hat;

	vt_machine_init(NPAGES, THROTTLE);
	vt_hatstats_init(NWORKERS + 2);
	hat_params_default(&p);
	p.htable_locks = 16;
	vt_htable_rcu = 1;
	hat_init(&p);
	tap_ok(vt_htable_rcu == 1 && htable_rcu_limbo == NULL,
	    "hat_init with --htable-lookup rcu: empty limbo");

	memset(&as1, 0, sizeof (as1));
	rw_init(&as1.a_lock, NULL, 0, NULL);
	as1.a_id = 1;
	rw_enter(&as1.a_lock, RW_WRITER);
	hat = hat_alloc(&as1);
	as1.a_hat = hat;
	rw_exit(&as1.a_lock);
	test_single(hat);
	rw_enter(&as1.a_lock, RW_WRITER);
	hat_free_start(hat);
	rw_exit(&as1.a_lock);
	hat_free_end(hat);

	memset(&as2, 0, sizeof (as2));
	rw_init(&as2.a_lock, NULL, 0, NULL);
	as2.a_id = 2;
	test_concurrent(&as2);

	hat_fini();
	tap_ok(vt_htable_rcu == 0, "hat_fini turns the RCU path off again");
	vt_machine_fini();
	rw_destroy(&as1.a_lock);
	rw_destroy(&as2.a_lock);
	tap_plan(tap_n);
	return (tap_done());
}
