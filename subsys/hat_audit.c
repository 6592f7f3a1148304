/*
 * hat_audit.c - the HAT subsystem's stop-the-world invariant audit
 * (DESIGN §5.2): steps 1-4 (hats, tables, busy counts) and the driver;
 * hat_audit_lists.c has steps 5-8.
 *
 * Harness code, not a port.  vt_hat_audit() is called while every worker is
 * parked at a safe point: no HAT lock is held and no operation is half done.
 * The park barrier orders every earlier store before our loads, so plain
 * reads are correct; fields that the port declares atomic or racy are read
 * with VT_PEEK anyway (relaxed, no schedule point) so ThreadSanitizer sees
 * atomic-vs-atomic accesses only.  The audit takes no locks and changes
 * nothing in the HAT state.
 *
 * The walk, in order (each step records what later steps need):
 *   1. the hat list (kernel hat as anchor, then vt_hat_first/vt_hat_next);
 *   2. every hat's hash buckets, its hat_ht_cached list, the htable reserve,
 *      the --htable-lookup rcu limbo;
 *   3. every hashed/cached table: frame tag and ownership, parent PTP, and a
 *      scan of its 512 PTEs (valid count, PTP -> child, leaf frames, the set
 *      of consistent leaf mappings that must be listed);
 *   4. ht_busy of every hashed table;
 *   5. the hment hash (vt_hment_bucket_foreach over every bucket);
 *   6. every page's mapping list (embedded entry or hment chain);
 *   7. listed <-> PTE matching, hash membership both ways;
 *   8. reserves and kmem conservation, freemem and active_ptables.
 * Lookups use private hash maps keyed by object address; the maps only
 * answer membership questions, so nothing reported depends on heap
 * addresses: messages name hats, tables and pages by hat_id, ht_id, level,
 * vaddr, entry and pfn.
 *
 * The audit keeps going after a violation; r->violations counts them all and
 * r->first/r->msg describe the first one met in the walk order above.
 */
#include "hat_audit.h"
#include "hat_audit_impl.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- names */

const struct vt_check vt_hat_checks[VT_HAT_NCHECKS] = {
#define VT_HAT_CHECK_ENTRY(id, name, desc) { name, desc },
	VT_HAT_CHECKS(VT_HAT_CHECK_ENTRY)
#undef VT_HAT_CHECK_ENTRY
};

const char *
vt_hat_check_name(enum vt_hat_check c)
{
	if ((unsigned)c >= VT_HAT_NCHECKS)
		return ("unknown");
	return (vt_hat_checks[c].name);
}

void
vt_hat_audit_viol(struct audit *a, enum vt_hat_check c, const char *fmt, ...)
{
	va_list ap;

	if (a->r->violations++ != 0)
		return;
	a->r->first = (int)c;
	a->r->check = vt_hat_check_name(c);
	va_start(ap, fmt);
	(void) vsnprintf(a->r->msg, sizeof (a->r->msg), fmt, ap);
	va_end(ap);
}


const char *
vt_hat_audit_tname(const htable_t *ht, char *buf, size_t len)
{
	const hat_t *hat = ht->ht_hat;

	if (hat != NULL)
		(void) snprintf(buf, len, "hat %" PRIu32 " ht %" PRIu64
		    " L%d va 0x%" PRIxPTR, hat->hat_id, ht->ht_id,
		    (int)ht->ht_level, ht->ht_vaddr);
	else
		(void) snprintf(buf, len, "ht %" PRIu64 " L%d va 0x%" PRIxPTR
		    " (no hat)", ht->ht_id, (int)ht->ht_level, ht->ht_vaddr);
	return (buf);
}

struct trec *
vt_hat_audit_rec_of(struct audit *a, const htable_t *ht)
{
	uint32_t i;

	if (ht == NULL)
		return (NULL);
	i = vt_objmap_get(&a->tmap, PKEY(ht), 0, 0);
	return (i == UINT32_MAX ? NULL : &a->recs[i]);
}

static struct trec *
hashed_lookup(struct audit *a, const hat_t *hat, uintptr_t va, level_t l)
{
	uint32_t i = vt_objmap_get(&a->vmap, PKEY(hat), va, (uint64_t)(uint8_t)l);

	return (i == UINT32_MAX ? NULL : &a->recs[i]);
}

bool
vt_hat_audit_pfn_ok(pfn_t pfn)
{
	return (pfn < vt_npages);
}

x86pte_t *
vt_hat_audit_ptes(const htable_t *ht)
{
	return ((x86pte_t *)vt_frame_va(ht->ht_pfn));
}

/* First VA mapped by entry e of ht (htable_e2va's rule, VA hole included). */
static uintptr_t
entry_va(const htable_t *ht, uint_t e)
{
	uintptr_t va = ht->ht_vaddr + ((uintptr_t)e << LEVEL_SHIFT(ht->ht_level));

	if (ht->ht_level == (level_t)mmu.max_level && va >= mmu.hole_start)
		va += (mmu.hole_end - mmu.hole_start) + 1;
	return (va);
}

/* Base VA of the level-l table covering va. */
static uintptr_t
table_base(uintptr_t va, level_t l)
{
	if (l == (level_t)mmu.max_level)
		return (0);
	return (va & LEVEL_MASK(l + 1));
}



/* ------------------------------------------------------ 1. hat list */

static void
walk_hats(struct audit *a)
{
	hat_t *khat = kas.a_hat;
	hat_t *hat, *prev = NULL;
	struct vt_objmap seen;
	uint16_t fl;

	vt_objmap_init(&seen, 64);
	VEC_PUSH(a->hats, a->nhats, a->hats_cap, khat);
	(void) vt_objmap_put(&seen, PKEY(khat), 0, 0, 0);
	fl = VT_PEEK(khat->hat_flags);
	if (fl & (HAT_VICTIM | HAT_FREEING))
		vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "kernel hat %" PRIu32
		    " has flags 0x%x (VICTIM/FREEING) at rest",
		    khat->hat_id, fl);

	hat = vt_hat_first();
	if (hat != khat->hat_next)
		vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "vt_hat_first() disagrees with "
		    "kas.a_hat->hat_next");
	for (; hat != NULL; prev = hat, hat = vt_hat_next(hat)) {
		if (vt_objmap_put(&seen, PKEY(hat), 0, 0, 0) != UINT32_MAX) {
			vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "hat %" PRIu32 " met twice "
			    "on the hat list (cycle) after hat %" PRIu32,
			    hat->hat_id, prev != NULL ? prev->hat_id : 0);
			break;
		}
		VEC_PUSH(a->hats, a->nhats, a->hats_cap, hat);
		if (hat->hat_prev != prev)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "hat %" PRIu32 ": hat_prev "
			    "is not the previous hat on the list (%s%" PRIu32
			    ")", hat->hat_id, prev ? "hat " : "none ",
			    prev ? prev->hat_id : 0);
		if (hat->hat_next != vt_hat_next(hat))
			vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "hat %" PRIu32 ": hat_next "
			    "disagrees with vt_hat_next()", hat->hat_id);
		fl = VT_PEEK(hat->hat_flags);
		if (fl & (HAT_VICTIM | HAT_FREEING))
			vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "hat %" PRIu32 " has flags "
			    "0x%x (%s) at rest", hat->hat_id, fl,
			    (fl & (HAT_VICTIM | HAT_FREEING)) ==
			    (HAT_VICTIM | HAT_FREEING) ? "VICTIM|FREEING" :
			    (fl & HAT_VICTIM) ? "VICTIM" : "FREEING");
	}
	if (khat->hat_prev != prev)
		vt_hat_audit_viol(a, VT_HAT_CHECK_HAT_LIST, "kas.a_hat->hat_prev is not the "
		    "last hat on the list (%s%" PRIu32 ")",
		    prev ? "hat " : "none ", prev ? prev->hat_id : 0);
	vt_objmap_fini(&seen);
}

/* ------------------------------------------- 2. collect the tables */

/* Add ht to the records; returns its index or UINT32_MAX if met before. */
static uint32_t
add_rec(struct audit *a, htable_t *ht, hat_t *hat, uint8_t where,
    uint32_t bucket, uint8_t *prev_where)
{
	struct trec t;
	uint32_t old, idx = (uint32_t)a->nrecs;

	old = vt_objmap_put(&a->tmap, PKEY(ht), 0, 0, idx);
	if (old != UINT32_MAX) {
		*prev_where = a->recs[old].where;
		return (UINT32_MAX);
	}
	memset(&t, 0, sizeof (t));
	t.ht = ht;
	t.hat = hat;
	t.where = where;
	t.bucket = bucket;
	VEC_PUSH(a->recs, a->nrecs, a->recs_cap, t);
	a->r->objects++;
	return (idx);
}

static const char *
where_name(uint8_t w)
{
	return (w == WHERE_HASHED ? "a hash chain" :
	    w == WHERE_CACHED ? "a cached list" : "the reserve");
}

static void
walk_hat_tables(struct audit *a, hat_t *hat)
{
	char b1[96], b2[96];
	uint8_t pw;
	uint_t h;
	level_t top = (level_t)mmu.max_level;
	htable_t *ht, *prev;

	if (hat->hat_num_hash == 0 ||
	    (hat->hat_num_hash & (hat->hat_num_hash - 1)) != 0 ||
	    hat->hat_ht_hash == NULL) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "hat %" PRIu32 ": bad hash "
		    "(hat_num_hash %u, table %s)", hat->hat_id,
		    hat->hat_num_hash, hat->hat_ht_hash ? "set" : "NULL");
		return;
	}
	for (h = 0; h < hat->hat_num_hash; h++) {
		prev = NULL;
		for (ht = hat->hat_ht_hash[h]; ht != NULL;
		    prev = ht, ht = ht->ht_next) {
			uint32_t idx = add_rec(a, ht, hat, WHERE_HASHED, h, &pw);
			uint32_t dup;

			if (idx == UINT32_MAX) {
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "hat %" PRIu32
				    " bucket %u: %s met again (already on %s)",
				    hat->hat_id, h, vt_hat_audit_tname(ht, b1, sizeof (b1)),
				    where_name(pw));
				break;
			}
			a->nhashed++;
			if (ht->ht_prev != prev)
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "hat %" PRIu32
				    " bucket %u: %s has ht_prev %s, expected %s",
				    hat->hat_id, h, vt_hat_audit_tname(ht, b1, sizeof (b1)),
				    ht->ht_prev == NULL ? "NULL" : "set",
				    prev == NULL ? "NULL" :
				    vt_hat_audit_tname(prev, b2, sizeof (b2)));
			if (ht->ht_hat != hat) {
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "hat %" PRIu32
				    " bucket %u: table ht %" PRIu64 " has ht_hat"
				    " %s%" PRIu32, hat->hat_id, h, ht->ht_id,
				    ht->ht_hat ? "hat " : "NULL ",
				    ht->ht_hat ? ht->ht_hat->hat_id : 0);
				continue;
			}
			if (ht->ht_level < 0 || ht->ht_level > top) {
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "%s: level out of "
				    "range", vt_hat_audit_tname(ht, b1, sizeof (b1)));
				continue;
			}
			if (HTABLE_HASH(hat, ht->ht_vaddr, ht->ht_level) != h)
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "%s: in bucket %u,"
				    " HTABLE_HASH says %u",
				    vt_hat_audit_tname(ht, b1, sizeof (b1)), h,
				    (uint_t)HTABLE_HASH(hat, ht->ht_vaddr,
				    ht->ht_level));
			if (table_base(ht->ht_vaddr, ht->ht_level) !=
			    ht->ht_vaddr)
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "%s: ht_vaddr not "
				    "aligned for its level",
				    vt_hat_audit_tname(ht, b1, sizeof (b1)));
			dup = vt_objmap_put(&a->vmap, PKEY(hat), ht->ht_vaddr,
			    (uint64_t)(uint8_t)ht->ht_level, idx);
			if (dup != UINT32_MAX)
				vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "%s: a second "
				    "table (ht %" PRIu64 ") is hashed for the "
				    "same vaddr and level",
				    vt_hat_audit_tname(ht, b1, sizeof (b1)),
				    a->recs[dup].ht->ht_id);
		}
	}

	/* The top-level table. */
	ht = hat->hat_htable;
	{
		struct trec *t = vt_hat_audit_rec_of(a, ht);

		if (t == NULL || t->where != WHERE_HASHED || t->hat != hat ||
		    ht->ht_level != top || ht->ht_vaddr != 0)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "hat %" PRIu32 ": hat_htable"
			    " is %s", hat->hat_id, ht == NULL ? "NULL" :
			    "not a hashed top-level table of this hat at va 0");
	}

	/* The cached list (free tables that keep their page table). */
	for (ht = VT_PEEK(hat->hat_ht_cached); ht != NULL; ht = ht->ht_next) {
		uint32_t idx = add_rec(a, ht, hat, WHERE_CACHED, 0, &pw);

		if (idx == UINT32_MAX) {
			vt_hat_audit_viol(a, pw == WHERE_HASHED ? VT_HAT_CHECK_HT_HASHED :
			    VT_HAT_CHECK_HTABLE_CONSERVE, "hat %" PRIu32 ": cached "
			    "table ht %" PRIu64 " is also on %s", hat->hat_id,
			    ht->ht_id, where_name(pw));
			break;
		}
		a->ncached++;
		if (ht->ht_hat != hat)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HTABLE_CONSERVE, "hat %" PRIu32
			    ": cached table ht %" PRIu64 " belongs to %s%" PRIu32,
			    hat->hat_id, ht->ht_id, ht->ht_hat ? "hat " :
			    "no hat ", ht->ht_hat ? ht->ht_hat->hat_id : 0);
	}
}

static void
walk_htable_reserve(struct audit *a)
{
	htable_t *ht;
	uint8_t pw;
	uint64_t n = 0;
	uint_t cnt = VT_PEEK(htable_reserve_cnt);

	for (ht = htable_reserve_pool; ht != NULL; ht = ht->ht_next) {
		if (add_rec(a, ht, NULL, WHERE_RESERVE, 0, &pw) ==
		    UINT32_MAX) {
			vt_hat_audit_viol(a, pw == WHERE_HASHED ? VT_HAT_CHECK_HT_HASHED :
			    VT_HAT_CHECK_HTABLE_CONSERVE, "htable reserve: ht %"
			    PRIu64 " is also on %s", ht->ht_id,
			    where_name(pw));
			break;
		}
		n++;
		if (ht->ht_pfn != PFN_INVALID)
			vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "htable reserve: ht %"
			    PRIu64 " still owns frame pfn %" PRIu64,
			    ht->ht_id, (uint64_t)ht->ht_pfn);
	}
	a->nreserve_ht = n;
	if (n != cnt)
		vt_hat_audit_viol(a, VT_HAT_CHECK_RESERVE_CNT, "htable_reserve_cnt is %u but "
		    "the reserve list holds %" PRIu64 " tables", cnt, n);
}

/*
 * --htable-lookup rcu: tables waiting out a grace period.  Each is dead
 * (HT_BUSY_DEAD), unhashed and empty; it still owns its frame, so it is
 * recorded like a cached table (a SHARED_PFN one, whose frame is borrowed,
 * like a reserve entry) and its owner must still be a live hat.
 */
static void
walk_htable_limbo(struct audit *a)
{
	htable_t *ht;
	uint8_t pw;
	uint64_t n = 0;
	uint_t cnt = VT_PEEK(htable_rcu_limbo_cnt);

	for (ht = htable_rcu_limbo; ht != NULL; ht = ht->ht_rcu_next) {
		bool shared = (ht->ht_flags & HTABLE_SHARED_PFN) != 0;

		if (add_rec(a, ht, ht->ht_hat, shared ? WHERE_RESERVE :
		    WHERE_CACHED, 0, &pw) == UINT32_MAX) {
			vt_hat_audit_viol(a, pw == WHERE_HASHED ? VT_HAT_CHECK_HT_HASHED :
			    VT_HAT_CHECK_HTABLE_CONSERVE, "RCU limbo: ht %"
			    PRIu64 " is also on %s", ht->ht_id, where_name(pw));
			break;
		}
		n++;
		if (VT_PEEK(ht->ht_busy) != HT_BUSY_DEAD)
			vt_hat_audit_viol(a, VT_HAT_CHECK_BUSY, "RCU limbo: ht %"
			    PRIu64 " has ht_busy %d, not dead", ht->ht_id,
			    (int)VT_PEEK(ht->ht_busy));
		if (ht->ht_hat == NULL ||
		    VT_PEEK(ht->ht_hat->hat_rcu_pending) == 0)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HTABLE_CONSERVE, "RCU "
			    "limbo: ht %" PRIu64 " has no owner that waits for "
			    "it", ht->ht_id);
	}
	a->nlimbo = n;
	if (n != cnt)
		vt_hat_audit_viol(a, VT_HAT_CHECK_RESERVE_CNT, "htable_rcu_limbo_cnt is "
		    "%u but the limbo holds %" PRIu64 " tables", cnt, n);
}

/* ------------------------------------------------- 3. table contents */

/* Frame tag and single ownership of a (non-shared) table's frame. */
static void
check_frame(struct audit *a, uint32_t idx)
{
	struct trec *t = &a->recs[idx];
	htable_t *ht = t->ht;
	char b1[96], b2[96];
	uint8_t tag;

	if (!vt_hat_audit_pfn_ok(ht->ht_pfn)) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s: ht_pfn %" PRIu64 " is not a "
		    "frame", vt_hat_audit_tname(ht, b1, sizeof (b1)),
		    (uint64_t)ht->ht_pfn);
		return;
	}
	if (ht->ht_level < 0 || ht->ht_level >= MAX_NUM_LEVEL)
		return;			/* reported by the hash walk */
	t->frame_ok = 1;
	tag = VT_PEEK(vt_frame_tag[ht->ht_pfn]);
	if (tag != VT_FRAME_PT + ht->ht_level)
		vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s: frame pfn %" PRIu64
		    " is tagged %u, expected %u (page table L%d)%s",
		    vt_hat_audit_tname(ht, b1, sizeof (b1)), (uint64_t)ht->ht_pfn, tag,
		    (unsigned)(VT_FRAME_PT + ht->ht_level), (int)ht->ht_level,
		    tag == VT_FRAME_FREE ? ": a free frame in use" : "");
	if (a->frame_owner[ht->ht_pfn] != 0) {
		struct trec *o = &a->recs[a->frame_owner[ht->ht_pfn] - 1];

		vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "frame pfn %" PRIu64 " is owned "
		    "by both %s and %s", (uint64_t)ht->ht_pfn,
		    vt_hat_audit_tname(o->ht, b1, sizeof (b1)), vt_hat_audit_tname(ht, b2, sizeof (b2)));
	} else {
		a->frame_owner[ht->ht_pfn] = idx + 1;
		a->owned_frames++;
	}
}

/* Each hashed table below the top: its parent holds the right PTP. */
static void
check_parent(struct audit *a, uint32_t idx)
{
	struct trec *t = &a->recs[idx], *pt;
	htable_t *ht = t->ht, *p;
	level_t l = ht->ht_level, top = (level_t)mmu.max_level;
	char b1[96], b2[96];
	x86pte_t pte, want;
	uint_t e;

	if (l == top) {
		if (ht != t->hat->hat_htable)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HT_HASHED, "%s: a top-level table "
			    "that is not hat_htable", vt_hat_audit_tname(ht, b1,
			    sizeof (b1)));
		if (ht->ht_parent != NULL)
			vt_hat_audit_viol(a, VT_HAT_CHECK_PARENT_PTP, "%s: top-level table has "
			    "ht_parent set", vt_hat_audit_tname(ht, b1, sizeof (b1)));
		return;
	}
	p = ht->ht_parent;
	pt = vt_hat_audit_rec_of(a, p);
	if (pt == NULL || pt->where != WHERE_HASHED) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_PARENT_PTP, "%s: ht_parent is %s",
		    vt_hat_audit_tname(ht, b1, sizeof (b1)), p == NULL ? "NULL" :
		    "not a hashed table");
		return;
	}
	pt->children++;
	if (pt->hat != t->hat || p->ht_level != l + 1 ||
	    p->ht_vaddr != table_base(ht->ht_vaddr, l + 1)) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_PARENT_PTP, "%s: ht_parent %s does not "
		    "cover it", vt_hat_audit_tname(ht, b1, sizeof (b1)),
		    vt_hat_audit_tname(p, b2, sizeof (b2)));
		return;
	}
	if (!pt->frame_ok)
		return;			/* parent's frame already reported */
	e = (uint_t)((ht->ht_vaddr >> LEVEL_SHIFT(l + 1)) & (NPTES - 1));
	pte = VT_PEEK(vt_hat_audit_ptes(p)[e]);
	want = MAKEPTP(ht->ht_pfn, l);
	if (PTE_NOREFMOD(pte) != PTE_NOREFMOD(want))
		vt_hat_audit_viol(a, VT_HAT_CHECK_PARENT_PTP, "%s: parent %s entry %u is "
		    "0x%" PRIx64 ", expected PTP 0x%" PRIx64,
		    vt_hat_audit_tname(ht, b1, sizeof (b1)), vt_hat_audit_tname(p, b2, sizeof (b2)), e,
		    (uint64_t)pte, (uint64_t)want);
}

static void
scan_table(struct audit *a, uint32_t idx)
{
	struct trec *t = &a->recs[idx], *c;
	htable_t *ht = t->ht;
	level_t l = ht->ht_level;
	x86pte_t *ptes = vt_hat_audit_ptes(ht);
	char b1[96], b2[96];
	uint_t e, nvalid = 0;
	int16_t vc;

	for (e = 0; e < NPTES; e++) {
		x86pte_t pte = VT_PEEK(ptes[e]);
		pfn_t pfn;

		a->r->objects++;
		if (!PTE_ISVALID(pte))
			continue;
		if (t->where == WHERE_CACHED) {
			nvalid++;
			continue;
		}
		if (!PTE_ISPAGE(pte, l)) {
			/* A PTP: must lead to a hashed child of this hat. */
			uintptr_t va = entry_va(ht, e);

			c = hashed_lookup(a, t->hat, va, l - 1);
			/*
			 * Note: the kernel's hat_alloc copies the kernel's
			 * top-level PTPs into each user top table; this port's
			 * does not (hat_i86.c), so no foreign PTP is excused.
			 */
			if (c == NULL) {
				nvalid++;
				vt_hat_audit_viol(a, VT_HAT_CHECK_PARENT_PTP, "%s entry %u: PTP "
				    "0x%" PRIx64 " (va 0x%" PRIxPTR ") leads "
				    "to no hashed L%d table",
				    vt_hat_audit_tname(ht, b1, sizeof (b1)), e,
				    (uint64_t)pte, va, (int)(l - 1));
				continue;
			}
			nvalid++;
			if (c->ht->ht_pfn != PTE2PFN(pte, l) ||
			    c->ht->ht_parent != ht)
				vt_hat_audit_viol(a, VT_HAT_CHECK_PARENT_PTP, "%s entry %u: PTP "
				    "0x%" PRIx64 " does not lead to its child "
				    "%s (pfn %" PRIu64 ", %s)",
				    vt_hat_audit_tname(ht, b1, sizeof (b1)), e,
				    (uint64_t)pte, vt_hat_audit_tname(c->ht, b2,
				    sizeof (b2)), (uint64_t)c->ht->ht_pfn,
				    c->ht->ht_parent == ht ? "parent ok" :
				    "parent differs");
			continue;
		}

		/* A leaf mapping. */
		nvalid++;
		pfn = PTE2PFN(pte, l);
		if (pfn == 0)
			vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s entry %u: PTE 0x%" PRIx64
			    " maps pfn 0, which the machine keeps back",
			    vt_hat_audit_tname(ht, b1, sizeof (b1)), e, (uint64_t)pte);
		{
			pgcnt_t n = l == 0 ? 1 : SZCPAGES(l), i;

			if (l > 0 && (pfn & (n - 1)) != 0)
				vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s entry %u: large"
				    " PTE 0x%" PRIx64 " maps unaligned pfn %"
				    PRIu64, vt_hat_audit_tname(ht, b1, sizeof (b1)), e,
				    (uint64_t)pte, (uint64_t)pfn);
			for (i = 0; i < n; i++) {
				uint8_t tag;

				if (!vt_hat_audit_pfn_ok(pfn + i)) {
					vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s entry "
					    "%u: PTE 0x%" PRIx64 " maps pfn %"
					    PRIu64 " beyond the machine",
					    vt_hat_audit_tname(ht, b1, sizeof (b1)), e,
					    (uint64_t)pte,
					    (uint64_t)(pfn + i));
					break;
				}
				tag = VT_PEEK(vt_frame_tag[pfn + i]);
				if (tag != VT_FRAME_DATA) {
					vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s entry "
					    "%u: PTE 0x%" PRIx64 " maps pfn %"
					    PRIu64 " tagged %s (%u)",
					    vt_hat_audit_tname(ht, b1, sizeof (b1)), e,
					    (uint64_t)pte,
					    (uint64_t)(pfn + i),
					    tag == VT_FRAME_FREE ? "free" :
					    "page table", tag);
					break;
				}
			}
		}
		if ((pte & PT_SOFTWARE) < PT_NOCONSIST && vt_hat_audit_pfn_ok(pfn)) {
			struct expect x;

			x.rec = idx;
			x.entry = (uint16_t)e;
			x.matched = 0;
			x.pfn = pfn;
			x.pte = pte;
			(void) vt_objmap_put(&a->emap, PKEY(ht), e, 0,
			    (uint32_t)a->nexp);
			VEC_PUSH(a->exp, a->nexp, a->exp_cap, x);
		}
	}

	vc = VT_PEEK(ht->ht_valid_cnt);
	if (t->where == WHERE_CACHED) {
		if (nvalid != 0 || vc != 0)
			vt_hat_audit_viol(a, VT_HAT_CHECK_VALID_CNT, "cached %s: %u valid "
			    "entries, ht_valid_cnt %d (a cached table must be "
			    "empty)", vt_hat_audit_tname(ht, b1, sizeof (b1)), nvalid,
			    (int)vc);
	} else if ((int)vc != (int)nvalid) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_VALID_CNT, "%s: ht_valid_cnt %d but %u valid "
		    "entries", vt_hat_audit_tname(ht, b1, sizeof (b1)), (int)vc, nvalid);
	}
}

static void
check_tables(struct audit *a)
{
	size_t i;
	char b1[96], b2[96];

	/* Frames first, so scans know which frames are readable. */
	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];
		htable_t *ht = t->ht;

		if (t->where == WHERE_RESERVE)
			continue;
		if (ht->ht_flags & HTABLE_SHARED_PFN) {
			struct trec *s = vt_hat_audit_rec_of(a, ht->ht_shares);

			if (t->where != WHERE_HASHED) {
				vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "cached %s is a "
				    "SHARED_PFN table", vt_hat_audit_tname(ht, b1,
				    sizeof (b1)));
				continue;
			}
			if (s == NULL || s->where != WHERE_HASHED ||
			    (s->ht->ht_flags & HTABLE_SHARED_PFN)) {
				vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s: SHARED_PFN "
				    "table whose ht_shares is not a hashed "
				    "table", vt_hat_audit_tname(ht, b1, sizeof (b1)));
				continue;
			}
			s->sharers++;
			if (ht->ht_pfn != s->ht->ht_pfn)
				vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "%s: SHARED_PFN "
				    "ht_pfn %" PRIu64 " but it shares %s with "
				    "pfn %" PRIu64, vt_hat_audit_tname(ht, b1, sizeof (b1)),
				    (uint64_t)ht->ht_pfn, vt_hat_audit_tname(s->ht, b2,
				    sizeof (b2)), (uint64_t)s->ht->ht_pfn);
			else if (vt_hat_audit_pfn_ok(ht->ht_pfn))
				t->frame_ok = 1;
			continue;
		}
		check_frame(a, (uint32_t)i);
	}
	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];

		if (t->where == WHERE_HASHED && t->ht->ht_hat == t->hat &&
		    t->ht->ht_level >= 0 &&
		    t->ht->ht_level <= (level_t)mmu.max_level)
			check_parent(a, (uint32_t)i);
	}
	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];

		if (t->where == WHERE_RESERVE || !t->frame_ok ||
		    (t->ht->ht_flags & HTABLE_SHARED_PFN))
			continue;
		if (t->where == WHERE_HASHED && t->ht->ht_hat != t->hat)
			continue;
		scan_table(a, (uint32_t)i);
	}
}

/* -------------------------------------------------------------- 4. busy */

/*
 * At rest a hashed table's ht_busy is exactly the holds that outlive an
 * operation (htable.c 2015):
 *  - htable_create links a new child under `higher` and keeps the hold it
 *    took on `higher` ("we don't do htable_release(higher)"); htable_release
 *    of the child hands that hold up the tree when the child is freed.
 *    So one hold per hashed child whose ht_parent is this table.
 *  - hat_alloc keeps the hold htable_create returned on the top-level table
 *    (hat_htable) for the life of the hat.
 *  - htable_create of a SHARED_PFN table takes an htable_lookup() hold on
 *    the ISM table it borrows; htable_release of the sharer drops it.
 * Every other hold (lookup/create/acquire) is released before an operation
 * ends.
 */
static void
check_busy(struct audit *a)
{
	size_t i;
	char b1[96];

	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];
		htable_t *ht = t->ht;
		int want;
		int16_t busy;

		if (t->where != WHERE_HASHED)
			continue;
		want = (int)t->children + (int)t->sharers +
		    (t->hat->hat_htable == ht ? 1 : 0);
		busy = VT_PEEK(ht->ht_busy);
		if ((int)busy != want)
			vt_hat_audit_viol(a, VT_HAT_CHECK_BUSY, "%s: ht_busy %d, expected %d "
			    "(%u children + %u sharers + %d top-level hold)",
			    vt_hat_audit_tname(ht, b1, sizeof (b1)), (int)busy, want,
			    t->children, t->sharers,
			    t->hat->hat_htable == ht ? 1 : 0);
	}
}


/* ------------------------------------------------------------- driver */

uint32_t
vt_hat_audit(struct vt_audit_result *r)
{
	struct audit a;
	size_t i;

	memset(r, 0, sizeof (*r));
	r->first = VT_HAT_NCHECKS;
	memset(&a, 0, sizeof (a));
	a.r = r;
	vt_objmap_init(&a.tmap, 1024);
	vt_objmap_init(&a.vmap, 1024);
	vt_objmap_init(&a.emap, 4096);
	vt_objmap_init(&a.hmap, 4096);
	vt_objmap_init(&a.lmap, 4096);
	a.frame_owner = calloc(vt_npages ? vt_npages : 1,
	    sizeof (*a.frame_owner));
	if (a.frame_owner == NULL)
		panic("audit: out of memory (%" PRIu64 " frames)",
		    (uint64_t)vt_npages);

	walk_hats(&a);
	for (i = 0; i < a.nhats; i++)
		walk_hat_tables(&a, a.hats[i]);
	walk_htable_reserve(&a);
	walk_htable_limbo(&a);
	check_tables(&a);
	check_busy(&a);
	vt_hat_audit_hment_hash(&a);
	vt_hat_audit_pages(&a);
	vt_hat_audit_unlisted(&a);
	vt_hat_audit_hash_extra(&a);
	vt_hat_audit_hment_reserve(&a);
	vt_hat_audit_htable_conserve(&a);
	vt_hat_audit_frames(&a);

	vt_objmap_fini(&a.tmap);
	vt_objmap_fini(&a.vmap);
	vt_objmap_fini(&a.emap);
	vt_objmap_fini(&a.hmap);
	vt_objmap_fini(&a.lmap);
	free(a.frame_owner);
	free(a.hats);
	free(a.recs);
	free(a.exp);
	free(a.hrecs);
	if (r->violations == 0)
		r->first = VT_HAT_NCHECKS;
	return (r->violations);
}
