/*
 * uvm_amap_ppref.c - the per-page reference counts of the amap port
 * (uvm_amap.c v1.62, 2005, UVM_AMAP_PPREF): the chunk encoding
 * (pp_getreflen / pp_setreflen), amap_pp_establish, amap_pp_adjref and
 * amap_wiperange, which drops the anons of a range whose count reached 0.
 *
 * The encoding: a chunk of one slot holds its count plus one; a longer
 * chunk holds minus (count plus one), then its length.
 */
#include "uvm_amap.h"

#include "uvm_anon.h"
#include "../base/inject.h"

/* Port of pp_getreflen() (uvm_amap.c 2005).  ppref's amap locked. */
void
pp_getreflen(int *ppref, int offset, int *refp, int *lenp)
{
	if (ppref[offset] > 0) {
		/* A chunk of one slot: the count plus one. */
		*refp = ppref[offset] - 1;
		*lenp = 1;
	} else {
		/* Longer: minus (count plus one), then the length. */
		*refp = -ppref[offset] - 1;
		*lenp = ppref[offset + 1];
	}
}

/* Port of pp_setreflen() (uvm_amap.c 2005).  ppref's amap locked. */
void
pp_setreflen(int *ppref, int offset, int ref, int len)
{
	if (len > 1) {
		ppref[offset] = -(ref + 1);
		ppref[offset + 1] = len;
	} else if (len == 1) {
		ppref[offset] = ref + 1;
	}
}

/* ------------------------------------------------------------ ppref */

/*
 * Port of amap_pp_establish() (uvm_amap.c 2005): allocate am_ppref (no
 * wait; on failure mark it PPREF_NONE and do without), slots before offset
 * unreferenced, the rest at am_ref.  Amap locked by the caller.
 */
void
amap_pp_establish(struct vm_amap *amap, vaddr_t offset)
{
	ASSERT(MUTEX_HELD(&amap->am_l));
	amap->am_ppref = vt_uvm_malloc(sizeof (int) *
	    (size_t)amap->am_maxslot, M_NOWAIT);
	if (amap->am_ppref == NULL) {
		amap->am_ppref = PPREF_NONE;
		AMAPSTAT_INC(pp_establish_none);
		return;
	}
	memset(amap->am_ppref, 0, sizeof (int) * (size_t)amap->am_maxslot);
	pp_setreflen(amap->am_ppref, 0, 0, (int)offset);
	pp_setreflen(amap->am_ppref, (int)offset, amap->am_ref,
	    amap->am_nslot - (int)offset);
	AMAPSTAT_INC(pp_establish);
}

/*
 * Port of amap_pp_adjref() (uvm_amap.c 2005): add adjval to the counts of
 * slots [curslot, curslot+slotlen), splitting chunks at both ends and
 * merging the first changed chunk with the one before when they agree;
 * a range reaching zero is wiped (amap_wiperange).
 * Locks: map and amap locked by the caller; ppref usable (not PPREF_NONE).
 */
void
amap_pp_adjref(struct vm_amap *amap, int curslot, vsize_t slotlen, int adjval)
{
	int lcv, prevlcv, stopslot;
	int len, ref, prevlen, prevref, part;
	int *ppref;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAPSTAT_INC(pp_adjref);
	stopslot = curslot + (int)slotlen;
	ppref = amap->am_ppref;
	prevlcv = 0;

	/* Walk to curslot, splitting the chunk that straddles it. */
	for (lcv = 0; lcv < curslot; lcv += len) {
		pp_getreflen(ppref, lcv, &ref, &len);
		part = curslot - lcv;
		if (len > part) {
			pp_setreflen(ppref, lcv, ref, part);
			pp_setreflen(ppref, curslot, ref, len - part);
			len = part;
		}
		prevlcv = lcv;
	}
	if (lcv != 0) {
		pp_getreflen(ppref, prevlcv, &prevref, &prevlen);
	} else {
		/* No chunk before: make the merge test below fail. */
		prevlen = 0;
		prevref = -1;
	}

	if (lcv != curslot)
		panic("amap_pp_adjref: overshot target");

	/* Adjust the range, splitting at its end, merging at its start. */
	for (; lcv < stopslot; lcv += len) {
		pp_getreflen(ppref, lcv, &ref, &len);
		part = stopslot - lcv;
		if (len > part) {
			pp_setreflen(ppref, lcv, ref, part);
			pp_setreflen(ppref, stopslot, ref, len - part);
			len = part;
		}
		ref += adjval;
		if (ref < 0)
			panic("amap_pp_adjref: negative reference count");
		/* Merge with the chunk before if it now has the same count. */
		if (ref == prevref && prevlcv + prevlen == lcv)
			pp_setreflen(ppref, prevlcv, ref, prevlen + len);
		else
			pp_setreflen(ppref, lcv, ref, len);
		if (ref != 0)
			continue;
		amap_wiperange(amap, lcv, len);
	}
}

/*
 * Port of amap_wiperange() (uvm_amap.c 2005): take the anons of slots
 * [slotoff, slotoff+slots) out of the amap (which stays) and drop one
 * reference of each, freeing those that reach zero; walks am_anon or
 * am_slots, whichever is cheaper.
 * Locks: map and amap locked by the caller; each an_lock in turn.
 */
void
amap_wiperange(struct vm_amap *amap, int slotoff, int slots)
{
	int byanon, lcv, stop, curslot, ptr, slotend, refs;
	struct vm_anon *anon;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAPSTAT_INC(wiperange);
	byanon = slots < amap->am_nused;
	if (byanon) {
		stop = slotoff + slots;
		lcv = slotoff;
		slotend = 0;
	} else {
		stop = amap->am_nused;
		lcv = 0;
		slotend = slotoff + slots;
	}

	while (lcv < stop) {
		if (byanon) {
			curslot = lcv;
			lcv++;
			if (amap->am_anon[curslot] == NULL)
				continue;	/* an empty slot */
		} else {
			curslot = amap->am_slots[lcv];
			if (curslot >= slotend || curslot < slotoff) {
				lcv++;
				continue;
			}
			stop--;		/* one fewer to look at: it goes */
		}
		anon = amap->am_anon[curslot];

		/* Out of the amap: the last used entry fills its place. */
		amap->am_anon[curslot] = NULL;
		ptr = amap->am_bckptr[curslot];
		if (ptr != amap->am_nused - 1) {
			amap->am_slots[ptr] = amap->am_slots[amap->am_nused - 1];
			amap->am_bckptr[amap->am_slots[ptr]] = ptr;
		}
		amap->am_nused--;

		if (VT_INJECT(AMAP_WIPERANGE_UNLOCKED_REF)) {
			refs = VT_RACY_LOAD(anon->an_ref) - 1;
			VT_RACY_STORE(anon->an_ref, refs);
		} else {
			mutex_enter(&anon->an_lock);
			refs = anon->an_ref - 1;
			VT_POKE(anon->an_ref, refs);
			mutex_exit(&anon->an_lock);
		}
		if (refs == 0)
			uvm_anfree(anon);
	}
}
