/*
 * test_audit.c - the invariant audit must pass on a healthy HAT and catch
 * each kind of damage.
 *
 * For each hment revision (2007 trees, 2006 chains) we boot a small machine,
 * build two hats with embedded and listed mappings, a large (level-1)
 * mapping and an ISM segment shared into one hat, and check the audit is
 * clean.  Then, for every check in VT_HAT_CHECK_CHECKS, we damage the state in
 * the smallest way that breaks that invariant, expect the audit to name
 * exactly that check first, put the state back and expect a clean audit
 * again.  A check without a damage case here fails the test (a check that
 * cannot fail is a defect).
 *
 * Single threaded: the boot thread (t_id 0) is the only thread, so the
 * audit's "world stopped" precondition holds trivially.
 */
#include "../../subsys/hat_audit.h"

#include <stdio.h>
#include <string.h>

#include "../../core/hat.h"
#include "../../core/hment.h"
#include "../../core/htable.h"
#include "../../core/page.h"
#include "../../core/sys.h"
#include "../tap.h"

#define NPAGES		4096
#define THROTTLE	8
#define ATTR		(PROT_READ | PROT_WRITE | PROT_USER)

/* User VAs (all below the amd64 VA hole). */
#define VA_A		0x010000000000UL	/* page A, hat 1: embedded */
#define VA_B		0x010000001000UL	/* page B, hats 1 and 2 */
#define VA_C		0x010000200000UL	/* page C, hats 1 and 2 (other leaf table) */
#define VA_C2		0x010000201000UL	/* page C again, hat 2 */
#define VA_L		0x020000000000UL	/* large page, hats 1 and 2 */
#define VA_SHARE	0x040000000000UL	/* ISM segment attached in hat 2 */
#define VA_ISM		0x050000000000UL	/* ISM segment in the ISM hat */
#define SEG		(2UL << 20)
#define NISM		4

struct world {
	struct as	as1, as2, asism;
	hat_t		*hat1, *hat2, *ism;
	page_t		*pa, *pb, *pc, *large;
	page_t		*ismp[NISM];
	bool		have_large;
};

static struct world W;
static int covered[VT_HAT_NCHECKS];
static const char *revname;

/* ------------------------------------------------------------ helpers */

static void
load(struct as *as, uintptr_t va, page_t *pp, uint_t flags)
{
	rw_enter(&as->a_lock, RW_READER);
	page_lock(pp, SE_SHARED);
	hat_memload(as->a_hat, (caddr_t)va, pp, ATTR, flags);
	page_unlock(pp);
	rw_exit(&as->a_lock);
}

static void
load_large(struct as *as, uintptr_t va, page_t *pp)
{
	rw_enter(&as->a_lock, RW_READER);
	page_lock(pp, SE_SHARED);
	vt_hat_memload_large(as->a_hat, (caddr_t)va, pp, ATTR, HAT_LOAD);
	page_unlock(pp);
	rw_exit(&as->a_lock);
}

static hat_t *
new_hat(struct as *as, uint32_t id)
{
	rw_init(&as->a_lock, "as", 0, NULL);
	as->a_id = id;
	rw_enter(&as->a_lock, RW_WRITER);
	as->a_hat = hat_alloc(as);
	rw_exit(&as->a_lock);
	return (as->a_hat);
}

/* A's mapping is embedded: its table and entry are in the page_t. */
static htable_t *
a_table(void)
{
	return ((htable_t *)VT_PEEK(W.pa->p_mapping));
}

static x86pte_t *
pte_ptr(htable_t *ht, uint_t entry)
{
	return ((x86pte_t *)vt_frame_va(ht->ht_pfn) + entry);
}

static x86pte_t *
a_pte(void)
{
	return (pte_ptr(a_table(), W.pa->p_mlentry));
}

static hment_t *
nth_hment(page_t *pp, int n)
{
	hment_t *hm = VT_PEEK(pp->p_mapping);

	while (n-- > 0 && hm != NULL)
		hm = hm->hm_next;
	return (hm);
}

static bool
audit_clean(const char *after)
{
	struct vt_audit_result r;
	uint32_t n = vt_hat_audit(&r);

	if (n != 0)
		tap_diag("%s: first %s: %s", revname,
		    vt_hat_check_name((enum vt_hat_check)r.first), r.msg);
	return (tap_ok(n == 0, "%s: audit clean %s (%llu objects)", revname,
	    after, (unsigned long long)r.objects));
}

/* Run the audit on damaged state: want exactly `want` as the first. */
static void
expect(enum vt_hat_check want, const char *damage)
{
	struct vt_audit_result r;
	uint32_t n = vt_hat_audit(&r);
	bool ok = n > 0 && r.first == (int)want;

	if (ok)
		covered[want]++;
	tap_ok(ok, "%s: %s -> %s (got %u, first %s: %s)", revname, damage,
	    vt_hat_check_name(want), n,
	    n ? vt_hat_check_name((enum vt_hat_check)r.first) : "-", n ? r.msg : "clean");
}

/* --------------------------------------------------------- the world */

static void
boot(int rev)
{
	struct vt_hat_params p;
	int i;

	memset(&W, 0, sizeof (W));
	vt_machine_init(NPAGES, THROTTLE);
	memset(&p, 0, sizeof (p));
	p.mlist_locks = 16;
	p.hash_locks = 16;
	p.htable_locks = 16;
	p.hment_hash_size = 256;
	p.hment_rev = rev;
	p.hment_reserve_amount = 4;
	p.htable_reserve_amount = 4;
	p.htable_steal_passes = 4;
	p.force_steal = 0;
	hat_init(&p);

	W.hat1 = new_hat(&W.as1, 1);
	W.hat2 = new_hat(&W.as2, 2);

	W.pa = vt_frame_alloc(VT_FRAME_DATA);
	W.pb = vt_frame_alloc(VT_FRAME_DATA);
	W.pc = vt_frame_alloc(VT_FRAME_DATA);
	VERIFY(W.pa != NULL && W.pb != NULL && W.pc != NULL);

	load(&W.as1, VA_A, W.pa, HAT_LOAD);
	load(&W.as1, VA_B, W.pb, HAT_LOAD);
	load(&W.as2, VA_B, W.pb, HAT_LOAD);
	load(&W.as1, VA_C, W.pc, HAT_LOAD);
	load(&W.as2, VA_C, W.pc, HAT_LOAD);
	load(&W.as2, VA_C2, W.pc, HAT_LOAD);

	/* One 2 MiB page mapped at level 1 by both hats. */
	W.large = vt_frame_alloc_run(512, VT_FRAME_DATA);
	if (W.large != NULL) {
		for (i = 0; i < 512; i++)
			W.large[i].p_szc = 1;
		load_large(&W.as1, VA_L, W.large);
		load_large(&W.as2, VA_L, W.large);
		W.have_large = true;
	}

	/* The ISM hat and its segment, attached to hat 2 (SHARED_PFN). */
	W.ism = new_hat(&W.asism, 3);
	rw_enter(&W.asism.a_lock, RW_WRITER);
	for (i = 0; i < NISM; i++) {
		W.ismp[i] = vt_frame_alloc(VT_FRAME_DATA);
		VERIFY(W.ismp[i] != NULL);
		page_lock(W.ismp[i], SE_SHARED);
		hat_memload(W.ism, (caddr_t)(VA_ISM + i * MMU_PAGESIZE),
		    W.ismp[i], ATTR, HAT_LOAD_SHARE | HAT_LOAD_LOCK);
		page_unlock(W.ismp[i]);
	}
	rw_exit(&W.asism.a_lock);
	rw_enter(&W.as2.a_lock, RW_WRITER);
	(void) hat_share(W.hat2, (caddr_t)VA_SHARE, W.ism, (caddr_t)VA_ISM,
	    SEG, 0);
	rw_exit(&W.as2.a_lock);
}

static void
free_hat(struct as *as, uintptr_t va, size_t len, uint_t flags, bool shared)
{
	rw_enter(&as->a_lock, RW_WRITER);
	hat_free_start(as->a_hat);
	if (shared)
		hat_unshare(as->a_hat, (caddr_t)VA_SHARE, SEG, 0);
	hat_unload(as->a_hat, (caddr_t)va, len, flags);
	hat_free_end(as->a_hat);
	as->a_hat = NULL;
	rw_exit(&as->a_lock);
	rw_destroy(&as->a_lock);
}

static void
teardown(void)
{
	int i;

	free_hat(&W.as1, VA_A, VA_SHARE - VA_A, HAT_UNLOAD_UNMAP, false);
	free_hat(&W.as2, VA_A, VA_SHARE - VA_A, HAT_UNLOAD_UNMAP, true);
	free_hat(&W.asism, VA_ISM, SEG, HAT_UNLOAD_UNMAP | HAT_UNLOAD_UNLOCK,
	    false);
	audit_clean("after every hat is freed");
	tap_ok(VT_PEEK(W.pa->p_mapping) == NULL &&
	    VT_PEEK(W.pb->p_mapping) == NULL &&
	    VT_PEEK(W.pc->p_mapping) == NULL, "%s: pages unmapped", revname);
	vt_frame_free(W.pa);
	vt_frame_free(W.pb);
	vt_frame_free(W.pc);
	for (i = 0; i < NISM; i++)
		vt_frame_free(W.ismp[i]);
	for (i = 0; W.have_large && i < 512; i++)
		vt_frame_free(&W.large[i]);
	audit_clean("after the data pages are freed");
	hat_fini();
	vt_machine_fini();
}

/* ----------------------------------------------------- damage cases */

static void
damage_pte_mlist(void)
{
	x86pte_t *ptep = a_pte(), pte = VT_PEEK(*ptep);
	void *map = VT_PEEK(W.pa->p_mapping);
	uchar_t emb = VT_PEEK(W.pa->p_embed);
	hment_t *hm;
	htable_t *ht;
	int16_t vc;

	/* A valid PTE that no mapping list records. */
	VT_POKE(W.pa->p_mapping, NULL);
	VT_POKE(W.pa->p_embed, 0);
	expect(VT_HAT_CHECK_PTE_MLIST, "embedded entry removed from page A");
	VT_POKE(W.pa->p_mapping, map);
	VT_POKE(W.pa->p_embed, emb);
	audit_clean("after restoring page A's embedded entry");

	/* A listed mapping whose PTE is NOCONSIST (needs no list entry). */
	VT_POKE(*ptep, pte | PT_NOCONSIST);
	expect(VT_HAT_CHECK_PTE_MLIST, "page A's PTE made NOCONSIST");
	VT_POKE(*ptep, pte);
	audit_clean("after restoring page A's PTE");

	/* A listed hment whose PTE was invalidated behind the list's back. */
	hm = nth_hment(W.pb, 1);
	ht = hm->hm_htable;
	ptep = pte_ptr(ht, hm->hm_entry);
	pte = VT_PEEK(*ptep);
	vc = VT_PEEK(ht->ht_valid_cnt);
	VT_POKE(*ptep, pte & ~PT_VALID);
	VT_POKE(ht->ht_valid_cnt, (int16_t)(vc - 1));
	expect(VT_HAT_CHECK_PTE_MLIST, "page B's second PTE invalidated");
	VT_POKE(*ptep, pte);
	VT_POKE(ht->ht_valid_cnt, vc);
	audit_clean("after restoring page B's PTE");
}

static void
damage_embed(void)
{
	uint_t share = W.pb->p_share;

	W.pb->p_share = share + 1;
	expect(VT_HAT_CHECK_EMBED, "page B's p_share bumped");
	W.pb->p_share = share;
	audit_clean("after restoring page B's p_share");

	W.pa->p_share = 1;
	expect(VT_HAT_CHECK_EMBED, "embedded page A given p_share 1");
	W.pa->p_share = 0;
	audit_clean("after restoring page A's p_share");
}

static void
damage_mlist_links(void)
{
	hment_t *hm = nth_hment(W.pc, 1), *prev = hm->hm_prev;
	pfn_t pfn = hm->hm_pfn;

	hm->hm_prev = NULL;
	expect(VT_HAT_CHECK_MLIST_LINKS, "page C's second hment hm_prev cleared");
	hm->hm_prev = prev;
	audit_clean("after restoring hm_prev");

	hm->hm_pfn = pfn + 1;
	expect(VT_HAT_CHECK_MLIST_LINKS, "page C's second hment hm_pfn changed");
	hm->hm_pfn = pfn;
	audit_clean("after restoring hm_pfn");
}

static void
damage_hash_once(void)
{
	hment_t *hm = nth_hment(W.pb, 0);
	uint32_t idx = vt_hment_hash(hm->hm_htable->ht_pfn, hm->hm_entry);
	struct hment_bucket saved = hment_table[idx];

	/* Empty the bucket page B's first hment lives in. */
	memset(&hment_table[idx], 0, sizeof (hment_table[idx]));
	expect(VT_HAT_CHECK_HASH_ONCE, "page B's hment bucket emptied");
	hment_table[idx] = saved;
	audit_clean("after restoring the bucket");
}

static void
count_visit(hment_t *hm, uint32_t bucket, void *arg)
{
	(*(uint32_t *)arg)++;
}

static void
damage_hash_extra(void)
{
	static hment_t fake;
	struct hment_bucket saved;
	uint32_t idx, n = 0;

	for (idx = 0; idx < hment_hash_entries; idx++) {
		n = 0;
		vt_hment_bucket_foreach(idx, count_visit, &n);
		if (n == 0)
			break;
	}
	if (!tap_ok(idx < hment_hash_entries, "%s: found an empty hment "
	    "bucket", revname))
		return;

	/* A stray hment as the only member of an empty bucket. */
	memset(&fake, 0, sizeof (fake));
	fake.hm_htable = a_table();
	fake.hm_entry = 77;
	fake.hm_pfn = W.pa->p_pagenum;
	saved = hment_table[idx];
	if (hment_revision == HMENT_REV_2006_CHAIN)
		hment_table[idx].hb_chain = &fake;
	else
		RB_ROOT(&hment_table[idx].hb_tree) = &fake;
	expect(VT_HAT_CHECK_HASH_EXTRA, "unlisted hment put in the hash");
	hment_table[idx] = saved;
	audit_clean("after removing the stray hment");

	/* 2006 chains: a bucket that loops must not hang the audit. */
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		hment_t *hm = nth_hment(W.pb, 0), *next = hm->hm_hashnext;

		hm->hm_hashnext = hm;
		expect(VT_HAT_CHECK_HASH_EXTRA, "hash chain made to loop");
		hm->hm_hashnext = next;
		audit_clean("after unlooping the chain");
	}
}

static void
damage_valid_cnt(void)
{
	htable_t *ht = a_table();
	int16_t vc = VT_PEEK(ht->ht_valid_cnt);

	VT_POKE(ht->ht_valid_cnt, (int16_t)(vc + 1));
	expect(VT_HAT_CHECK_VALID_CNT, "page A's table ht_valid_cnt bumped");
	VT_POKE(ht->ht_valid_cnt, vc);
	audit_clean("after restoring ht_valid_cnt");
}

static void
poke_busy(htable_t *ht, int d, const char *what)
{
	int16_t b = VT_PEEK(ht->ht_busy);

	VT_POKE(ht->ht_busy, (int16_t)(b + d));
	expect(VT_HAT_CHECK_BUSY, what);
	VT_POKE(ht->ht_busy, b);
	audit_clean("after restoring ht_busy");
}

static void
damage_busy(void)
{
	htable_t *sh;

	poke_busy(a_table(), 1, "leaf table given an extra hold");
	poke_busy(W.hat1->hat_htable, -1, "top-level table lost its hold");
	poke_busy(a_table()->ht_parent, 1, "level-1 table given an extra hold");

	/* The ISM table is held once by hat 2's SHARED_PFN table. */
	sh = htable_lookup(W.hat2, VA_SHARE, 0);
	if (tap_ok(sh != NULL && (sh->ht_flags & HTABLE_SHARED_PFN) &&
	    sh->ht_shares != NULL, "%s: hat 2 has a SHARED_PFN table",
	    revname)) {
		htable_t *ism_ht = sh->ht_shares;

		htable_release(sh);
		poke_busy(ism_ht, -1, "ISM table lost its sharer's hold");
	} else if (sh != NULL) {
		htable_release(sh);
	}
}

static void
damage_ht_hashed(void)
{
	hat_t *hat = W.hat1;
	htable_t *head = NULL;
	uint_t h;

	for (h = 0; h < hat->hat_num_hash && head == NULL; h++)
		head = hat->hat_ht_hash[h];
	VERIFY(head != NULL);
	head->ht_prev = head;
	expect(VT_HAT_CHECK_HT_HASHED, "bucket head given a ht_prev");
	head->ht_prev = NULL;
	audit_clean("after restoring ht_prev");
}

static void
damage_parent_ptp(void)
{
	htable_t *ht = a_table(), *p = ht->ht_parent;
	uint_t e = (uint_t)((ht->ht_vaddr >> LEVEL_SHIFT(p->ht_level)) & 511);
	x86pte_t *ptep = pte_ptr(p, e), pte = VT_PEEK(*ptep);

	VT_POKE(*ptep, pte ^ PT_WRITABLE);
	expect(VT_HAT_CHECK_PARENT_PTP, "parent PTP of page A's table altered");
	VT_POKE(*ptep, pte);
	audit_clean("after restoring the PTP");
}

static void
damage_frame_tag(void)
{
	pfn_t pfn = W.pa->p_pagenum;
	htable_t *ht = a_table();
	uint8_t tag;

	VT_POKE(vt_frame_tag[pfn], VT_FRAME_FREE);
	expect(VT_HAT_CHECK_FRAME_TAG, "mapped data frame tagged free");
	VT_POKE(vt_frame_tag[pfn], VT_FRAME_DATA);
	audit_clean("after retagging the data frame");

	tag = VT_PEEK(vt_frame_tag[ht->ht_pfn]);
	VT_POKE(vt_frame_tag[ht->ht_pfn], (uint8_t)(VT_FRAME_PT + 3));
	expect(VT_HAT_CHECK_FRAME_TAG, "leaf table frame tagged level 3");
	VT_POKE(vt_frame_tag[ht->ht_pfn], tag);
	audit_clean("after retagging the table frame");
}

static void
damage_conserve(void)
{
	uint64_t o;

	o = VT_PEEK(hment_cache->cache_outstanding);
	VT_POKE(hment_cache->cache_outstanding, o + 1);
	expect(VT_HAT_CHECK_HMENT_CONSERVE, "an hment leaked from kmem");
	VT_POKE(hment_cache->cache_outstanding, o);
	audit_clean("after restoring hment_cache");

	o = VT_PEEK(htable_cache->cache_outstanding);
	VT_POKE(htable_cache->cache_outstanding, o + 1);
	expect(VT_HAT_CHECK_HTABLE_CONSERVE, "an htable leaked from kmem");
	VT_POKE(htable_cache->cache_outstanding, o);
	audit_clean("after restoring htable_cache");
}

static void
damage_reserve_cnt(void)
{
	uint_t c;

	c = VT_PEEK(hment_reserve_count);
	VT_POKE(hment_reserve_count, c + 1);
	expect(VT_HAT_CHECK_RESERVE_CNT, "hment_reserve_count miscounted");
	VT_POKE(hment_reserve_count, c);
	audit_clean("after restoring hment_reserve_count");

	c = VT_PEEK(htable_reserve_cnt);
	VT_POKE(htable_reserve_cnt, c + 1);
	expect(VT_HAT_CHECK_RESERVE_CNT, "htable_reserve_cnt miscounted");
	VT_POKE(htable_reserve_cnt, c);
	audit_clean("after restoring htable_reserve_cnt");
}

static void
damage_freemem(void)
{
	uint64_t f = VT_PEEK(freemem);
	uint32_t ap = VT_PEEK(active_ptables);

	VT_POKE(freemem, f + 1);
	expect(VT_HAT_CHECK_FREEMEM, "freemem bumped");
	VT_POKE(freemem, f);
	audit_clean("after restoring freemem");

	VT_POKE(active_ptables, ap - 1);
	expect(VT_HAT_CHECK_FREEMEM, "active_ptables lowered");
	VT_POKE(active_ptables, ap);
	audit_clean("after restoring active_ptables");
}

static void
damage_hat_list(void)
{
	uint16_t fl = VT_PEEK(W.hat2->hat_flags);
	hat_t *prev = W.hat2->hat_prev;

	VT_POKE(W.hat2->hat_flags, (uint16_t)(fl | HAT_VICTIM));
	expect(VT_HAT_CHECK_HAT_LIST, "hat 2 left HAT_VICTIM");
	VT_POKE(W.hat2->hat_flags, fl);
	audit_clean("after clearing HAT_VICTIM");

	VT_POKE(W.hat2->hat_flags, (uint16_t)(fl | HAT_FREEING));
	expect(VT_HAT_CHECK_HAT_LIST, "hat 2 left HAT_FREEING");
	VT_POKE(W.hat2->hat_flags, fl);
	audit_clean("after clearing HAT_FREEING");

	W.hat2->hat_prev = W.hat2;
	expect(VT_HAT_CHECK_HAT_LIST, "hat 2's hat_prev broken");
	W.hat2->hat_prev = prev;
	audit_clean("after restoring hat_prev");
}

/* ------------------------------------------------------------- driver */

static void
run_revision(int rev, const char *name)
{
	revname = name;
	boot(rev);
	tap_ok(VT_PEEK(W.pa->p_embed) == 1, "%s: page A's mapping is embedded",
	    revname);
	tap_ok(VT_PEEK(W.pb->p_embed) == 0 && W.pb->p_share == 2,
	    "%s: page B has 2 hments", revname);
	tap_ok(VT_PEEK(W.pc->p_embed) == 0 && W.pc->p_share == 3,
	    "%s: page C has 3 hments", revname);
	if (!W.have_large)
		tap_diag("%s: no 512-frame run for a large page", revname);
	if (!audit_clean("after boot")) {
		teardown();
		return;
	}

	damage_pte_mlist();
	damage_embed();
	damage_mlist_links();
	damage_hash_once();
	damage_hash_extra();
	damage_valid_cnt();
	damage_busy();
	damage_ht_hashed();
	damage_parent_ptp();
	damage_frame_tag();
	damage_conserve();
	damage_reserve_cnt();
	damage_freemem();
	damage_hat_list();

	teardown();
}

int
main(void)
{
	int c;

	for (c = 0; c < VT_HAT_NCHECKS; c++)
		tap_ok(vt_hat_check_name((enum vt_hat_check)c) != NULL &&
		    strcmp(vt_hat_check_name((enum vt_hat_check)c),
		    "unknown") != 0, "check %d is named %s", c,
		    vt_hat_check_name((enum vt_hat_check)c));

	run_revision(HMENT_REV_2007_AVL, "2007-avl");
	run_revision(HMENT_REV_2006_CHAIN, "2006-chain");

	/* Every invariant must have been seen failing (in both revisions). */
	for (c = 0; c < VT_HAT_NCHECKS; c++)
		tap_ok(covered[c] >= 2, "check %s was made to fail (%d times)",
		    vt_hat_check_name((enum vt_hat_check)c), covered[c]);

	tap_plan(tap_n);
	return (tap_done());
}
