/*
 * uvm_amap.c - port of NetBSD sys/uvm/uvm_amap.c v1.62 (2005-06-27): amap
 * allocation, extension, copy-on-write resolution, splitting, the per-page
 * reference array (ppref), wipe-out and swap-off, with the global amap list.
 * Split in four (one job per file): this file (alloc/free, extend, share
 * protect, wipe-out, copy, COW now, split), uvm_amap_ppref.c (the ppref
 * encoding, establish, adjref, wiperange), uvm_amap_list.c (amap_list and
 * amap_swap_off), uvm_amap_sys.c (the simulated malloc/pool, counters).
 * The uvm_amap_i.h functions are in uvm_amap_i.c.
 *
 * The kernel's simple_lock am_l is a kmutex (amap_lock/amap_unlock are
 * functions here).  Everything the seed does under a lock, or does on
 * purpose without one, is kept; each difference is marked PORT.
 *   PORT: UVMHIST logging is left out (the counters in vt_amapstats take
 *   its place).
 *   PORT: the amap pool is the host allocator with injected failures
 *   (vt_uvm_malloc); malloc_roundup follows kern_malloc.c's bucket sizes.
 */
#include "uvm_amap.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "uvm_anon.h"
#include "uvm_map_sim.h"
#include "../base/inject.h"

/* ------------------------------------------------------------ helpers */

void
amap_lock(struct vm_amap *amap)
{
	mutex_enter(&amap->am_l);
}

void
amap_unlock(struct vm_amap *amap)
{
	mutex_exit(&amap->am_l);
}

int
amap_lock_try(struct vm_amap *amap)
{
	return (mutex_tryenter(&amap->am_l));
}

/* ------------------------------------------------------ alloc / free */

/*
 * Port of amap_alloc1() (uvm_amap.c 2005): an amap with its three arrays,
 * am_anon not cleared.  The lock of the returned amap is initialised.
 */
static struct vm_amap *
amap_alloc1(int slots, int padslots, int waitf)
{
	struct vm_amap *amap;
	int totalslots;

	amap = vt_amap_pool_get(waitf == M_WAITOK ? PR_WAITOK : 0);
	if (amap == NULL)
		return (NULL);

	totalslots = (int)(malloc_roundup((size_t)(slots + padslots) *
	    sizeof (int)) / sizeof (int));
	mutex_init(&amap->am_l, "amap", MUTEX_DEFAULT, NULL);
	amap->am_ref = 1;
	amap->am_flags = 0;
	amap->am_ppref = NULL;
	amap->am_maxslot = totalslots;
	amap->am_nslot = slots;
	amap->am_nused = 0;

	amap->am_slots = vt_uvm_malloc((size_t)totalslots * sizeof (int),
	    waitf);
	if (amap->am_slots == NULL)
		goto fail1;
	amap->am_bckptr = vt_uvm_malloc((size_t)totalslots * sizeof (int),
	    waitf);
	if (amap->am_bckptr == NULL)
		goto fail2;
	amap->am_anon = vt_uvm_malloc((size_t)totalslots *
	    sizeof (struct vm_anon *), waitf);
	if (amap->am_anon == NULL)
		goto fail3;
	return (amap);

fail3:
	vt_uvm_free(amap->am_bckptr);
fail2:
	vt_uvm_free(amap->am_slots);
fail1:
	mutex_destroy(&amap->am_l);
	vt_amap_pool_put(amap);
	/*
	 * PORT: the uvm_extrapages hint to the page daemon is left out (no
	 * page daemon sizes its targets here).
	 */
	AMAPSTAT_INC(amap_alloc_fail);
	return (NULL);
}

/*
 * Port of amap_alloc() (uvm_amap.c 2005): a fresh amap for sz bytes, one
 * reference, returned unlocked and on amap_list.
 * Locks: takes amap_list_lock (amap_list_insert).
 *
 * The seed calls amap_list_insert() even when amap_alloc1 failed (a NULL
 * amap: finding alloc-null, doc/amap.md); --amap-fix alloc-null inserts
 * only a real amap.
 */
struct vm_amap *
amap_alloc(vaddr_t sz, vaddr_t padsz, int waitf)
{
	int padslots, slots;
	struct vm_amap *amap;

	AMAP_B2SLOT(slots, sz);
	AMAP_B2SLOT(padslots, padsz);

	amap = amap_alloc1(slots, padslots, waitf);
	if (amap != NULL) {
		memset(amap->am_anon, 0, (size_t)amap->am_maxslot *
		    sizeof (struct vm_anon *));
		AMAPSTAT_INC(amap_alloc);
	}
	if (amap != NULL || (vt_amap_fixes & VT_AMAP_FIX_ALLOC_NULL) == 0)
		amap_list_insert(amap);
	return (amap);
}

/*
 * Port of amap_free() (uvm_amap.c 2005).  The amap is unlocked, has no
 * references and no anons.
 */
void
amap_free(struct vm_amap *amap)
{
	ASSERT(amap->am_ref == 0 && amap->am_nused == 0);
	ASSERT((amap->am_flags & AMAP_SWAPOFF) == 0);
	ASSERT(!MUTEX_HELD(&amap->am_l));
	vt_uvm_free(amap->am_slots);
	vt_uvm_free(amap->am_bckptr);
	vt_uvm_free(amap->am_anon);
	if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE)
		vt_uvm_free(amap->am_ppref);
	mutex_destroy(&amap->am_l);
	AMAPSTAT_INC(amap_free);
	vt_amap_pool_put(amap);
}

/* ---------------------------------------------------------- extend */

/*
 * PORT (--amap-fix extend-wipe only): with ppref given up (PPREF_NONE) a
 * partial unmap left its anons in the amap; before slots [from, from+n)
 * become part of the entry again, drop the anons they still hold.  amap
 * locked.
 */
static void
extend_wipe_stale(struct vm_amap *amap, int from, int n)
{
	if ((vt_amap_fixes & VT_AMAP_FIX_EXTEND_WIPE) == 0 ||
	    amap->am_ppref != PPREF_NONE)
		return;
	if (from < 0) {
		n += from;
		from = 0;
	}
	if (from + n > amap->am_nslot)
		n = amap->am_nslot - from;
	if (n > 0)
		amap_wiperange(amap, from, n);
}

/*
 * Port of amap_extend() (uvm_amap.c 2005): grow the amap of entry by
 * addsize bytes forwards or backwards (case 1: enough slots in use; case
 * 2: enough allocated; case 3: new arrays).  Returns 0, E2BIG (would reach
 * UVM_AMAP_LARGE) or ENOMEM.
 * Locks: the entry's map locked by the caller; takes the amap lock, drops
 * it around the case-3 allocations and retakes it (the amap has one
 * reference, through the locked map, so nothing else changes it: the
 * KASSERT re-checks am_maxslot).
 */
int
amap_extend(struct vm_map_entry *entry, vsize_t addsize, int flags)
{
	int slotoff = entry->aref.ar_pageoff;
	struct vm_amap *amap = entry->aref.ar_amap;
	int slotadd, slotmapped, slotneed, slotalloc, slotadded;
	int slotspace, slotadj, shift;
	int *newppref, *oldppref;
	int *newsl, *oldsl, *newbck, *oldbck, i;
	struct vm_anon **oldover, **newover;
	int mflag = (flags & AMAP_EXTEND_NOWAIT) ? M_NOWAIT :
	    (M_WAITOK | M_CANFAIL);
	bool fwd = (flags & AMAP_EXTEND_FORWARDS) != 0;

	/* Slots needed; ar_pageoff may leave unused slots before us. */
	amap_lock(amap);
	ASSERT(amap_refs(amap) == 1);
	AMAP_B2SLOT(slotmapped, entry->end - entry->start);
	AMAP_B2SLOT(slotadd, addsize);
	if (fwd) {
		slotneed = slotoff + slotmapped + slotadd;
		slotadj = 0;
		slotspace = 0;
	} else {
		slotneed = slotadd + slotmapped;
		slotadj = slotadd - slotoff;
		slotspace = amap->am_maxslot - slotmapped;
	}

	/* Case 1: the slots exist; only their references go up. */
	if (fwd) {
		if (amap->am_nslot >= slotneed) {
			extend_wipe_stale(amap, slotoff + slotmapped, slotadd);
			if (amap->am_ppref != NULL &&
			    amap->am_ppref != PPREF_NONE)
				amap_pp_adjref(amap, slotoff + slotmapped,
				    (vsize_t)slotadd, 1);
			amap_unlock(amap);
			AMAPSTAT_INC(extend_1f);
			return (0);
		}
	} else if (slotadj <= 0) {
		/* Backwards: the slots before ar_pageoff suffice. */
		entry->aref.ar_pageoff = slotoff - slotadd;
		slotoff = entry->aref.ar_pageoff;
		extend_wipe_stale(amap, slotoff, slotadd);
		if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE)
			amap_pp_adjref(amap, slotoff, (vsize_t)slotadd, 1);
		amap_unlock(amap);
		AMAPSTAT_INC(extend_1b);
		return (0);
	}

	/* Case 2: the slots are allocated; am_nslot grows over them. */
	if (amap->am_maxslot >= slotneed) {
		if (fwd) {
			extend_wipe_stale(amap, slotoff + slotmapped,
			    amap->am_nslot - (slotoff + slotmapped));
			if (amap->am_ppref != NULL &&
			    amap->am_ppref != PPREF_NONE) {
				if (slotoff + slotmapped < amap->am_nslot)
					amap_pp_adjref(amap,
					    slotoff + slotmapped,
					    (vsize_t)(amap->am_nslot -
					    (slotoff + slotmapped)), 1);
				pp_setreflen(amap->am_ppref, amap->am_nslot, 1,
				    slotneed - amap->am_nslot);
			}
			amap->am_nslot = slotneed;
			amap_unlock(amap);
			/* am_anon beyond am_nslot was cleared at alloc time. */
			AMAPSTAT_INC(extend_2f);
			return (0);
		}
		extend_wipe_stale(amap, 0, slotoff);
		extend_wipe_stale(amap, slotoff + slotmapped,
		    amap->am_nslot - (slotoff + slotmapped));
		if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE) {
			/* Move the counts of the used slots to the top. */
			memmove(amap->am_ppref + slotspace,
			    amap->am_ppref + slotoff,
			    (size_t)slotmapped * sizeof (int));
			/* The new front: unreferenced, then the added part. */
			pp_setreflen(amap->am_ppref, 0, 0, slotspace - slotadd);
			pp_setreflen(amap->am_ppref, slotspace - slotadd, 1,
			    slotadd);
		}
		/* Move the anons up and clear what they leave behind. */
		memmove(amap->am_anon + slotspace, amap->am_anon + slotoff,
		    (size_t)slotmapped * sizeof (struct vm_anon *));
		memset(amap->am_anon + slotoff, 0,
		    (size_t)(slotspace - slotoff) * sizeof (struct vm_anon *));
		/* Back pointers move too; the old places are don't-care. */
		memmove(amap->am_bckptr + slotspace, amap->am_bckptr + slotoff,
		    (size_t)slotmapped * sizeof (int));
		shift = slotspace - slotoff;
		for (i = 0; i < amap->am_nused; i++)
			amap->am_slots[i] = amap->am_slots[i] + shift;
		/* The whole allocation is now in use. */
		entry->aref.ar_pageoff = slotspace - slotadd;
		amap->am_nslot = amap->am_maxslot;
		amap_unlock(amap);
		AMAPSTAT_INC(extend_2b);
		return (0);
	}

	/*
	 * Case 3: new arrays, the contents copied over.  All are allocated
	 * before anything changes, so a failure leaves the amap as it was.
	 */
	amap_unlock(amap);	/* the allocations may sleep */

	if (slotneed >= UVM_AMAP_LARGE) {
		AMAPSTAT_INC(extend_e2big);
		return (E2BIG);
	}

	slotalloc = (int)(malloc_roundup((size_t)slotneed * sizeof (int)) /
	    sizeof (int));
	newppref = NULL;
	if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE)
		newppref = vt_uvm_malloc((size_t)slotalloc * sizeof (int),
		    mflag);
	newsl = vt_uvm_malloc((size_t)slotalloc * sizeof (int), mflag);
	newbck = vt_uvm_malloc((size_t)slotalloc * sizeof (int), mflag);
	newover = vt_uvm_malloc((size_t)slotalloc * sizeof (struct vm_anon *),
	    mflag);
	if (newsl == NULL || newbck == NULL || newover == NULL) {
		if (newppref != NULL)
			vt_uvm_free(newppref);
		if (newsl != NULL)
			vt_uvm_free(newsl);
		if (newbck != NULL)
			vt_uvm_free(newbck);
		if (newover != NULL)
			vt_uvm_free(newover);
		AMAPSTAT_INC(extend_enomem);
		return (ENOMEM);
	}
	amap_lock(amap);
	ASSERT(amap->am_maxslot < slotneed);

	slotadded = slotalloc - amap->am_nslot;
	if (!fwd)
		slotspace = slotalloc - slotmapped;

	if (fwd)
		extend_wipe_stale(amap, slotoff + slotmapped,
		    amap->am_nslot - (slotoff + slotmapped));
	else {
		extend_wipe_stale(amap, 0, slotoff);
		extend_wipe_stale(amap, slotoff + slotmapped,
		    amap->am_nslot - (slotoff + slotmapped));
	}

	oldsl = amap->am_slots;
	shift = fwd ? 0 : slotspace - slotoff;
	for (i = 0; i < amap->am_nused; i++)
		newsl[i] = oldsl[i] + shift;
	amap->am_slots = newsl;

	oldover = amap->am_anon;
	if (fwd) {
		memcpy(newover, oldover, sizeof (struct vm_anon *) *
		    (size_t)amap->am_nslot);
		memset(newover + amap->am_nslot, 0,
		    sizeof (struct vm_anon *) * (size_t)slotadded);
	} else {
		memcpy(newover + slotspace, oldover + slotoff,
		    sizeof (struct vm_anon *) * (size_t)slotmapped);
		memset(newover, 0, sizeof (struct vm_anon *) *
		    (size_t)slotspace);
	}
	amap->am_anon = newover;

	oldbck = amap->am_bckptr;
	if (fwd)
		memcpy(newbck, oldbck, sizeof (int) * (size_t)amap->am_nslot);
	else
		memcpy(newbck + slotspace, oldbck + slotoff,
		    sizeof (int) * (size_t)slotmapped);
	amap->am_bckptr = newbck;

	oldppref = amap->am_ppref;
	if (newppref != NULL) {
		if (fwd) {
			memcpy(newppref, oldppref, sizeof (int) *
			    (size_t)amap->am_nslot);
			memset(newppref + amap->am_nslot, 0,
			    sizeof (int) * (size_t)slotadded);
		} else {
			memcpy(newppref + slotspace, oldppref + slotoff,
			    sizeof (int) * (size_t)slotmapped);
		}
		amap->am_ppref = newppref;
		if (fwd && slotoff + slotmapped < amap->am_nslot)
			amap_pp_adjref(amap, slotoff + slotmapped,
			    (vsize_t)(amap->am_nslot - (slotoff + slotmapped)),
			    1);
		if (fwd) {
			pp_setreflen(newppref, amap->am_nslot, 1,
			    slotneed - amap->am_nslot);
		} else {
			pp_setreflen(newppref, 0, 0, slotalloc - slotneed);
			pp_setreflen(newppref, slotalloc - slotneed, 1,
			    slotneed - slotmapped);
		}
	} else {
		if (amap->am_ppref != NULL)
			amap->am_ppref = PPREF_NONE;
	}

	amap->am_maxslot = slotalloc;
	if (fwd) {
		amap->am_nslot = slotneed;
	} else {
		amap->am_nslot = slotalloc;
		entry->aref.ar_pageoff = slotspace - slotadd;
	}

	amap_unlock(amap);
	vt_uvm_free(oldsl);
	vt_uvm_free(oldbck);
	vt_uvm_free(oldover);
	if (oldppref != NULL && oldppref != PPREF_NONE)
		vt_uvm_free(oldppref);
	if (fwd)
		AMAPSTAT_INC(extend_3f);
	else
		AMAPSTAT_INC(extend_3b);
	return (0);
}

/* ------------------------------------------------------- protection */

/*
 * Port of amap_share_protect() (uvm_amap.c 2005): pmap_page_protect every
 * resident page the entry's part of the amap holds, walking am_anon or
 * am_slots, whichever is shorter.
 * Locks: the entry's map and the amap locked by the caller;
 * pmap_page_protect takes page and HAT locks.  Reads each anon's an_page
 * without its an_lock, as the seed does (VT_RACY: a page daemon may free
 * the page meanwhile; protecting a frame that changed owner only costs its
 * new owner a refault).
 */
void
amap_share_protect(struct vm_map_entry *entry, vm_prot_t prot)
{
	int lcv, slot, slots, stop;
	struct vm_amap *amap = entry->aref.ar_amap;
	struct vm_anon *an;
	struct vm_page *pg;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAP_B2SLOT(slots, entry->end - entry->start);
	stop = entry->aref.ar_pageoff + slots;
	AMAPSTAT_INC(share_protect);

	if (slots < amap->am_nused) {
		for (lcv = entry->aref.ar_pageoff; lcv < stop; lcv++) {
			an = amap->am_anon[lcv];
			pg = an != NULL ? VT_RACY_LOAD(an->an_page) : NULL;
			if (pg != NULL)
				pmap_page_protect(pg, prot);
		}
		return;
	}
	for (lcv = 0; lcv < amap->am_nused; lcv++) {
		slot = amap->am_slots[lcv];
		an = amap->am_anon[slot];
		if (slot < entry->aref.ar_pageoff || slot >= stop)
			continue;
		pg = VT_RACY_LOAD(an->an_page);
		if (pg != NULL)
			pmap_page_protect(pg, prot);
	}
}

/* ---------------------------------------------------------- wipeout */

/*
 * Port of amap_wipeout() (uvm_amap.c 2005): the last reference is gone;
 * drop one reference of every anon (freeing those that reach zero), then
 * free the amap.  While amap_swap_off is paging in for this amap
 * (AMAP_SWAPOFF) it only unlocks: swap-off calls it again.
 * Locks: the amap locked on entry, released as side effect; takes
 * amap_list_lock (amap_list_remove) under it, then each an_lock in turn
 * with no amap lock held.
 */
void
amap_wipeout(struct vm_amap *amap)
{
	int lcv, slot, refs;
	struct vm_anon *anon;

	ASSERT(MUTEX_HELD(&amap->am_l));
	ASSERT(amap->am_ref == 0);

	if (__builtin_expect((amap->am_flags & AMAP_SWAPOFF) != 0, 0)) {
		AMAPSTAT_INC(wipeout_deferred);
		amap_unlock(amap);
		return;
	}
	if (VT_INJECT(AMAP_WIPEOUT_EARLY_UNLOCK)) {
		amap_unlock(amap);
		amap_list_remove(amap);
	} else {
		amap_list_remove(amap);
		amap_unlock(amap);
	}
	AMAPSTAT_INC(wipeout);

	for (lcv = 0; lcv < amap->am_nused; lcv++) {
		slot = amap->am_slots[lcv];
		anon = amap->am_anon[slot];
		if (anon == NULL || VT_RACY_LOAD(anon->an_ref) == 0)
			panic("amap_wipeout: corrupt amap");
		mutex_enter(&anon->an_lock);
		refs = anon->an_ref - 1;
		VT_POKE(anon->an_ref, refs);
		mutex_exit(&anon->an_lock);
		if (refs == 0)
			uvm_anfree(anon);
		/* PORT: the SPCF_SHOULDYIELD preemption check is a point. */
		vt_sched_point(VT_SP_YIELD, amap);
	}
	amap->am_nused = 0;
	amap_free(amap);
}

/* ------------------------------------------------------------- copy */

/*
 * Port of amap_copy() (uvm_amap.c 2005): make entry's NEEDSCOPY false, by
 * a fresh amap (none yet; large entries are first clipped to a chunk around
 * [startva, endva)), by taking the amap over (we hold its only reference),
 * or by copying our part of it.
 * Locks: the entry's map locked by the caller (as writer: the entry may be
 * clipped and changes); the current amap unlocked on entry.  Peeks at
 * am_ref without the amap lock (only our locked map can make it 1), then
 * takes the source amap lock and re-checks it; each anon's an_lock inside.
 * Takes amap_list_lock after dropping the source amap lock.
 */
void
amap_copy(struct vm_map *map, struct vm_map_entry *entry, int waitf,
    boolean_t canchunk, vaddr_t startva, vaddr_t endva)
{
	struct vm_amap *srcamap;
	struct vm_amap *amap;
	vaddr_t chunksize;
	int lcv, slots;
	struct vm_anon *an;

	ASSERT(vm_map_locked_p(map));

	/* No amap yet: make one, after clipping a large entry to a chunk. */
	if (entry->aref.ar_amap == NULL) {
		if (canchunk && atop(entry->end - entry->start) >=
		    UVM_AMAP_LARGE) {
			chunksize = (vaddr_t)UVM_AMAP_CHUNK << PAGE_SHIFT;
			startva = (startva / chunksize) * chunksize;
			endva = ((endva + chunksize - 1) / chunksize) *
			    chunksize;
			UVM_MAP_CLIP_START(map, entry, startva, NULL);
			/* endva may have wrapped round. */
			if (endva >= startva)
				UVM_MAP_CLIP_END(map, entry, endva, NULL);
			AMAPSTAT_INC(copy_chunked);
		}
		if (uvm_mapent_trymerge(map, entry, UVM_MERGE_COPYING))
			return;
		entry->aref.ar_pageoff = 0;
		entry->aref.ar_amap = amap_alloc(entry->end - entry->start, 0,
		    waitf);
		if (entry->aref.ar_amap != NULL) {
			entry->etype &= ~UVM_ET_NEEDSCOPY;
			AMAPSTAT_INC(copy_new);
		} else {
			AMAPSTAT_INC(copy_fail);
		}
		return;
	}

	/*
	 * The unlocked peek: 1 means our locked map holds the only
	 * reference, so it cannot change; more falls through to the locked
	 * re-check below.
	 */
	if (VT_RACY_LOAD(entry->aref.ar_amap->am_ref) == 1) {
		entry->etype &= ~UVM_ET_NEEDSCOPY;
		AMAPSTAT_INC(copy_takeover_peek);
		return;
	}

	AMAP_B2SLOT(slots, entry->end - entry->start);
	amap = amap_alloc1(slots, 0, waitf);
	if (amap == NULL) {
		AMAPSTAT_INC(copy_fail);
		return;
	}
	srcamap = entry->aref.ar_amap;
	amap_lock(srcamap);

	/*
	 * The count may have dropped while we allocated: if we are now the
	 * only reference, take the source over and discard the new amap.
	 */
	if (srcamap->am_ref == 1 && !VT_INJECT(AMAP_COPY_NO_RECHECK)) {
		entry->etype &= ~UVM_ET_NEEDSCOPY;
		amap->am_ref--;
		amap_free(amap);
		amap_unlock(srcamap);
		AMAPSTAT_INC(copy_takeover_locked);
		return;
	}

	for (lcv = 0; lcv < slots; lcv++) {
		an = srcamap->am_anon[entry->aref.ar_pageoff + lcv];
		amap->am_anon[lcv] = an;
		if (an == NULL)
			continue;
		mutex_enter(&an->an_lock);
		VT_POKE(an->an_ref, an->an_ref + 1);
		mutex_exit(&an->an_lock);
		amap->am_bckptr[lcv] = amap->am_nused;
		amap->am_slots[amap->am_nused] = lcv;
		amap->am_nused++;
	}
	memset(&amap->am_anon[lcv], 0, (size_t)(amap->am_maxslot - lcv) *
	    sizeof (struct vm_anon *));

	/*
	 * Drop our reference to the source: it was above one (checked under
	 * the lock), so it cannot reach zero here.
	 */
	VT_RACY_STORE(srcamap->am_ref, srcamap->am_ref - 1);
	if (srcamap->am_ref == 1 && (srcamap->am_flags & AMAP_SHARED) != 0)
		VT_RACY_STORE(srcamap->am_flags, srcamap->am_flags & ~AMAP_SHARED);
	if (srcamap->am_ppref != NULL && srcamap->am_ppref != PPREF_NONE)
		amap_pp_adjref(srcamap, entry->aref.ar_pageoff,
		    (entry->end - entry->start) >> PAGE_SHIFT, -1);
	amap_unlock(srcamap);

	amap_list_insert(amap);

	/* Install the copy. */
	entry->aref.ar_amap = amap;
	entry->aref.ar_pageoff = 0;
	entry->etype &= ~UVM_ET_NEEDSCOPY;
	AMAPSTAT_INC(amap_alloc);
	AMAPSTAT_INC(copy_copied);
}

/*
 * Port of amap_cow_now() (uvm_amap.c 2005): at fork of a wired entry,
 * give the child (entry) private copies of every anon it still shares.
 * A busy page is waited for and an allocation failure waited out; both
 * restart the scan from slot 0, as am_slots may be reordered while the
 * amap is unlocked.
 * Locks: parent and child maps locked by the caller and kept (even while
 * sleeping); takes the amap lock, then each anon's an_lock and the new
 * anon's (returned locked by uvm_analloc).  Drops the amap lock and sleeps
 * on a busy page with its an_lock (UVM_UNLOCK_AND_WAIT), or in uvm_wait
 * with neither, then retakes the amap lock and rescans.
 */
void
amap_cow_now(struct vm_map *map, struct vm_map_entry *entry)
{
	struct vm_page *npg, *pg;
	struct vm_anon *nanon, *anon;
	struct vm_amap *amap = entry->aref.ar_amap;
	int slot, lcv;

	ASSERT(vm_map_locked_p(map));
	AMAPSTAT_INC(cow_now);
ReStart:
	amap_lock(amap);
	for (lcv = 0; lcv < amap->am_nused; lcv++) {
		slot = amap->am_slots[lcv];
		anon = amap->am_anon[slot];
		mutex_enter(&anon->an_lock);
		pg = anon->an_page;

		/*
		 * PORT (--amap-fix cownow-restart only): after a restart an
		 * anon with one reference is one this loop already copied;
		 * its new page is not wired and may have been paged out
		 * meanwhile (finding cownow-restart, doc/amap.md).
		 */
		if ((vt_amap_fixes & VT_AMAP_FIX_COWNOW_RESTART) != 0 &&
		    anon->an_ref == 1) {
			mutex_exit(&anon->an_lock);
			continue;
		}

		/* The parent is wired: its pages are resident. */
		if (pg == NULL)
			panic("amap_cow_now: non-resident wired page in anon "
			    "%u (slot %d of %d, ref %d, swslot %d, map %u)",
			    anon->an_id, slot, amap->am_nslot, anon->an_ref,
			    anon->an_swslot, map->map_id);

		/*
		 * Shared and not loaned: the child needs its own copy.  (A
		 * loaned page is mapped read-only everywhere already.)
		 */
		if (anon->an_ref > 1 && pg->loan_count == 0) {
			if ((pg->flags & PG_BUSY) != 0) {
				pg->flags |= PG_WANTED;
				AMAPSTAT_INC(cow_now_busy_restart);
				amap_unlock(amap);
				uvm_unlock_and_wait(pg, &anon->an_lock);
				goto ReStart;
			}

			nanon = uvm_analloc();
			if (nanon != NULL)
				npg = uvm_pagealloc(NULL, 0, nanon, 0);
			else
				npg = NULL;
			if (nanon == NULL || npg == NULL) {
				/* Out of memory: wait and start over. */
				if (nanon != NULL) {
					nanon->an_ref--;
					mutex_exit(&nanon->an_lock);
					uvm_anfree(nanon);
				}
				mutex_exit(&anon->an_lock);
				amap_unlock(amap);
				AMAPSTAT_INC(cow_now_oom_restart);
				uvm_wait("cownowpage");
				goto ReStart;
			}

			uvm_pagecopy(pg, npg);
			VT_POKE(anon->an_ref, anon->an_ref - 1);
			amap->am_anon[slot] = nanon;

			/*
			 * The new page's owner was locked throughout, so no
			 * one can have wanted or released it.
			 */
			npg->flags &= ~(PG_BUSY | PG_FAKE);
			mutex_exit(&nanon->an_lock);
			AMAPSTAT_INC(cow_now_copies);
		}
		mutex_exit(&anon->an_lock);
	}
	amap_unlock(amap);
}

/* ------------------------------------------------------------ split */

/*
 * Port of amap_splitref() (uvm_amap.c 2005): a clip splits one reference
 * into two at offset bytes; ppref is established first, so the counts it
 * records are those before the extra reference.
 * Locks: origref's map locked by the caller; takes and drops the amap lock.
 */
void
amap_splitref(struct vm_aref *origref, struct vm_aref *splitref,
    vaddr_t offset)
{
	int leftslots;
	struct vm_amap *am = origref->ar_amap;

	AMAP_B2SLOT(leftslots, offset);
	if (leftslots == 0)
		panic("amap_splitref: split at zero offset");

	amap_lock(am);
	if (am->am_nslot - origref->ar_pageoff - leftslots <= 0)
		panic("amap_splitref: map size check failed");
	if (am->am_ppref == NULL)
		amap_pp_establish(am, (vaddr_t)origref->ar_pageoff);

	splitref->ar_amap = am;
	VT_RACY_STORE(am->am_ref, am->am_ref + 1);	/* not a share */
	splitref->ar_pageoff = origref->ar_pageoff + leftslots;
	amap_unlock(am);
	AMAPSTAT_INC(splitref);
}

/* ------------------------------------------------------ module state */

void
vt_amap_init(uint32_t nthreads)
{
	vt_amap_sys_init(nthreads);
	vt_amap_list_init();
}

void
vt_amap_fini(void)
{
	vt_amap_list_fini();
	vt_amap_sys_fini();
}
