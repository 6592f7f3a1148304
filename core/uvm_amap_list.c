/*
 * uvm_amap_list.c - the global amap list of the amap port (uvm_amap.c
 * v1.62, 2005): amap_list and its lock, amap_list_insert/remove, and
 * amap_swap_off, which walks the list with two marker entries.
 */
#include "uvm_amap.h"

#include <sched.h>

#include "uvm_anon.h"
#include "../base/inject.h"

/* The global list of amaps (amap_swap_off walks it) and its lock. */
static kmutex_t amap_list_lock;
static struct vm_amap *amap_list;	/* LIST_HEAD's lh_first; amap_list_lock */

/* The LIST_* operations of sys/queue.h on am_list.  amap_list_lock held. */
static void
list_insert_head(struct vm_amap *am)
{
	am->am_list.le_next = amap_list;
	if (amap_list != NULL)
		amap_list->am_list.le_prev = &am->am_list.le_next;
	amap_list = am;
	am->am_list.le_prev = &amap_list;
}

static void
list_insert_before(struct vm_amap *listelm, struct vm_amap *elm)
{
	elm->am_list.le_prev = listelm->am_list.le_prev;
	elm->am_list.le_next = listelm;
	*listelm->am_list.le_prev = elm;
	listelm->am_list.le_prev = &elm->am_list.le_next;
}

static void
list_insert_after(struct vm_amap *listelm, struct vm_amap *elm)
{
	elm->am_list.le_next = listelm->am_list.le_next;
	if (elm->am_list.le_next != NULL)
		elm->am_list.le_next->am_list.le_prev = &elm->am_list.le_next;
	listelm->am_list.le_next = elm;
	elm->am_list.le_prev = &listelm->am_list.le_next;
}

static void
list_remove(struct vm_amap *elm)
{
	if (elm->am_list.le_next != NULL)
		elm->am_list.le_next->am_list.le_prev = elm->am_list.le_prev;
	*elm->am_list.le_prev = elm->am_list.le_next;
}

/*
 * Port of amap_list_insert() (uvm_amap.c 2005).
 * Locks: takes and drops amap_list_lock (the caller may hold an amap lock).
 */
void
amap_list_insert(struct vm_amap *amap)
{
	mutex_enter(&amap_list_lock);
	list_insert_head(amap);
	mutex_exit(&amap_list_lock);
}

/*
 * Port of amap_list_remove() (uvm_amap.c 2005).
 * Locks: takes and drops amap_list_lock (amap_wipeout holds the amap lock).
 */
void
amap_list_remove(struct vm_amap *amap)
{
	mutex_enter(&amap_list_lock);
	list_remove(amap);
	mutex_exit(&amap_list_lock);
}

/* --------------------------------------------------------- swap-off */

/*
 * Port of amap_swap_off() (uvm_amap.c 2005): page in every anon of every
 * amap whose swap slot lies in [startslot, endslot).  Two markers keep the
 * place in amap_list while its lock is dropped.  Returns B_TRUE if a
 * page-in failed for lack of memory.
 * Locks: takes amap_list_lock; may only amap_lock_try an amap under it
 * (the order is amap lock -> amap_list_lock), and on failure drops the list
 * lock, yields, retakes it and resumes after the markers.  With an amap
 * locked it drops the list lock, takes each an_lock; sets AMAP_SWAPOFF and
 * drops the amap lock around uvm_anon_pagein (which releases the an_lock),
 * retakes it, and if the amap lost its last reference meanwhile wipes it
 * out itself.
 * PORT: PHOLD/PRELE (keeping the lwp resident) have no counterpart.
 */
boolean_t
amap_swap_off(int startslot, int endslot)
{
	struct vm_amap *am, *am_next;
	struct vm_amap marker_prev, marker_next;
	boolean_t rv = B_FALSE;
	int i;

	memset(&marker_prev, 0, sizeof (marker_prev));
	memset(&marker_next, 0, sizeof (marker_next));
	marker_prev.am_marker = marker_next.am_marker = true;
	AMAPSTAT_INC(swapoff_calls);

	mutex_enter(&amap_list_lock);
	for (am = amap_list; am != NULL && !rv; am = am_next) {
		list_insert_before(am, &marker_prev);
		list_insert_after(am, &marker_next);

		if (!amap_lock_try(am)) {
			AMAPSTAT_INC(swapoff_lock_try_fail);
			mutex_exit(&amap_list_lock);
			vt_sched_point(VT_SP_YIELD, &amap_list_lock);
			(void) sched_yield();
			mutex_enter(&amap_list_lock);
			am_next = marker_prev.am_list.le_next;
			if (am_next == &marker_next) {
				/* am went away: go on after the markers. */
				am_next = am_next->am_list.le_next;
			} else {
				/* am is still there: try it again. */
				ASSERT(am_next->am_list.le_next ==
				    &marker_next);
			}
			list_remove(&marker_prev);
			list_remove(&marker_next);
			continue;
		}

		mutex_exit(&amap_list_lock);

		if (am->am_nused < 1) {
			/* Nothing to page in. */
			amap_unlock(am);
			goto next;
		}

		for (i = 0; i < am->am_nused; i++) {
			int slot, swslot;
			struct vm_anon *anon;

			slot = am->am_slots[i];
			anon = am->am_anon[slot];
			mutex_enter(&anon->an_lock);
			swslot = anon->an_swslot;
			if (swslot < startslot || endslot <= swslot) {
				mutex_exit(&anon->an_lock);
				continue;
			}

			if (!VT_INJECT(AMAP_SWAPOFF_NO_FLAG))
				VT_RACY_STORE(am->am_flags, am->am_flags | AMAP_SWAPOFF);
			amap_unlock(am);

			rv = uvm_anon_pagein(anon);
			AMAPSTAT_INC(swapoff_pageins);

			amap_lock(am);
			VT_RACY_STORE(am->am_flags, am->am_flags & ~AMAP_SWAPOFF);
			if (amap_refs(am) == 0) {
				AMAPSTAT_INC(swapoff_wipeouts);
				amap_wipeout(am);
				am = NULL;
				break;
			}
			if (rv)
				break;
			/*
			 * Rescan: am_slots may have been reordered while the
			 * amap was unlocked.  The loop's i++ follows, so the
			 * rescan starts at 1 (finding swapoff-restart,
			 * doc/amap.md); --amap-fix swapoff-restart starts
			 * it at 0.
			 */
			i = (vt_amap_fixes & VT_AMAP_FIX_SWAPOFF_RESTART) ?
			    -1 : 0;
		}
		if (am != NULL)
			amap_unlock(am);
next:
		mutex_enter(&amap_list_lock);
		ASSERT(marker_prev.am_list.le_next == &marker_next ||
		    marker_prev.am_list.le_next->am_list.le_next ==
		    &marker_next);
		am_next = marker_next.am_list.le_next;
		list_remove(&marker_prev);
		list_remove(&marker_next);
	}
	mutex_exit(&amap_list_lock);
	if (rv)
		AMAPSTAT_INC(swapoff_fail);
	return (rv);
}


void
vt_amap_list_init(void)
{
	mutex_init(&amap_list_lock, "amap_list_lock", MUTEX_DEFAULT, NULL);
	amap_list = NULL;
}

void
vt_amap_list_fini(void)
{
	mutex_destroy(&amap_list_lock);
}

struct vm_amap *
vt_amap_list_first(void)
{
	return (amap_list);
}

struct vm_amap *
vt_amap_list_next(struct vm_amap *am)
{
	return (am->am_list.le_next);
}
