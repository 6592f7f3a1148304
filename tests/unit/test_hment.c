/*
 * test_hment.c - unit tests for core/hment.c, both revisions (TAP).
 *
 * A tiny machine without hats: the htables are fake objects made here, with
 * distinct ht_id/ht_pfn/ht_hat and no page-table frames behind them, so
 * nothing in this file may reach hati_page_unmap() (hment_steal is driven
 * only where every listed mapping is unstealable).  Everything runs on the
 * boot kthread (t_id 0), single threaded; the retry paths of hment_prepare()
 * are reached by a schedule-point hook that changes the page at the moment
 * hment_prepare() retakes the mlist lock.
 */
#include "core/hment.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hat.h"
#include "core/page.h"
#include "locks/sched_point.h"
#include "../tap.h"

#define	NPAGES		2048
#define	HASH_SIZE	64
#define	RESERVE_AMT	4

static hat_t fake_hat[4];	/* [0] stands for the kernel hat (kas.a_hat) */

#define	ST(x)	(vt_hatstats[curthread->t_id].x)

static htable_t *
mk_ht(uint64_t id, pfn_t pfn, hat_t *hat, level_t level)
{
	htable_t *ht = calloc(1, sizeof (*ht));

	if (ht == NULL)
		abort();
	ht->ht_id = id;
	ht->ht_pfn = pfn;
	ht->ht_hat = hat;
	ht->ht_level = level;
	return (ht);
}

static page_t *
pg(pfn_t pfn)
{
	return (page_numtopp_nolock(pfn));
}

/* Map pp at (ht, entry) as hati_pte_map does: prepare, assign, exit, free. */
static void
map(htable_t *ht, uint_t entry, page_t *pp)
{
	hment_t *hm;

	x86_hm_enter(pp);
	hm = hment_prepare(ht, entry, pp);
	hment_assign(ht, entry, pp, hm);
	x86_hm_exit(pp);
}

/* Unmap as hat_pte_unmap does: remove under the lock, free after it. */
static hment_t *
unmap_keep(htable_t *ht, uint_t entry, page_t *pp)
{
	hment_t *hm;

	x86_hm_enter(pp);
	hm = hment_remove(pp, ht, entry);
	x86_hm_exit(pp);
	return (hm);
}

static void
unmap(htable_t *ht, uint_t entry, page_t *pp)
{
	hment_t *hm = unmap_keep(ht, entry, pp);

	if (hm != NULL)
		hment_free(hm);
}

/* The page's mappings as "id:entry id:entry ..." (hment_walk order). */
static const char *
walk_str(page_t *pp)
{
	static char buf[512];
	hment_t *hm = NULL;
	htable_t *ht;
	uint_t entry;
	size_t n = 0;

	buf[0] = '\0';
	x86_hm_enter(pp);
	while ((hm = hment_walk(pp, &ht, &entry, hm)) != NULL) {
		n += (size_t)snprintf(buf + n, sizeof (buf) - n, "%s%" PRIu64
		    ":%u%s", n ? " " : "", ht->ht_id, entry,
		    hm == HMENT_EMBEDDED ? "e" : "");
		if (hm == HMENT_EMBEDDED)
			break;
	}
	x86_hm_exit(pp);
	return (buf);
}

/* hm_prev links mirror hm_next links, and p_share equals the length. */
static int
list_consistent(page_t *pp)
{
	hment_t *hm, *prev = NULL;
	uint_t n = 0;
	int ok = 1;

	x86_hm_enter(pp);
	if (pp->p_embed) {
		ok = pp->p_share == 0 && pp->p_mapping != NULL;
	} else {
		for (hm = pp->p_mapping; hm != NULL; hm = hm->hm_next) {
			if (hm->hm_prev != prev || hm->hm_pfn != pp->p_pagenum)
				ok = 0;
			prev = hm;
			n++;
		}
		if (n != pp->p_share)
			ok = 0;
	}
	x86_hm_exit(pp);
	return (ok);
}

/* Bucket visitors. */
struct bucket_scan {
	int		n;
	const hment_t	*want;
	int		found;
	char		order[256];
	size_t		len;
};

static void
scan_visit(hment_t *hm, uint32_t bucket, void *arg)
{
	struct bucket_scan *s = arg;

	s->n++;
	if (hm == s->want)
		s->found++;
	s->len += (size_t)snprintf(s->order + s->len, sizeof (s->order) -
	    s->len, "%s%" PRIu64 ":%u", s->len ? " " : "",
	    hm->hm_htable->ht_id, hm->hm_entry);
	(void)bucket;
}

static struct bucket_scan
scan_bucket(uint32_t idx, const hment_t *want)
{
	struct bucket_scan s;

	memset(&s, 0, sizeof (s));
	s.want = want;
	vt_hment_bucket_foreach(idx, scan_visit, &s);
	return (s);
}

/* Total hments in the hash. */
static int
hash_total(void)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < hment_hash_entries; i++)
		n += scan_bucket(i, NULL).n;
	return (n);
}

static uint64_t
outstanding(void)
{
	return (VT_PEEK(hment_cache->cache_outstanding));
}

/*
 * Schedule-point hook: when the armed page's mlist lock is about to be
 * taken (hment_prepare retaking it after hment_alloc/hment_free), run the
 * armed action first, as another thread would have while the lock was
 * dropped.  Disarms itself before acting, so the action may lock freely.
 */
static page_t *hook_page;
static void (*hook_action)(void);
static int hook_fired;

static void
hook(enum vt_sp_kind kind, const void *obj, const void *pc)
{
	void (*fn)(void);

	if (kind != VT_SP_LOCK || hook_action == NULL ||
	    obj != (const void *)vt_mlist_mutex(hook_page))
		return;
	fn = hook_action;
	hook_action = NULL;
	hook_fired++;
	fn();
}

static void
arm(page_t *pp, void (*fn)(void))
{
	hook_page = pp;
	hook_action = fn;
	hook_fired = 0;
	vt_sched_hook = hook;
}

static void
disarm(void)
{
	vt_sched_hook = NULL;
	hook_action = NULL;
}

static htable_t *ht1, *ht2, *ht3, *htA, *htB, *htK, *htL1, *htL0;
static page_t *racepg;

static void
act_unmap_ht1_5(void)
{
	unmap(ht1, 5, racepg);
}

static void
act_swap_to_ht3_8(void)
{
	unmap(ht2, 6, racepg);
	map(ht3, 8, racepg);
}

static void
act_add_ht2_4(void)
{
	map(ht2, 4, racepg);
}

static const char *
revname(int rev)
{
	return (rev == HMENT_REV_2007_AVL ? "2007" : "2006");
}

static void
test_reserve(int rev)
{
	const char *r = revname(rev);
	ulong_t put0 = ST(hs_hm_put_reserve), get0 = ST(hs_hm_get_reserve);
	ulong_t free0 = ST(hs_hm_free);

	tap_ok(VT_PEEK(hment_reserve_count) == 0 && outstanding() == 0,
	    "%s: reserve empty after init", r);
	hment_reserve(2);
	tap_ok(VT_PEEK(hment_reserve_count) == RESERVE_AMT + 2,
	    "%s: hment_reserve(2) fills to amount+2 (%u)", r,
	    VT_PEEK(hment_reserve_count));
	tap_ok(ST(hs_hm_put_reserve) - put0 == RESERVE_AMT + 2,
	    "%s: hs_hm_put_reserve counted each donation", r);
	hment_adjust_reserve();
	tap_ok(VT_PEEK(hment_reserve_count) == RESERVE_AMT,
	    "%s: hment_adjust_reserve trims to the amount", r);
	tap_ok(ST(hs_hm_get_reserve) - get0 == 2,
	    "%s: adjust took 2 from the reserve", r);
	/* 2006 frees the surplus via hment_free(); 2007 straight to kmem. */
	tap_ok(ST(hs_hm_free) - free0 == (rev == HMENT_REV_2006_CHAIN ? 2 : 0),
	    "%s: adjust frees via %s", r,
	    rev == HMENT_REV_2006_CHAIN ? "hment_free" : "kmem_cache_free");
	tap_ok(outstanding() == RESERVE_AMT,
	    "%s: kmem outstanding equals the reserve", r);
}

static void
test_four_situations(int rev)
{
	const char *r = revname(rev);
	page_t *pp = pg(100);
	hment_t *hm, *first;
	ulong_t a0;
	struct bucket_scan s;
	uint32_t idx;

	/* 1: first mapping, embedded. */
	a0 = ST(hs_hm_alloc);
	x86_hm_enter(pp);
	hm = hment_prepare(ht1, 3, pp);
	tap_ok(hm == NULL, "%s: first mapping needs no hment", r);
	hment_assign(ht1, 3, pp, hm);
	tap_ok(pp->p_embed == 1 && pp->p_mapping == ht1 &&
	    pp->p_mlentry == 3 && pp->p_share == 0,
	    "%s: first mapping embedded in the page_t", r);
	x86_hm_exit(pp);
	tap_ok(strcmp(walk_str(pp), "1:3e") == 0,
	    "%s: walk of embedded mapping: %s", r, walk_str(pp));
	tap_ok(hment_mapcnt(pp) == 1, "%s: mapcnt 1 (embedded)", r);
	tap_ok(hash_total() == 0, "%s: embedded mapping not hashed", r);

	/* 2: refault on the embedded mapping. */
	x86_hm_enter(pp);
	hm = hment_prepare(ht1, 3, pp);
	tap_ok(hm == NULL && pp->p_embed == 1 && pp->p_mapping == ht1,
	    "%s: refault needs no hment and keeps the embedding", r);
	x86_hm_exit(pp);
	tap_ok(ST(hs_hm_alloc) == a0, "%s: no allocations so far", r);

	/* 3: second mapping promotes the embedded one. */
	x86_hm_enter(pp);
	hm = hment_prepare(ht2, 7, pp);
	first = pp->p_mapping;
	tap_ok(hm != NULL && pp->p_embed == 0 && pp->p_share == 1,
	    "%s: promotion: embedded mapping moved to a list of 1", r);
	tap_ok(first != NULL && first != hm && first->hm_htable == ht1 &&
	    first->hm_entry == 3 && first->hm_pfn == 100,
	    "%s: promoted hment carries (ht1, 3, pfn 100)", r);
	idx = vt_hment_hash(ht1->ht_pfn, 3);
	s = scan_bucket(idx, first);
	tap_ok(s.found == 1 && hash_total() == 1,
	    "%s: promoted hment hashed once in bucket %u", r, idx);
	hment_assign(ht2, 7, pp, hm);
	tap_ok(pp->p_share == 2 && pp->p_mapping == hm &&
	    hm->hm_next == first && first->hm_prev == hm,
	    "%s: new hment at the list head", r);
	tap_ok(scan_bucket(vt_hment_hash(ht2->ht_pfn, 7), hm).found == 1,
	    "%s: new hment hashed", r);
	x86_hm_exit(pp);
	tap_ok(ST(hs_hm_alloc) - a0 == 2,
	    "%s: upgrade allocated two hments", r);

	/* 4: adding to an existing list. */
	a0 = ST(hs_hm_alloc);
	map(ht3, 9, pp);
	tap_ok(ST(hs_hm_alloc) - a0 == 1, "%s: list add allocated one", r);
	tap_ok(strcmp(walk_str(pp), "3:9 2:7 1:3") == 0,
	    "%s: walk order newest first: %s", r, walk_str(pp));
	tap_ok(pp->p_share == 3 && list_consistent(pp) && hash_total() == 3,
	    "%s: list of 3, consistent, 3 hashed", r);
	tap_ok(hment_mapcnt(pp) == 3, "%s: mapcnt 3", r);

	/* Removal: middle, head, last; the list is left empty. */
	hm = unmap_keep(ht2, 7, pp);
	tap_ok(hm != NULL && hm->hm_next == NULL && hm->hm_prev == NULL &&
	    hm->hm_htable == ht2 && hm->hm_entry == 7,
	    "%s: remove middle returns its hment, unlinked", r);
	tap_ok(scan_bucket(vt_hment_hash(ht2->ht_pfn, 7), hm).found == 0 &&
	    hash_total() == 2, "%s: removed hment left the hash", r);
	tap_ok(strcmp(walk_str(pp), "3:9 1:3") == 0 && list_consistent(pp),
	    "%s: list after middle removal: %s", r, walk_str(pp));
	hment_free(hm);
	unmap(ht3, 9, pp);
	tap_ok(strcmp(walk_str(pp), "1:3") == 0 && pp->p_share == 1 &&
	    list_consistent(pp), "%s: list after head removal: %s", r,
	    walk_str(pp));
	unmap(ht1, 3, pp);
	tap_ok(pp->p_mapping == NULL && pp->p_share == 0 && pp->p_embed == 0 &&
	    hash_total() == 0, "%s: last removal empties the page", r);
	tap_ok(hment_mapcnt(pp) == 0, "%s: mapcnt 0", r);

	/* Embedded removal. */
	map(ht2, 11, pp);
	x86_hm_enter(pp);
	hm = hment_remove(pp, ht2, 11);
	tap_ok(hm == NULL && pp->p_mapping == NULL && pp->p_embed == 0 &&
	    pp->p_mlentry == 0, "%s: embedded removal returns NULL, clears", r);
	x86_hm_exit(pp);
	tap_ok(VT_PEEK(hment_reserve_count) == RESERVE_AMT &&
	    outstanding() == RESERVE_AMT,
	    "%s: all hments back (reserve %u, outstanding %" PRIu64 ")", r,
	    VT_PEEK(hment_reserve_count), outstanding());
}

static void
test_retries(int rev)
{
	const char *r = revname(rev);
	page_t *pp = pg(200);
	hment_t *hm;
	ulong_t a0, f0;

	racepg = pp;

	/* Embedded mapping vanishes while we allocate: free and embed. */
	map(ht1, 5, pp);
	a0 = ST(hs_hm_alloc);
	f0 = ST(hs_hm_free);
	x86_hm_enter(pp);
	arm(pp, act_unmap_ht1_5);		/* fires when prepare retakes */
	hm = hment_prepare(ht2, 6, pp);
	disarm();
	tap_ok(hook_fired == 1 && hm == NULL && pp->p_mapping == NULL,
	    "%s: retry: page emptied while unlocked -> hment given back", r);
	tap_ok(ST(hs_hm_alloc) - a0 == 1 && ST(hs_hm_free) - f0 == 1,
	    "%s: retry: one alloc, one free (free_and_continue)", r);
	hment_assign(ht2, 6, pp, hm);
	x86_hm_exit(pp);
	tap_ok(strcmp(walk_str(pp), "2:6e") == 0,
	    "%s: retry: new mapping embedded: %s", r, walk_str(pp));

	/* Our own mapping appears embedded while we allocate: a refault. */
	a0 = ST(hs_hm_alloc);
	f0 = ST(hs_hm_free);
	x86_hm_enter(pp);
	arm(pp, act_swap_to_ht3_8);		/* fires when prepare retakes */
	hm = hment_prepare(ht3, 8, pp);
	disarm();
	tap_ok(hook_fired == 1 && hm == NULL && pp->p_embed == 1 &&
	    pp->p_mapping == ht3 && pp->p_mlentry == 8,
	    "%s: retry: became our refault -> no hment", r);
	x86_hm_exit(pp);
	tap_ok(ST(hs_hm_alloc) - a0 == 1 && ST(hs_hm_free) - f0 == 1,
	    "%s: retry: refault path freed the spare", r);

	/* Someone else promotes while we allocate: we just add to the list. */
	a0 = ST(hs_hm_alloc);
	x86_hm_enter(pp);
	arm(pp, act_add_ht2_4);		/* fires when prepare retakes */
	hm = hment_prepare(ht1, 2, pp);
	disarm();
	tap_ok(hook_fired == 1 && hm != NULL && pp->p_embed == 0 &&
	    pp->p_share == 2, "%s: retry: list appeared -> keep our hment", r);
	hment_assign(ht1, 2, pp, hm);
	x86_hm_exit(pp);
	tap_ok(strcmp(walk_str(pp), "1:2 2:4 3:8") == 0 && list_consistent(pp),
	    "%s: retry: list %s", r, walk_str(pp));
	tap_ok(ST(hs_hm_alloc) - a0 == 3,
	    "%s: retry: 1 alloc of ours + 2 by the other mapper", r);
	unmap(ht1, 2, pp);
	unmap(ht2, 4, pp);
	unmap(ht3, 8, pp);
	tap_ok(pp->p_mapping == NULL && hash_total() == 0,
	    "%s: retry: cleaned up", r);
}

static void
test_buckets(int rev)
{
	const char *r = revname(rev);
	page_t *pa = pg(300), *pb = pg(301);
	uint32_t idx = vt_hment_hash(htA->ht_pfn, 3);
	uint_t eb = (uint_t)((idx - htB->ht_pfn * 513) & (HASH_SIZE - 1));
	struct bucket_scan s;
	char want[128];

	tap_ok(vt_hment_hash(htA->ht_pfn, 67) == idx &&
	    vt_hment_hash(htB->ht_pfn, eb) == idx &&
	    vt_hment_hash(htB->ht_pfn, eb + 64) == idx,
	    "%s: chosen keys share bucket %u", r, idx);
	/* Insertion order: A:3 (promoted), A:67, A:131, then B:eb, B:eb+64. */
	map(htA, 3, pa);
	map(htA, 67, pa);
	map(htA, 131, pa);
	map(htB, eb, pb);
	map(htB, eb + 64, pb);
	s = scan_bucket(idx, NULL);
	tap_ok(s.n == 5, "%s: 5 hments in the bucket", r);
	if (rev == HMENT_REV_2007_AVL) {
		/* Tree order: ht_id (B=5 < A=7), then entry. */
		snprintf(want, sizeof (want), "5:%u 5:%u 7:3 7:67 7:131", eb,
		    eb + 64);
		tap_ok(strcmp(s.order, want) == 0,
		    "%s: tree order by ht_id/entry: %s", r, s.order);
		tap_ok(!RB_EMPTY(&hment_table[idx].hb_tree) &&
		    hment_table[idx].hb_chain == NULL,
		    "%s: bucket is a tree, chain unused", r);
	} else {
		/* Chain order: newest first. */
		snprintf(want, sizeof (want), "5:%u 5:%u 7:131 7:67 7:3",
		    eb + 64, eb);
		tap_ok(strcmp(s.order, want) == 0,
		    "%s: chain order newest first: %s", r, s.order);
		tap_ok(RB_EMPTY(&hment_table[idx].hb_tree) &&
		    hment_table[idx].hb_chain != NULL,
		    "%s: bucket is a chain, tree unused", r);
	}
	/* Remove from the middle of the bucket, then the rest. */
	unmap(htA, 67, pa);
	s = scan_bucket(idx, NULL);
	tap_ok(s.n == 4 && strstr(s.order, "7:67") == NULL,
	    "%s: bucket after removing A:67: %s", r, s.order);
	unmap(htB, eb, pb);
	unmap(htA, 3, pa);
	unmap(htB, eb + 64, pb);
	unmap(htA, 131, pa);
	tap_ok(scan_bucket(idx, NULL).n == 0 && pa->p_mapping == NULL &&
	    pb->p_mapping == NULL, "%s: bucket emptied", r);
}

static void
test_mapcnt_large(int rev)
{
	const char *r = revname(rev);
	pfn_t base = 512, pfn;
	page_t *lead = pg(base), *mid = pg(base + 5);

	for (pfn = base; pfn < base + 512; pfn++)
		pg(pfn)->p_szc = 1;
	tap_ok(PP_GROUPLEADER(mid, 1) == lead, "%s: group leader of pfn %u",
	    r, (unsigned)(base + 5));

	map(htL1, 0, lead);		/* a 2 MiB mapping, embedded */
	tap_ok(hment_mapcnt(mid) == 1 && hment_mapcnt(lead) == 1,
	    "%s: large mapping counts for a constituent page", r);
	map(htL0, 9, lead);		/* a 4K mapping of the leader: a list */
	tap_ok(hment_mapcnt(mid) == 1 && hment_mapcnt(lead) == 2,
	    "%s: leader's 4K mapping does not count for others", r);
	map(htL0, 10, mid);
	tap_ok(hment_mapcnt(mid) == 2,
	    "%s: own mapping + large mapping = 2", r);
	unmap(htL0, 10, mid);
	unmap(htL0, 9, lead);
	tap_ok(hment_mapcnt(mid) == 1,
	    "%s: large mapping counted from the leader's list", r);
	unmap(htL1, 0, lead);
	tap_ok(hment_mapcnt(mid) == 0 && hment_mapcnt(lead) == 0,
	    "%s: no mappings left", r);
	for (pfn = base; pfn < base + 512; pfn++)
		pg(pfn)->p_szc = 0;
}

static void
test_reserve_rules(int rev)
{
	const char *r = revname(rev);
	page_t *pp = pg(400);
	ulong_t g0;
	uint_t c0;
	hment_t *hm;

	/* Boot: allocations come from the reserve. */
	VT_POKE(use_boot_reserve, 1);
	map(ht1, 1, pp);
	g0 = ST(hs_hm_get_reserve);
	c0 = VT_PEEK(hment_reserve_count);
	map(ht2, 2, pp);
	tap_ok(ST(hs_hm_get_reserve) - g0 == 2 &&
	    VT_PEEK(hment_reserve_count) == c0 - 2,
	    "%s: use_boot_reserve: upgrade drew 2 from the reserve", r);

	/* Free while above the amount and in boot. */
	hment_reserve(2);
	c0 = VT_PEEK(hment_reserve_count);
	hm = unmap_keep(ht2, 2, pp);
	hment_free(hm);
	if (rev == HMENT_REV_2007_AVL)
		tap_ok(VT_PEEK(hment_reserve_count) == c0 + 1,
		    "%s: USE_HAT_RESERVES: free goes to the reserve", r);
	else
		tap_ok(VT_PEEK(hment_reserve_count) == c0,
		    "%s: boot is not the reserves thread: free goes to kmem", r);
	VT_POKE(use_boot_reserve, 0);
	unmap(ht1, 1, pp);
	hment_adjust_reserve();
	tap_ok(VT_PEEK(hment_reserve_count) == RESERVE_AMT &&
	    outstanding() == RESERVE_AMT, "%s: reserve back to the amount", r);
	tap_ok(hat_reserves_thread == NULL,
	    "%s: no reserves thread in the simulation", r);
}

static void
test_steal_nothing(int rev)
{
	const char *r = revname(rev);
	page_t *pk = pg(500), *pv = pg(501);
	htable_t *all[] = { ht1, ht2, ht3, htA, htB };
	ulong_t s0, e0, g0, k0;
	uint_t c0, i;

	/* Unstealable lists: kernel hat, busy table, locked entries. */
	htA->ht_busy = 1;
	htB->ht_lock_cnt = 1;
	map(htK, 1, pk);
	map(htA, 2, pk);
	map(htB, 3, pk);
	for (i = 0; i < sizeof (all) / sizeof (all[0]); i++)
		all[i]->ht_busy++;	/* our own victims stay busy too */
	map(ht1, 7, pv);

	VT_POKE(can_steal_post_boot, 1);
	vt_kmem_set_fault(hment_cache, 1000000, 0);	/* NOSLEEP always fails */
	s0 = ST(hs_hm_steals);
	e0 = ST(hs_hm_steal_exam);
	g0 = ST(hs_hm_get_reserve);
	k0 = ST(vt_hm_steal_kas);
	c0 = VT_PEEK(hment_reserve_count);
	map(ht2, 8, pv);			/* needs two hments */
	tap_ok(ST(vt_hm_steal_kas) - k0 == 2,
	    "%s: each steal passed over the kernel hat's hment once (%lu)", r,
	    ST(vt_hm_steal_kas) - k0);
	tap_ok(ST(hs_hm_steals) - s0 == 2,
	    "%s: kmem failing: two steal attempts", r);
	tap_ok(ST(hs_hm_steal_exam) - e0 == 2 * NPAGES,
	    "%s: each steal laps all %d pages once (%lu)", r, NPAGES,
	    ST(hs_hm_steal_exam) - e0);
	tap_ok(ST(hs_hm_get_reserve) - g0 == 2 &&
	    VT_PEEK(hment_reserve_count) == c0 - 2,
	    "%s: nothing stealable: fell back to the reserve", r);
	tap_ok(strcmp(walk_str(pv), "2:8 1:7") == 0,
	    "%s: mapping made from the reserve: %s", r, walk_str(pv));
	vt_kmem_set_fault(hment_cache, 0, 0);
	VT_POKE(can_steal_post_boot, 0);

	unmap(ht2, 8, pv);
	unmap(ht1, 7, pv);
	unmap(htB, 3, pk);
	unmap(htA, 2, pk);
	unmap(htK, 1, pk);
	for (i = 0; i < sizeof (all) / sizeof (all[0]); i++)
		all[i]->ht_busy = 0;
	htB->ht_lock_cnt = 0;
	hment_adjust_reserve();
	tap_ok(hash_total() == 0 && outstanding() ==
	    VT_PEEK(hment_reserve_count),
	    "%s: every hment accounted for (%" PRIu64 ")", r, outstanding());
}

/*
 * Two threads (the boot kthread and worker t_id 1) each flip their own
 * mappings, through their own table, on a small set of shared pages, so
 * that promotion, list insertion and removal race on the same mlist locks
 * and hash buckets.  Meant mostly for the TSan build; afterwards every
 * page must be empty and every hment back in the reserve or kmem.
 */
#define	CONC_PAGES	8
#define	CONC_ITERS	20000

struct conc_arg {
	kthread_t	kt;
	cpu_t		cpu;
	htable_t	*ht;
	uint32_t	id;
	uint8_t		mapped[CONC_PAGES];
};

static void
conc_run(struct conc_arg *a)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (a->id + 1);
	uint_t i, k;

	for (i = 0; i < CONC_ITERS; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (uint_t)(x >> 33) % CONC_PAGES;
		if (a->mapped[k])
			unmap(a->ht, k, pg(600 + k));
		else
			map(a->ht, k, pg(600 + k));
		a->mapped[k] ^= 1;
	}
}

static void *
conc_worker(void *arg)
{
	struct conc_arg *a = arg;

	vt_thread_set_current(&a->kt);
	conc_run(a);
	return (NULL);
}

static void
test_concurrent(int rev)
{
	const char *r = revname(rev);
	struct conc_arg w, m;
	pthread_t tid;
	uint_t k;
	int empty = 1;

	memset(&w, 0, sizeof (w));
	memset(&m, 0, sizeof (m));
	w.id = 1;
	w.ht = ht2;
	w.cpu.cpu_seqid = 1;
	vt_thread_init(&w.kt, 1, &w.cpu, 1);
	m.id = 0;
	m.ht = ht1;
	if (pthread_create(&tid, NULL, conc_worker, &w) != 0)
		abort();
	conc_run(&m);
	pthread_join(tid, NULL);
	for (k = 0; k < CONC_PAGES; k++) {
		if (m.mapped[k])
			unmap(ht1, k, pg(600 + k));
		if (w.mapped[k])
			unmap(ht2, k, pg(600 + k));
		if (pg(600 + k)->p_mapping != NULL)
			empty = 0;
	}
	vt_thread_fini(&w.kt);
	hment_adjust_reserve();
	tap_ok(empty && hash_total() == 0, "%s: concurrent: pages empty", r);
	tap_ok(outstanding() == VT_PEEK(hment_reserve_count),
	    "%s: concurrent: every hment back (%" PRIu64 ")", r,
	    outstanding());
}

static void
run_rev(int rev)
{
	tap_diag("revision %s", revname(rev));
	hment_reserve_amount = RESERVE_AMT;
	hment_init(rev, HASH_SIZE, 16, 16);
	tap_ok(hment_revision == rev && hment_hash_entries == HASH_SIZE &&
	    mlist_lock != NULL && hash_lock != NULL && hment_cache != NULL,
	    "%s: hment_init", revname(rev));
	VT_POKE(use_boot_reserve, 0);
	VT_POKE(can_steal_post_boot, 0);

	test_reserve(rev);
	test_four_situations(rev);
	test_retries(rev);
	test_buckets(rev);
	test_mapcnt_large(rev);
	test_reserve_rules(rev);
	test_steal_nothing(rev);
	test_concurrent(rev);

	hment_fini();
	tap_ok(hment_cache == NULL && mlist_lock == NULL && hment_table == NULL,
	    "%s: hment_fini", revname(rev));
}

int
main(void)
{
	vt_machine_init(NPAGES, 16);
	mmu_init(NPAGES - 1);
	vt_hatstats_init(2);
	kas.a_hat = &fake_hat[0];
	fake_hat[1].hat_id = 1;
	fake_hat[2].hat_id = 2;

	ht1 = mk_ht(1, 1001, &fake_hat[1], 0);
	ht2 = mk_ht(2, 1002, &fake_hat[2], 0);
	ht3 = mk_ht(3, 1003, &fake_hat[1], 0);
	/* B gets the lower id but is allocated (and inserted) later. */
	htA = mk_ht(7, 1010, &fake_hat[1], 0);
	htB = mk_ht(5, 1011, &fake_hat[2], 0);
	htK = mk_ht(9, 1020, &fake_hat[0], 0);
	htL1 = mk_ht(11, 1030, &fake_hat[1], 1);
	htL0 = mk_ht(12, 1031, &fake_hat[1], 0);

	tap_ok(curthread->t_id == 0, "running as the boot kthread");
	run_rev(HMENT_REV_2007_AVL);
	run_rev(HMENT_REV_2006_CHAIN);

	free(ht1); free(ht2); free(ht3); free(htA); free(htB);
	free(htK); free(htL1); free(htL0);
	vt_machine_fini();
	tap_plan(tap_n);
	return (tap_done());
}
