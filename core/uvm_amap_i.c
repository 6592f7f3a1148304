/*
 * uvm_amap_i.c - port of the uvm_amap_i.h functions in their 2005 form
 * (digest §7.4): amap_lookup, amap_lookups, amap_add, amap_unadd (amap
 * locked by the caller), amap_ref and amap_unref (they lock it
 * themselves).  uvm_amap.c compiles them out of line (UVM_AMAP_C), as here.
 */
#include "uvm_amap.h"

#include "uvm_anon.h"

/*
 * Port of amap_lookup() (uvm_amap_i.h 2005): the anon at byte offset of
 * aref's part of the amap.  Amap locked by the caller.
 */
struct vm_anon *
amap_lookup(struct vm_aref *aref, vaddr_t offset)
{
	struct vm_amap *amap = aref->ar_amap;
	int slot;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAP_B2SLOT(slot, offset);
	slot += aref->ar_pageoff;
	if (slot >= amap->am_nslot)
		panic("amap_lookup: offset out of range");
	return (amap->am_anon[slot]);
}

/*
 * Port of amap_lookups() (uvm_amap_i.h 2005): npages anons from byte
 * offset into anons[].  Amap locked by the caller.
 */
void
amap_lookups(struct vm_aref *aref, vaddr_t offset, struct vm_anon **anons,
    int npages)
{
	struct vm_amap *amap = aref->ar_amap;
	int slot;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAP_B2SLOT(slot, offset);
	slot += aref->ar_pageoff;
	if (slot + npages - 1 >= amap->am_nslot)
		panic("amap_lookups: offset out of range");
	memcpy(anons, &amap->am_anon[slot], (size_t)npages *
	    sizeof (struct vm_anon *));
}

/*
 * Port of amap_add() (uvm_amap_i.h 2005): put anon at byte offset, either
 * replacing the anon there (whose page, in a shared amap, loses its
 * mappings everywhere) or into an empty slot.  Anon counts are the
 * caller's business.
 * Locks: amap locked by the caller; the replaced anon's an_lock held by
 * the caller too when it has a page (pmap_page_protect takes page and HAT
 * locks).
 */
void
amap_add(struct vm_aref *aref, vaddr_t offset, struct vm_anon *anon,
    boolean_t replace)
{
	struct vm_amap *amap = aref->ar_amap;
	int slot;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAP_B2SLOT(slot, offset);
	slot += aref->ar_pageoff;
	if (slot >= amap->am_nslot)
		panic("amap_add: offset out of range");

	if (replace) {
		if (amap->am_anon[slot] == NULL)
			panic("amap_add: replacing null anon");
		if (amap->am_anon[slot]->an_page != NULL &&
		    (amap->am_flags & AMAP_SHARED) != 0)
			pmap_page_protect(amap->am_anon[slot]->an_page,
			    VM_PROT_NONE);
	} else {
		if (amap->am_anon[slot] != NULL)
			panic("amap_add: slot in use");
		amap->am_bckptr[slot] = amap->am_nused;
		amap->am_slots[amap->am_nused] = slot;
		amap->am_nused++;
	}
	amap->am_anon[slot] = anon;
}

/*
 * Port of amap_unadd() (uvm_amap_i.h 2005): empty the slot at byte offset;
 * the last used entry of am_slots takes its place.  Amap locked by the
 * caller.
 */
void
amap_unadd(struct vm_aref *aref, vaddr_t offset)
{
	struct vm_amap *amap = aref->ar_amap;
	int ptr, slot;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAP_B2SLOT(slot, offset);
	slot += aref->ar_pageoff;
	if (slot >= amap->am_nslot)
		panic("amap_unadd: offset out of range");
	if (amap->am_anon[slot] == NULL)
		panic("amap_unadd: nothing there");

	amap->am_anon[slot] = NULL;
	ptr = amap->am_bckptr[slot];
	if (ptr != amap->am_nused - 1) {
		amap->am_slots[ptr] = amap->am_slots[amap->am_nused - 1];
		amap->am_bckptr[amap->am_slots[ptr]] = ptr;
	}
	amap->am_nused--;
}

/*
 * Port of amap_ref() (uvm_amap_i.h 2005): one more reference, to len slots
 * from slot offset (or all, AMAP_REFALL); a first partial reference
 * establishes ppref before the count goes up.
 * Locks: the caller's map locked; takes and drops the amap lock.
 */
void
amap_ref(struct vm_amap *amap, vaddr_t offset, vsize_t len, int flags)
{
	amap_lock(amap);
	if (flags & AMAP_SHARED)
		VT_RACY_STORE(amap->am_flags, amap->am_flags | AMAP_SHARED);
	if (amap->am_ppref == NULL && (flags & AMAP_REFALL) == 0 &&
	    len != (vsize_t)amap->am_nslot)
		amap_pp_establish(amap, offset);
	VT_RACY_STORE(amap->am_ref, amap->am_ref + 1);
	if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE) {
		if (flags & AMAP_REFALL)
			amap_pp_adjref(amap, 0, (vsize_t)amap->am_nslot, 1);
		else
			amap_pp_adjref(amap, (int)offset, len, 1);
	}
	amap_unlock(amap);
}

/*
 * Port of amap_unref() (uvm_amap_i.h 2005, the decrement-first form the
 * v1.62 seed requires, digest §7.4): drop a reference to len slots from
 * slot offset (all: the whole amap); the last one wipes the amap out.
 * Locks: the caller's map locked; takes the amap lock, released here or by
 * amap_wipeout; amap_pp_adjref may wipe a range (an_locks).
 */
void
amap_unref(struct vm_amap *amap, vaddr_t offset, vsize_t len, boolean_t all)
{
	amap_lock(amap);
	VT_RACY_STORE(amap->am_ref, amap->am_ref - 1);
	if (amap->am_ref == 0) {
		amap_wipeout(amap);	/* unlocks and frees */
		return;
	}
	if (amap->am_ref == 1 && (amap->am_flags & AMAP_SHARED) != 0)
		VT_RACY_STORE(amap->am_flags, amap->am_flags & ~AMAP_SHARED);
	if (amap->am_ppref == NULL && !all && len != (vsize_t)amap->am_nslot)
		amap_pp_establish(amap, offset);
	if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE) {
		if (all)
			amap_pp_adjref(amap, 0, (vsize_t)amap->am_nslot, -1);
		else
			amap_pp_adjref(amap, (int)offset, len, -1);
	}
	amap_unlock(amap);
}
