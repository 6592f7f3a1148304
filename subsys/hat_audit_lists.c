/*
 * hat_audit_lists.c - steps 5-8 of the HAT audit (hat_audit.c has the
 * overview): the hment hash, every page's mapping list matched against
 * the PTEs, membership both ways, reserves, kmem conservation, freemem.
 *
 * Harness code, not a port.  World stopped; takes no locks.
 */
#include "hat_audit_impl.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../locks/atomic.h"

/* ------------------------------------------------------ 5. hment hash */

static void
hash_visit(hment_t *hm, uint32_t bucket, void *arg)
{
	struct audit *a = arg;
	uint32_t i;

	i = vt_objmap_put(&a->hmap, PKEY(hm), 0, 0, (uint32_t)a->nhrecs);
	if (i == UINT32_MAX) {
		struct hrec h;

		h.hm = hm;
		h.bucket = bucket;
		h.count = 1;
		h.listed = 0;
		VEC_PUSH(a->hrecs, a->nhrecs, a->hrecs_cap, h);
		a->r->objects++;
	} else {
		a->hrecs[i].count++;
	}
	/*
	 * A corrupted chain or tree can loop forever.  The bucket walk takes
	 * no locks (world stopped), so leaving it with longjmp is safe.
	 */
	if (++a->bucket_visits > a->bucket_limit)
		longjmp(a->bucket_escape, 1);
}

void
vt_hat_audit_hment_hash(struct audit *a)
{
	volatile uint32_t idx;

	if (hment_table == NULL)
		return;
	a->bucket_limit = 1024 + 2 * (hment_cache != NULL ?
	    VT_PEEK(hment_cache->cache_outstanding) : 0);
	for (idx = 0; idx < hment_hash_entries; idx++) {
		a->bucket_visits = 0;
		if (setjmp(a->bucket_escape) == 0)
			vt_hment_bucket_foreach(idx, hash_visit, a);
		else
			vt_hat_audit_viol(a, VT_HAT_CHECK_HASH_EXTRA, "hment hash bucket %u "
			    "does not end after %" PRIu64 " visits (cycle?)",
			    (uint32_t)idx, a->bucket_visits);
	}
}

/* ------------------------------------------------- 6. mapping lists */

/* "hment (ht 12 entry 5)" or "embedded (ht 12 entry 5)". */
static void
match_entry(struct audit *a, pfn_t pfn, htable_t *ht, uint_t entry,
    const char *kind)
{
	struct trec *t = vt_hat_audit_rec_of(a, ht);
	char b1[96];
	uint32_t xi;
	struct expect *x;

	if (t == NULL || t->where != WHERE_HASHED) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "entry %u names %s", (uint64_t)pfn, kind, entry,
		    t == NULL ? "no known table" :
		    t->where == WHERE_CACHED ? "a cached (free) table" :
		    "a reserve table");
		return;
	}
	if (entry >= NPTES) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "in %s has entry %u out of range", (uint64_t)pfn, kind,
		    vt_hat_audit_tname(ht, b1, sizeof (b1)), entry);
		return;
	}
	xi = vt_objmap_get(&a->emap, PKEY(ht), entry, 0);
	if (xi == UINT32_MAX) {
		x86pte_t pte = 0;

		if (t->frame_ok)
			pte = VT_PEEK(vt_hat_audit_ptes(ht)[entry]);
		vt_hat_audit_viol(a, VT_HAT_CHECK_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "%s entry %u has no valid consistent leaf PTE (pte 0x%"
		    PRIx64 "%s)", (uint64_t)pfn, kind,
		    vt_hat_audit_tname(ht, b1, sizeof (b1)), entry, (uint64_t)pte,
		    (ht->ht_flags & HTABLE_SHARED_PFN) ? ", SHARED_PFN table" :
		    !PTE_ISVALID(pte) ? ", invalid" :
		    !PTE_ISPAGE(pte, ht->ht_level) ? ", a PTP" :
		    (pte & PT_SOFTWARE) >= PT_NOCONSIST ? ", NOCONSIST" : "");
		return;
	}
	x = &a->exp[xi];
	if (x->pfn != pfn) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "%s entry %u but the PTE 0x%" PRIx64 " maps pfn %" PRIu64,
		    (uint64_t)pfn, kind, vt_hat_audit_tname(ht, b1, sizeof (b1)), entry,
		    (uint64_t)x->pte, (uint64_t)x->pfn);
		return;
	}
	if (x->matched) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "%s entry %u is listed more than once", (uint64_t)pfn,
		    kind, vt_hat_audit_tname(ht, b1, sizeof (b1)), entry);
		return;
	}
	x->matched = 1;
}

/* A listed hment must be in the hash once, in the bucket HMENT_HASH names. */
static void
check_hashed_once(struct audit *a, pfn_t pfn, hment_t *hm)
{
	struct trec *t = vt_hat_audit_rec_of(a, hm->hm_htable);
	uint32_t hi = vt_objmap_get(&a->hmap, PKEY(hm), 0, 0);
	char b1[96];
	uint64_t htid = t != NULL ? t->ht->ht_id : 0;

	if (hi == UINT32_MAX) {
		vt_hat_audit_viol(a, VT_HAT_CHECK_HASH_ONCE, "page pfn %" PRIu64 ": hment "
		    "(ht %" PRIu64 " entry %u) is not in the hment hash",
		    (uint64_t)pfn, htid, hm->hm_entry);
		return;
	}
	a->hrecs[hi].listed = 1;
	if (a->hrecs[hi].count != 1)
		vt_hat_audit_viol(a, VT_HAT_CHECK_HASH_ONCE, "page pfn %" PRIu64 ": hment "
		    "(ht %" PRIu64 " entry %u) is in the hment hash %u times",
		    (uint64_t)pfn, htid, hm->hm_entry, a->hrecs[hi].count);
	if (t != NULL && t->where != WHERE_RESERVE &&
	    hm->hm_htable->ht_pfn != PFN_INVALID) {
		uint32_t want = vt_hment_hash(hm->hm_htable->ht_pfn,
		    hm->hm_entry);

		if (a->hrecs[hi].bucket != want)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HASH_ONCE, "page pfn %" PRIu64 ": "
			    "hment (%s entry %u) is in hash bucket %u, "
			    "HMENT_HASH says %u", (uint64_t)pfn,
			    vt_hat_audit_tname(hm->hm_htable, b1, sizeof (b1)),
			    hm->hm_entry, a->hrecs[hi].bucket, want);
	}
}

void
vt_hat_audit_pages(struct audit *a)
{
	pfn_t pfn;

	for (pfn = 0; pfn < vt_npages; pfn++) {
		page_t *pp = &pages[pfn];
		void *mapping = VT_PEEK(pp->p_mapping);
		uchar_t embed = VT_PEEK(pp->p_embed);
		uint_t share = pp->p_share;
		hment_t *hm, *prev;
		uint64_t n;

		if (mapping == NULL) {
			if (embed != 0 || share != 0)
				vt_hat_audit_viol(a, VT_HAT_CHECK_EMBED, "page pfn %" PRIu64
				    ": no mappings but p_embed %u p_share %u",
				    (uint64_t)pfn, embed, share);
			continue;
		}
		if (embed == 1) {
			if (share != 0)
				vt_hat_audit_viol(a, VT_HAT_CHECK_EMBED, "page pfn %" PRIu64
				    ": embedded mapping but p_share %u",
				    (uint64_t)pfn, share);
			match_entry(a, pfn, (htable_t *)mapping,
			    pp->p_mlentry, "embedded");
			continue;
		}
		if (embed != 0) {
			vt_hat_audit_viol(a, VT_HAT_CHECK_EMBED, "page pfn %" PRIu64 ": p_embed "
			    "is %u", (uint64_t)pfn, embed);
			continue;
		}
		n = 0;
		prev = NULL;
		for (hm = mapping; hm != NULL; prev = hm, hm = hm->hm_next) {
			uint32_t other = vt_objmap_put(&a->lmap, PKEY(hm), 0, 0,
			    (uint32_t)pfn);

			if (other != UINT32_MAX) {
				vt_hat_audit_viol(a, VT_HAT_CHECK_MLIST_LINKS, "page pfn %"
				    PRIu64 ": hment #%" PRIu64 " of the list "
				    "was already met on page pfn %" PRIu32
				    " (cycle or shared hment)",
				    (uint64_t)pfn, n, other);
				break;
			}
			n++;
			a->nlisted++;
			a->r->objects++;
			if (hm->hm_prev != prev)
				vt_hat_audit_viol(a, VT_HAT_CHECK_MLIST_LINKS, "page pfn %"
				    PRIu64 ": hment #%" PRIu64 " (entry %u) "
				    "has a wrong hm_prev", (uint64_t)pfn,
				    n - 1, hm->hm_entry);
			if (hm->hm_pfn != pfn)
				vt_hat_audit_viol(a, VT_HAT_CHECK_MLIST_LINKS, "page pfn %"
				    PRIu64 ": hment #%" PRIu64 " (entry %u) "
				    "has hm_pfn %" PRIu64, (uint64_t)pfn,
				    n - 1, hm->hm_entry,
				    (uint64_t)hm->hm_pfn);
			match_entry(a, pfn, hm->hm_htable, hm->hm_entry,
			    "hment");
			check_hashed_once(a, pfn, hm);
		}
		if (share != n)
			vt_hat_audit_viol(a, VT_HAT_CHECK_EMBED, "page pfn %" PRIu64 ": p_share "
			    "%u but the hment list holds %" PRIu64,
			    (uint64_t)pfn, share, n);
	}
}

/* Every consistent leaf PTE must have been matched by some list entry. */
void
vt_hat_audit_unlisted(struct audit *a)
{
	size_t i;
	char b1[96];

	for (i = 0; i < a->nexp; i++) {
		struct expect *x = &a->exp[i];

		if (!x->matched)
			vt_hat_audit_viol(a, VT_HAT_CHECK_PTE_MLIST, "%s entry %u: valid PTE 0x%"
			    PRIx64 " maps pfn %" PRIu64 " but page pfn %"
			    PRIu64 "'s mapping list has no entry for it",
			    vt_hat_audit_tname(a->recs[x->rec].ht, b1, sizeof (b1)),
			    x->entry, (uint64_t)x->pte, (uint64_t)x->pfn,
			    (uint64_t)x->pfn);
	}
}

void
vt_hat_audit_hash_extra(struct audit *a)
{
	size_t i;

	for (i = 0; i < a->nhrecs; i++) {
		struct hrec *h = &a->hrecs[i];
		struct trec *t;

		if (h->listed)
			continue;
		t = vt_hat_audit_rec_of(a, h->hm->hm_htable);
		vt_hat_audit_viol(a, VT_HAT_CHECK_HASH_EXTRA, "hment hash bucket %u holds an "
		    "hment (ht %" PRIu64 " entry %u pfn %" PRIu64 ") that is "
		    "on no mapping list", h->bucket,
		    t != NULL ? t->ht->ht_id : 0, h->hm->hm_entry,
		    (uint64_t)h->hm->hm_pfn);
	}
}

/* ------------------------------------------ 8. reserves and counters */

void
vt_hat_audit_hment_reserve(struct audit *a)
{
	hment_t *hm;
	uint64_t n = 0, outstanding;
	uint_t cnt = VT_PEEK(hment_reserve_count);
	struct vt_objmap seen;

	vt_objmap_init(&seen, 256);
	for (hm = hment_reserve_pool; hm != NULL; hm = hm->hm_next) {
		if (vt_objmap_put(&seen, PKEY(hm), 0, 0, 0) != UINT32_MAX) {
			vt_hat_audit_viol(a, VT_HAT_CHECK_RESERVE_CNT, "hment reserve list "
			    "meets an hment twice after %" PRIu64 " (cycle)",
			    n);
			break;
		}
		n++;
		a->r->objects++;
		if (vt_objmap_get(&a->lmap, PKEY(hm), 0, 0) != UINT32_MAX)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HMENT_CONSERVE, "hment #%" PRIu64
			    " of the reserve is also on page pfn %" PRIu32
			    "'s mapping list", n - 1,
			    vt_objmap_get(&a->lmap, PKEY(hm), 0, 0));
	}
	vt_objmap_fini(&seen);
	if (n != cnt)
		vt_hat_audit_viol(a, VT_HAT_CHECK_RESERVE_CNT, "hment_reserve_count is %u but "
		    "the reserve list holds %" PRIu64 " hments", cnt, n);
	if (hment_cache != NULL) {
		outstanding = VT_PEEK(hment_cache->cache_outstanding);
		if (outstanding != a->nlisted + n)
			vt_hat_audit_viol(a, VT_HAT_CHECK_HMENT_CONSERVE, "hment_cache has %"
			    PRIu64 " outstanding, but %" PRIu64 " are listed "
			    "and %" PRIu64 " in reserve", outstanding,
			    a->nlisted, n);
	}
}

void
vt_hat_audit_htable_conserve(struct audit *a)
{
	uint64_t outstanding;

	if (htable_cache == NULL)
		return;
	outstanding = VT_PEEK(htable_cache->cache_outstanding);
	if (outstanding != a->nhashed + a->ncached + a->nreserve_ht +
	    a->nlimbo)
		vt_hat_audit_viol(a, VT_HAT_CHECK_HTABLE_CONSERVE, "htable_cache has %" PRIu64
		    " outstanding, but %" PRIu64 " hashed + %" PRIu64
		    " cached + %" PRIu64 " in reserve + %" PRIu64 " in the RCU "
		    "limbo", outstanding, a->nhashed, a->ncached,
		    a->nreserve_ht, a->nlimbo);
}

/*
 * freemem counts every frame tagged free.  machine.c keeps pfn 0 back at
 * boot by tagging it VT_FRAME_DATA (never mapped), so it needs no special
 * case here; the PTE scan reports any PTE or PTP naming pfn 0.
 */
void
vt_hat_audit_frames(struct audit *a)
{
	pfn_t pfn;
	uint64_t nfree = 0, fm = VT_PEEK(freemem);
	uint32_t ap = VT_PEEK(active_ptables);

	for (pfn = 0; pfn < vt_npages; pfn++) {
		uint8_t tag = VT_PEEK(vt_frame_tag[pfn]);

		if ((tag == VT_FRAME_FREE) != (PP_ISFREE(&pages[pfn]) != 0))
			vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "frame pfn %" PRIu64
			    " is tagged %u but its page_t is %s",
			    (uint64_t)pfn, tag, PP_ISFREE(&pages[pfn]) ?
			    "P_FREE" : "not P_FREE");
		if (tag == VT_FRAME_FREE) {
			nfree++;
		} else if (tag >= VT_FRAME_PT && tag < VT_FRAME_NTAGS) {
			if (a->frame_owner[pfn] == 0)
				vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "frame pfn %" PRIu64
				    " is tagged page table L%u but no table "
				    "owns it", (uint64_t)pfn,
				    (unsigned)(tag - VT_FRAME_PT));
		} else if (tag != VT_FRAME_DATA) {
			vt_hat_audit_viol(a, VT_HAT_CHECK_FRAME_TAG, "frame pfn %" PRIu64
			    " has unknown tag %u", (uint64_t)pfn, tag);
		}
	}
	if (fm != nfree)
		vt_hat_audit_viol(a, VT_HAT_CHECK_FREEMEM, "freemem is %" PRIu64 " but %" PRIu64
		    " frames are tagged free", fm, nfree);
	if ((uint64_t)ap != a->owned_frames)
		vt_hat_audit_viol(a, VT_HAT_CHECK_FREEMEM, "active_ptables is %" PRIu32 " but %"
		    PRIu64 " page-table frames are in use", ap,
		    a->owned_frames);
}

