/*
 * hat_sync.c - the REF/MOD harvesting path of hat_i86.c: hat_pagesync and
 * hati_update_pte, which the pageout scanner and the page write-back path
 * use to learn (and clear) whether a page was referenced or modified
 * through any of its mappings.
 *
 * Written from the kernel's code as kernel-digest.md §3.8 describes it: a
 * walk of each size level's mapping list under the mlist lock, reading each
 * PTE and, for HAT_SYNC_ZERORM, replacing it by CAS with REF/MOD cleared
 * (x86pte_update, which shoots the translation down) and moving the bits
 * it cleared into the page.  A CPU that sets REF/MOD between the read and
 * the CAS makes the CAS fail: the loop re-reads and tries again.
 *
 * hati_page_clrwrt, the write-protect pass hat_page_clrattr(P_MOD) runs
 * for a page of a VMODSORT vnode, shares hati_update_pte; it is what makes
 * x86pte_update's stale-write branch reachable (--vmodsort on).
 */
#include "hat.h"

#include "hat_pte.h"
#include "hment.h"
#include "htable.h"
#include "page.h"
#include "../base/inject.h"

/* Pages with more mappings than this are left alone by STOPON_SHARED. */
ulong_t po_share = 8;

/*
 * Port of hati_update_pte() (hat_i86.c 2014).  The page's mlist lock is
 * held on entry and on return (the caller walks its mapping list).
 *
 * Replace entry with new if it still equals expected; 0 on success, else
 * the PTE found (the caller retries with it).  When the update takes away
 * REF or MOD that a synced mapping had (new drops them, write permission,
 * or sync), they go to the page - every constituent page of a large one -
 * once the CAS (and its shootdown) succeeded.
 */
static x86pte_t
hati_update_pte(htable_t *ht, uint_t entry, x86pte_t expected, x86pte_t new)
{
	x86pte_t replaced;
	page_t *pp = NULL;
	uint_t rm = 0;
	pgcnt_t pgcnt;

	if (PTE_GET(expected, PT_SOFTWARE) < PT_NOSYNC &&
	    PTE_GET(expected, PT_MOD | PT_REF) != 0 &&
	    (PTE_GET(new, PT_NOSYNC) != 0 || !PTE_GET(new, PT_WRITABLE) ||
	    PTE_GET(new, PT_MOD | PT_REF) == 0)) {
		pfn_t pfn = PTE2PFN(expected, ht->ht_level);

		ASSERT(pfn < vt_npages);
		pp = &pages[pfn];
		if (PTE_GET(expected, PT_MOD))
			rm |= P_MOD;
		if (PTE_GET(expected, PT_REF))
			rm |= P_REF;
		PTE_CLR(new, PT_MOD | PT_REF);
	}

	replaced = x86pte_update(ht, entry, expected, new);
	if (replaced != expected)
		return (replaced);

	/* Mutant hati-update-pte-no-sync: the cleared bits are dropped. */
	if (rm == 0 || VT_INJECT(HATI_UPDATE_PTE_NO_SYNC))
		return (0);
	pgcnt = page_get_pagecnt(ht->ht_level);
	ASSERT((pp->p_pagenum & (pgcnt - 1)) == 0);
	for (; pgcnt > 0; --pgcnt, ++pp) {
		/* The large mapping keeps p_szc from shrinking below it. */
		ASSERT(pp->p_szc >= ht->ht_level);
		hat_page_setattr(pp, rm);
	}
	return (0);
}

/*
 * The size loop both mapping-list passes below end with: the leader of the
 * next larger size of base that is not cur (whose list was just done),
 * with *pszc raised to that size; NULL when base has no larger size left.
 * No locks.
 */
static page_t *
next_leader(page_t *base, page_t *cur, uint_t *pszc)
{
	while (*pszc < base->p_szc) {
		page_t *lpp = PP_GROUPLEADER(base, ++*pszc);

		if (lpp != cur)
			return (lpp);
	}
	return (NULL);
}

/*
 * Port of hat_pagesync() (hat_i86.c 2014).  pp is locked (shared or
 * exclusive) by the caller.  Takes and drops the mlist lock of pp and of
 * each larger page's leader in turn, never two at once; may cross-call
 * (x86pte_update's shootdown) with one held.
 *
 * Without HAT_SYNC_ZERORM the page's own bits may answer at once (STOPON_*)
 * or the PTE bits are copied to the page; with it every mapping's REF/MOD
 * is cleared by CAS and moved to the page.  Returns pp's REF/MOD/RO.
 */
uint_t
hat_pagesync(page_t *pp, uint_t flags)
{
	page_t *save_pp = pp;
	x86pte_t old, new;
	hment_t *hm = NULL;
	uint_t entry, pszc = 0;
	htable_t *ht;

	ASSERT(PAGE_LOCKED(pp) || panicstr != NULL);

	if (PP_ISRO(pp) && (flags & HAT_SYNC_STOPON_MOD))
		return (PP_GENERIC_ATTR(pp));

	if ((flags & HAT_SYNC_ZERORM) == 0) {
		if ((flags & HAT_SYNC_STOPON_REF) && PP_ISREF(pp))
			return (PP_GENERIC_ATTR(pp));
		if ((flags & HAT_SYNC_STOPON_MOD) && PP_ISMOD(pp))
			return (PP_GENERIC_ATTR(pp));
		if ((flags & HAT_SYNC_STOPON_SHARED) &&
		    hat_page_getshare(pp) > po_share) {
			if (PP_ISRO(pp))
				hat_page_setattr(pp, P_REF);
			return (PP_GENERIC_ATTR(pp));
		}
	}

next_size:
	x86_hm_enter(pp);
	while ((hm = hment_walk(pp, &ht, &entry, hm)) != NULL) {
		/* Smaller mappings of a leader belong to its own pass. */
		if ((uint_t)ht->ht_level < pszc)
			continue;
		old = x86pte_get(ht, entry);
		for (;;) {
			/* The mlist lock keeps every listed mapping valid. */
			ASSERT(PTE_ISVALID(old));
			if (PTE_GET(old, PT_REF | PT_MOD) == 0)
				break;
			if (flags & HAT_SYNC_ZERORM) {
				/*
				 * Clear by CAS and shoot down, so no CPU keeps
				 * using a translation that has the bits set.
				 */
				new = old;
				PTE_CLR(new, PT_REF | PT_MOD);
				old = hati_update_pte(ht, entry, old, new);
				if (old != 0)
					continue;	/* changed: again */
			} else {
				hati_sync_pte_to_page(pp, old, ht->ht_level);
			}
			break;
		}

		/* A modified or referenced page may answer now. */
		if (((flags & HAT_SYNC_STOPON_MOD) && PP_ISMOD(save_pp)) ||
		    ((flags & HAT_SYNC_STOPON_REF) && PP_ISREF(save_pp))) {
			x86_hm_exit(pp);
			return (PP_GENERIC_ATTR(save_pp));
		}
	}
	x86_hm_exit(pp);

	/* Then the large mappings, on the leader of each size up. */
	if ((pp = next_leader(save_pp, pp, &pszc)) != NULL) {
		hm = NULL;
		goto next_size;
	}
	return (PP_GENERIC_ATTR(save_pp));
}

/*
 * Port of hati_page_clrwrt() (hat_i86.c 2014).  pp is locked by the caller
 * (the write-back holds it); takes and drops the mlist lock of pp and of
 * each larger page's leader in turn, never two at once; cross-calls
 * (x86pte_update's shootdown) with one held.
 *
 * Take write permission (and REF/MOD, which go to the page) away from every
 * writable mapping of pp, so the next write to a clean VMODSORT page
 * faults.  A mapping whose update fails (hardware set REF/MOD meanwhile, or
 * a write through a stale TLB entry made x86pte_update give write
 * permission back) is read again and tried again.
 */
void
hati_page_clrwrt(page_t *pp)
{
	page_t *save_pp = pp;
	hment_t *hm = NULL;
	htable_t *ht;
	uint_t entry, pszc = 0;
	x86pte_t old, new;

next_size:
	x86_hm_enter(pp);
	while ((hm = hment_walk(pp, &ht, &entry, hm)) != NULL) {
		/* Smaller mappings of a leader belong to its own pass. */
		if ((uint_t)ht->ht_level < pszc)
			continue;
		old = x86pte_get(ht, entry);
		for (;;) {
			/* Only a writable mapping of this very page matters. */
			if (PTE2PFN(old, ht->ht_level) != pp->p_pagenum ||
			    !PTE_GET(old, PT_WRITABLE))
				break;
			/* Read-only and clean; the cross-call makes it stick. */
			new = old;
			PTE_CLR(new, PT_REF | PT_MOD | PT_WRITABLE);
			old = hati_update_pte(ht, entry, old, new);
			if (old == 0)
				break;
		}
	}
	x86_hm_exit(pp);

	/* Then the large mappings, on the leader of each size up. */
	if ((pp = next_leader(save_pp, pp, &pszc)) != NULL) {
		hm = NULL;
		goto next_size;
	}
}
