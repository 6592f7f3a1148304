/*
 * uvm_anon.c - anons, the vm_page side table, the simulated swap area and
 * pmap_page_protect for the amap port (uvm_anon.h).
 *
 * uvm_analloc / uvm_anfree / uvm_anon_pagein / uvm_anon_dropswap follow
 * NetBSD's uvm_anon.c of 2005 (digest §7.3); uvm_pagealloc / uvm_pagefree
 * / uvm_pagecopy follow uvm_page.c over the simulated machine's frames.
 *   PORT: no page loans (loan_count stays 0) and no page queues (the
 *   pageq lock and uvm_pageactivate/deactivate have nothing to order).
 *   PORT: uvm_anfree takes the anon's an_lock to look at its page's
 *   flags; the 2005 code reads them with the anon unlocked and relies on
 *   the page queue lock, which this port has not.
 */
#include "uvm_anon.h"

#include <sched.h>
#include <stdlib.h>

#include "hat.h"
#include "../locks/lockdep.h"

struct vm_page *vt_vm_pages;
uint64_t vt_anon_live;
uint64_t vt_vm_pages_live;
static uint32_t anon_next_id;		/* atomics */
static uint64_t vt_pageout_gen;		/* page-outs done; atomics */
static kmem_cache_t *anon_cache;	/* uvm_anon_pool */
static krwlock_t vt_pmap_lock;		/* see vt_pmap_destroy */
/*
 * The page queue lock (uvm_lock_pageq): held while a page is allocated or
 * freed, so the page daemon holding it may read pg->uanon and try that
 * anon's lock (the anon cannot be freed before its page).
 */
static kmutex_t uvm_pageq_lock;

/* Swap: contents (first and last word of each page) and the allocator. */
struct swap_slot {
	uint64_t	first, last;	/* the slot's owner (anon's an_lock or pager) */
	bool		inuse;		/* uvm_swap_lock */
};
static kmutex_t uvm_swap_lock;		/* leaf */
static struct swap_slot *swap_slots;	/* [1..swap_n] */
static int swap_n;
static int swap_rotor;			/* uvm_swap_lock */
static int swap_off_start, swap_off_end;	/* uvm_swap_lock: disabled range */
static uint64_t swap_used;		/* uvm_swap_lock (audit peeks) */

/* ---------------------------------------------------------- contents */

uint64_t
vt_page_word(struct vm_page *pg)
{
	return (((uint64_t *)vt_frame_va(pg->pg_pfn))[0]);
}

void
vt_page_write(struct vm_page *pg, uint64_t stamp)
{
	uint64_t *w = vt_frame_va(pg->pg_pfn);

	w[0] = stamp;
	w[VT_PAGE_WORDS - 1] = stamp;
}

bool
vt_page_intact(struct vm_page *pg)
{
	uint64_t *w = vt_frame_va(pg->pg_pfn);

	return (w[0] == w[VT_PAGE_WORDS - 1]);
}

/* ------------------------------------------------------------- pages */

/*
 * Port of uvm_pagealloc() (uvm_page.c 2005) for an anon's page: a free
 * frame, zero-filled, owned by anon, PG_BUSY|PG_FAKE|PG_CLEAN; NULL if no
 * frame is free or --pagealloc-fail hits.  anon's an_lock held.
 */
struct vm_page *
uvm_pagealloc(void *obj, vaddr_t off, struct vm_anon *anon, int flags)
{
	page_t *pp;
	struct vm_page *pg;

	(void) obj;
	(void) off;
	(void) flags;
	ASSERT(anon == NULL || MUTEX_HELD(&anon->an_lock));
	if (vt_uvm_fault_hit(vt_uvm_faults.pagealloc_ppm) ||
	    (pp = vt_frame_alloc(VT_FRAME_DATA)) == NULL) {
		AMAPSTAT_INC(page_alloc_fail);
		return (NULL);
	}
	pg = &vt_vm_pages[page_pptonum(pp)];
	mutex_enter(&uvm_pageq_lock);
	ASSERT(!pg->pg_inuse);
	memset(vt_frame_va(pg->pg_pfn), 0, PAGE_SIZE);
	pg->flags = PG_BUSY | PG_FAKE | PG_CLEAN;
	pg->loan_count = 0;
	pg->wire_count = 0;
	pg->uanon = anon;
	pg->pg_inuse = true;
	mutex_exit(&uvm_pageq_lock);
	if (anon != NULL)
		VT_RACY_STORE(anon->an_page, pg);
	atomic_add_64(&vt_vm_pages_live, 1);
	AMAPSTAT_INC(page_alloc);
	return (pg);
}

/*
 * Port of uvm_pagefree() (uvm_page.c 2005): the frame goes back to the
 * free list.  The page has no mappings left (the caller protected it).
 * Locks: the owner's an_lock held; takes uvm_pageq_lock, then the page
 * lock SE_EXCL around the frame free.
 */
void
uvm_pagefree(struct vm_page *pg)
{
	page_t *pp = vt_vm_page_pp(pg);

	ASSERT(pg->pg_inuse && pg->wire_count == 0);
	mutex_enter(&uvm_pageq_lock);
	pg->uanon = NULL;
	pg->flags = 0;
	pg->pg_inuse = false;
	mutex_exit(&uvm_pageq_lock);
	atomic_add_64(&vt_vm_pages_live, -1);
	/*
	 * PORT: the frame goes back under its page lock held SE_EXCL, as an
	 * illumos page_free does (a racy pmap_page_protect from
	 * amap_share_protect may be looking at the frame under that lock).
	 */
	page_lock(pp, SE_EXCL);
	vt_frame_free(pp);
	page_unlock(pp);
}

/* Port of uvm_pagecopy(): the whole 4 KiB (owners' an_locks held). */
void
uvm_pagecopy(struct vm_page *src, struct vm_page *dst)
{
	memcpy(vt_frame_va(dst->pg_pfn), vt_frame_va(src->pg_pfn), PAGE_SIZE);
	AMAPSTAT_INC(page_copy);
}

/*
 * Clear PG_BUSY; wake the sleepers a PG_WANTED asked for (uvm_page_unbusy
 * without the PG_RELEASED part, which the callers handle).  Owner's an_lock
 * held.
 */
void
uvm_page_unbusy(struct vm_page *pg)
{
	ASSERT(pg->flags & PG_BUSY);
	if (pg->flags & PG_WANTED) {
		mutex_enter(&pg->pg_mtx);
		pg->pg_busygen++;
		cv_broadcast(&pg->pg_cv);
		mutex_exit(&pg->pg_mtx);
	}
	pg->flags &= ~(PG_BUSY | PG_WANTED);
}

/*
 * Port of UVM_UNLOCK_AND_WAIT(pg, slock, ...): sleep until pg's PG_BUSY is
 * cleared.  Locks: slock (the owner's an_lock) held on entry, released as
 * side effect; takes the side table's pg_mtx under it before dropping it
 * (so the un-busy cannot come in between) and sleeps on pg_cv with it.
 * PORT: the side table entry outlives the page and its anon, so the
 * sleeper never touches the anon after waking (it may have been freed).
 */
void
uvm_unlock_and_wait(struct vm_page *pg, kmutex_t *slock)
{
	uint64_t gen;

	ASSERT(MUTEX_HELD(slock));
	ASSERT(pg->flags & PG_BUSY);
	AMAPSTAT_INC(page_busy_waits);
	pg->flags |= PG_WANTED;
	mutex_enter(&pg->pg_mtx);
	gen = pg->pg_busygen;
	mutex_exit(slock);
	while (pg->pg_busygen == gen)
		cv_wait(&pg->pg_cv, &pg->pg_mtx);
	mutex_exit(&pg->pg_mtx);
}

/*
 * Port of uvm_wait(): sleep until the page daemon has freed memory.
 * PORT: a bounded wait (yields) for the next page-out, so a run without a
 * page daemon does not hang.
 */
void
uvm_wait(const char *msg)
{
	uint64_t gen = VT_RACY_LOAD(vt_pageout_gen);

	for (int i = 0; i < 200 && VT_RACY_LOAD(vt_pageout_gen) == gen; i++) {
		vt_sched_point(VT_SP_YIELD, msg);
		(void) sched_yield();
	}
}

/*
 * Port of pmap_page_protect() for the x86 HAT: VM_PROT_NONE removes every
 * mapping of the page (hat_pageunload); a read-only protection also
 * unloads them (PORT: no hat_chgprot in the HAT port; removing a mapping
 * is the stronger form, the next access refaults).
 * Locks: takes the page lock SE_EXCL (as hat_pageunload wants) and the HAT
 * locks inside; the caller may hold the map, amap and an_lock.
 */
void
pmap_page_protect(struct vm_page *pg, vm_prot_t prot)
{
	page_t *pp = vt_vm_page_pp(pg);

	if ((prot & VM_PROT_WRITE) != 0)
		return;
	AMAPSTAT_INC(page_protect);
	rw_enter(&vt_pmap_lock, RW_READER);
	page_lock(pp, SE_EXCL);
	(void) hat_pageunload(pp, HAT_FORCE_PGUNLOAD);
	page_unlock(pp);
	rw_exit(&vt_pmap_lock);
}

/* Locks: takes vt_pmap_lock as writer (no amap or anon lock held). */
void
vt_pmap_destroy(hat_t *hat)
{
	rw_enter(&vt_pmap_lock, RW_WRITER);
	hat_free_end(hat);
	rw_exit(&vt_pmap_lock);
}

/* ------------------------------------------------------------- anons */

/*
 * Port of uvm_analloc() (uvm_anon.c 2005): a new anon with one reference,
 * returned locked; NULL when the pool (--amap-pool-fail) has none.
 */
struct vm_anon *
uvm_analloc(void)
{
	struct vm_anon *anon;

	if (vt_uvm_fault_hit(vt_uvm_faults.pool_ppm))
		return (NULL);
	anon = kmem_cache_alloc(anon_cache, KM_SLEEP);
	memset(anon, 0, sizeof (*anon));
	mutex_init(&anon->an_lock, "an_lock", MUTEX_DEFAULT, NULL);
	anon->an_id = atomic_add_32_nv(&anon_next_id, 1);
	anon->an_ref = 1;
	anon->an_page = NULL;
	anon->an_swslot = 0;
	atomic_add_64(&vt_anon_live, 1);
	AMAPSTAT_INC(anon_alloc);
	mutex_enter(&anon->an_lock);
	return (anon);
}

/* The pool_put half of uvm_anfree: the anon is unlocked and unreachable. */
static void
anon_pool_put(struct vm_anon *anon)
{
	mutex_destroy(&anon->an_lock);
	kmem_cache_free(anon_cache, anon);
	atomic_add_64(&vt_anon_live, -1);
	AMAPSTAT_INC(anon_free);
}

/*
 * Port of uvm_anfree() (uvm_anon.c 2005): free an anon with no references
 * (already out of every amap) and its page and swap slot.  A busy page is
 * marked PG_RELEASED instead: whoever holds it busy frees page and anon.
 * Locks: anon unlocked on entry; takes its an_lock (PORT, see the top),
 * then the page and HAT locks through pmap_page_protect.
 */
void
uvm_anfree(struct vm_anon *anon)
{
	struct vm_page *pg;

	mutex_enter(&anon->an_lock);
	ASSERT(anon->an_ref == 0);
	pg = anon->an_page;
	if (pg != NULL) {
		if (pg->flags & PG_BUSY) {
			pg->flags |= PG_RELEASED;
			mutex_exit(&anon->an_lock);
			AMAPSTAT_INC(anon_free_released);
			return;
		}
		pmap_page_protect(pg, VM_PROT_NONE);
		VT_RACY_STORE(anon->an_page, (struct vm_page *)NULL);
		uvm_pagefree(pg);
	}
	uvm_anon_dropswap(anon);
	mutex_exit(&anon->an_lock);
	anon_pool_put(anon);
}

/*
 * The end of a busy period for pg of anon (pageout or pagein I/O done):
 * un-busy it, and if uvm_anfree came by meanwhile (PG_RELEASED) free the
 * page, the swap slot and the anon.  an_lock held on entry; released as
 * side effect.  Returns false if the anon is gone.
 */
static bool
anon_io_done(struct vm_anon *anon, struct vm_page *pg)
{
	ASSERT(MUTEX_HELD(&anon->an_lock));
	if (pg->flags & PG_RELEASED) {
		ASSERT(anon->an_ref == 0);
		pg->flags &= ~PG_RELEASED;
		uvm_page_unbusy(pg);
		pmap_page_protect(pg, VM_PROT_NONE);
		VT_RACY_STORE(anon->an_page, (struct vm_page *)NULL);
		uvm_pagefree(pg);
		uvm_anon_dropswap(anon);
		mutex_exit(&anon->an_lock);
		anon_pool_put(anon);
		return (false);
	}
	uvm_page_unbusy(pg);
	return (true);
}

/* Port of uvm_anon_dropswap() (uvm_anon.c 2005).  an_lock held. */
void
uvm_anon_dropswap(struct vm_anon *anon)
{
	ASSERT(MUTEX_HELD(&anon->an_lock));
	if (anon->an_swslot == 0)
		return;
	uvm_swap_free(anon->an_swslot, 1);
	anon->an_swslot = 0;
}

/*
 * Port of uvm_anon_pagein() (uvm_anon.c 2005): bring the anon's page in
 * (the uvmfault_anonget I/O: the page is busy and the anon unlocked while
 * the contents are read), drop its swap slot, mark it dirty.  Returns
 * B_TRUE only if it failed for lack of memory.
 * Locks: an_lock held on entry, released as side effect (dropped and
 * retaken around the I/O; revalidates PG_RELEASED after it).
 */
boolean_t
uvm_anon_pagein(struct vm_anon *anon)
{
	struct vm_page *pg;
	int slot;

	ASSERT(MUTEX_HELD(&anon->an_lock));
	pg = anon->an_page;
	if (pg != NULL) {
		/*
		 * Resident: only the swap slot goes.  PORT: never busy here
		 * (a page out sets an_swslot only once the page is gone, and
		 * a fault's page-in is synchronous), so the anonget wait on a
		 * busy page has no case to serve.
		 */
		ASSERT((pg->flags & PG_BUSY) == 0);
		uvm_anon_dropswap(anon);
		pg->flags &= ~PG_CLEAN;
		mutex_exit(&anon->an_lock);
		return (B_FALSE);
	}
	slot = anon->an_swslot;
	ASSERT(slot != 0);
	pg = uvm_pagealloc(NULL, 0, anon, 0);
	if (pg == NULL) {
		mutex_exit(&anon->an_lock);
		return (B_TRUE);
	}
	/* The read: the page is busy, the anon unlocked. */
	mutex_exit(&anon->an_lock);
	vt_swap_read(slot, pg);
	mutex_enter(&anon->an_lock);
	if (!anon_io_done(anon, pg))
		return (B_FALSE);
	pg->flags &= ~(PG_FAKE | PG_CLEAN);
	uvm_anon_dropswap(anon);
	mutex_exit(&anon->an_lock);
	return (B_FALSE);
}

struct vm_page *
vt_anon_fault_pagein(struct vm_anon *anon)
{
	struct vm_page *pg;

	ASSERT(MUTEX_HELD(&anon->an_lock));
	ASSERT(anon->an_page == NULL && anon->an_swslot != 0);
	pg = uvm_pagealloc(NULL, 0, anon, 0);
	if (pg == NULL)
		return (NULL);
	vt_swap_read(anon->an_swslot, pg);
	pg->flags &= ~(PG_BUSY | PG_FAKE | PG_CLEAN);
	uvm_anon_dropswap(anon);
	AMAPSTAT_INC(fault_pageins);
	return (pg);
}

bool
vt_anon_pageout(struct vm_anon *anon)
{
	struct vm_page *pg = anon->an_page;
	int slot;

	ASSERT(MUTEX_HELD(&anon->an_lock));
	/*
	 * PORT: a wired page is cleaned too (busy for the write, then kept),
	 * so amap_cow_now's wait on a busy page of a wired entry has a case;
	 * the kernel's page daemon would not pick a wired page, but other
	 * holders (loans, I/O) keep such pages busy the same way.
	 */
	if (pg == NULL || (pg->flags & PG_BUSY) ||
	    (slot = vt_swap_alloc()) == 0) {
		mutex_exit(&anon->an_lock);
		return (false);
	}
	pg->flags |= PG_BUSY;
	/* The write: the page is busy, the anon unlocked. */
	mutex_exit(&anon->an_lock);
	vt_swap_write(slot, pg);
	/* PORT: the write takes a while (a yield stands for the I/O). */
	vt_sched_point(VT_SP_YIELD, pg);
	(void) sched_yield();
	mutex_enter(&anon->an_lock);
	if (!anon_io_done(anon, pg)) {
		uvm_swap_free(slot, 1);
		return (false);
	}
	if (pg->wire_count != 0) {
		/* Wired meanwhile: keep it resident. */
		AMAPSTAT_INC(pageout_aborts);
		mutex_exit(&anon->an_lock);
		uvm_swap_free(slot, 1);
		return (false);
	}
	pmap_page_protect(pg, VM_PROT_NONE);
	uvm_anon_dropswap(anon);
	anon->an_swslot = slot;
	VT_RACY_STORE(anon->an_page, (struct vm_page *)NULL);
	uvm_pagefree(pg);
	mutex_exit(&anon->an_lock);
	atomic_add_64(&vt_pageout_gen, 1);
	AMAPSTAT_INC(pageouts);
	return (true);
}

/*
 * The page daemon's scan: from frame pfn on, up to n frames, find a page
 * owned by an anon whose lock it can try; page it out.  Locks: takes
 * uvm_pageq_lock, tries the an_lock under it (the order is an_lock ->
 * pageq lock), drops the queue lock; vt_anon_pageout releases the an_lock.
 * Returns 1 if a page went out, 0 if one was tried, -1 if none found.
 */
int
vt_pageout_scan(pfn_t pfn, uint32_t n)
{
	struct vm_anon *an = NULL;

	mutex_enter(&uvm_pageq_lock);
	for (uint32_t i = 0; i < n && an == NULL; i++) {
		struct vm_page *pg = &vt_vm_pages[(pfn + i) % vt_npages];

		if (pg->pg_inuse && pg->uanon != NULL &&
		    mutex_tryenter(&pg->uanon->an_lock)) {
			an = pg->uanon;
			if (an->an_page != pg) {
				/* A page-in in progress owns it: not yet. */
				mutex_exit(&an->an_lock);
				an = NULL;
			}
		}
	}
	mutex_exit(&uvm_pageq_lock);
	if (an == NULL)
		return (-1);
	return (vt_anon_pageout(an) ? 1 : 0);
}

/* -------------------------------------------------------------- swap */

int
vt_swap_alloc(void)
{
	int s = 0;

	mutex_enter(&uvm_swap_lock);
	for (int n = 0; n < swap_n; n++) {
		int c = 1 + (swap_rotor + n) % swap_n;

		if (swap_slots[c].inuse ||
		    (c >= swap_off_start && c < swap_off_end))
			continue;
		swap_slots[c].inuse = true;
		swap_rotor = c;
		s = c;
		VT_POKE(swap_used, swap_used + 1);
		break;
	}
	mutex_exit(&uvm_swap_lock);
	return (s);
}

void
uvm_swap_free(int slot, int n)
{
	mutex_enter(&uvm_swap_lock);
	for (int i = slot; i < slot + n; i++) {
		ASSERT(i >= 1 && i <= swap_n && swap_slots[i].inuse);
		swap_slots[i].inuse = false;
		VT_POKE(swap_used, swap_used - 1);
	}
	mutex_exit(&uvm_swap_lock);
}

void
vt_swap_write(int slot, struct vm_page *pg)
{
	uint64_t *w = vt_frame_va(pg->pg_pfn);

	swap_slots[slot].first = w[0];
	swap_slots[slot].last = w[VT_PAGE_WORDS - 1];
}

void
vt_swap_read(int slot, struct vm_page *pg)
{
	uint64_t *w = vt_frame_va(pg->pg_pfn);

	w[0] = swap_slots[slot].first;
	w[VT_PAGE_WORDS - 1] = swap_slots[slot].last;
}

void
vt_swap_disable(int start, int end)
{
	mutex_enter(&uvm_swap_lock);
	swap_off_start = start;
	swap_off_end = end;
	mutex_exit(&uvm_swap_lock);
}

void
vt_swap_enable(void)
{
	vt_swap_disable(0, 0);
}

int
vt_swap_nslots(void)
{
	return (swap_n);
}

bool
vt_swap_inuse(int slot)
{
	return (slot >= 1 && slot <= swap_n && swap_slots[slot].inuse);
}

uint64_t
vt_swap_peek(int slot)
{
	return (swap_slots[slot].first);
}

uint64_t
vt_swap_used(void)
{
	return (VT_PEEK(swap_used));
}

/* ------------------------------------------------------------ module */

void
vt_uvm_init(uint32_t nslots)
{
	vt_vm_pages = calloc(vt_npages, sizeof (struct vm_page));
	swap_slots = calloc((size_t)nslots + 1, sizeof (struct swap_slot));
	if (vt_vm_pages == NULL || swap_slots == NULL)
		vt_fail("harness", "out of memory for the vm_page table");
	for (pgcnt_t i = 0; i < vt_npages; i++) {
		vt_vm_pages[i].pg_pfn = i;
		mutex_init(&vt_vm_pages[i].pg_mtx, "vm_page", MUTEX_DEFAULT,
		    NULL);
		cv_init(&vt_vm_pages[i].pg_cv, "vm_page", CV_DEFAULT, NULL);
	}
	mutex_init(&uvm_swap_lock, "uvm_swap_lock", MUTEX_DEFAULT, NULL);
	rw_init(&vt_pmap_lock, "vt_pmap_lock", 0, NULL);
	anon_cache = kmem_cache_create("uvm_anon_pool", sizeof (struct vm_anon),
	    0, NULL, NULL, NULL, NULL, NULL, 0);
	mutex_init(&uvm_pageq_lock, "uvm_pageq_lock", MUTEX_DEFAULT, NULL);
	/*
	 * Two an_locks are held together only as (an anon of an amap, then
	 * one uvm_analloc has just returned locked and no other thread can
	 * reach yet): a defined order, so the class is nestable.
	 */
	vt_lockdep_nestable("an_lock");
	swap_n = (int)nslots;
	swap_rotor = 0;
	swap_off_start = swap_off_end = 0;
	swap_used = 0;
	VT_POKE(vt_anon_live, 0);
	VT_POKE(vt_vm_pages_live, 0);
	VT_POKE(anon_next_id, 0);
}

void
vt_uvm_fini(void)
{
	for (pgcnt_t i = 0; i < vt_npages; i++) {
		cv_destroy(&vt_vm_pages[i].pg_cv);
		mutex_destroy(&vt_vm_pages[i].pg_mtx);
	}
	mutex_destroy(&uvm_swap_lock);
	rw_destroy(&vt_pmap_lock);
	kmem_cache_destroy(anon_cache);
	mutex_destroy(&uvm_pageq_lock);
	free(vt_vm_pages);
	free(swap_slots);
	vt_vm_pages = NULL;
	swap_slots = NULL;
	swap_n = 0;
}
