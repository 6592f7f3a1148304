/*
 * tlb.h - a translation lookaside buffer for each simulated CPU (core/mmu.c).
 *
 * A TLB caches leaf translations: va page -> 4 KiB frame, writable, dirty.
 * vt_mmu_walk fills it while the walk is still in progress (its generation
 * odd), so a shootdown that waited for the walk also flushes what the walk
 * cached.  It is flushed only by the shootdowns the HAT issues
 * (hat_tlb_inval_range's cross-call, ranged or whole) and when the CPU
 * loads another hat, as a CPU without PCIDs flushes on a cr3 load.  A write
 * through an entry that is not yet dirty walks again, as hardware does to set
 * PT_MOD in the PTE; the entry stays cached meanwhile, and if the walk finds
 * the PTE write-protected since, the dirty-bit assist still sets PT_MOD
 * through it while no shootdown has flushed it (vt_tlb_dirty_assist): the
 * stale write x86pte_update re-checks for.
 *
 * The `tlb` check: a CPU that uses an entry whose frame has since been freed
 * (the frame's generation moved) or is no longer a data page fails the run;
 * so does an entry still present for a frame the HAT has finished
 * unmapping, once hat_pageunload returned with the page held SE_EXCL
 * (vt_tlb_holds, asked by the page daemon).
 *
 * PORT: no paging-structure caches (PTPs are re-read on every walk) and no
 * global entries (the walkers walk user hats only); 16 entries, direct
 * mapped by va page.
 *
 * Locks: tlb_lock (a leaf) protects the entries and the counters; it is
 * taken by the CPU's owner around a lookup or fill and by a shootdown
 * around its flush, possibly under mlist and bucket mutexes.
 */
#ifndef VT_CORE_TLB_H
#define VT_CORE_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys.h"

#define	VT_TLB_ENTRIES	16

struct vt_tlb_entry {
	uintptr_t	te_va;		/* page-aligned va */
	pfn_t		te_pfn;		/* the 4 KiB frame */
	uint32_t	te_gen;		/* vt_frame_gen[te_pfn] at fill */
	uint8_t		te_valid;
	uint8_t		te_write;	/* the PTE allowed writes */
	uint8_t		te_dirty;	/* PT_MOD was set when it was filled */
};

struct vt_tlb {
	kmutex_t	tlb_lock;
	uint32_t	tlb_cpu;	/* immutable */
	struct vt_tlb_entry tlb_e[VT_TLB_ENTRIES];	/* tlb_lock */
	/* tlb_lock: */
	uint64_t	tlb_hits, tlb_fills, tlb_flushed, tlb_shootdowns;
	uint64_t	tlb_stale_writes;	/* dirty assists on read-only PTEs */
};

void vt_tlb_init(struct vt_tlb *t, uint32_t cpu);
void vt_tlb_fini(struct vt_tlb *t);

/*
 * Translate va from the TLB.  VT_TLB_HIT: *pfn set (a write needs a dirty
 * entry); VT_TLB_MISS: the caller walks (a write to a clean read-only
 * entry drops it); VT_TLB_SET_DIRTY: a write to a clean writable entry,
 * which stays cached while the caller walks to set PT_MOD, *pfn its frame
 * (vt_tlb_dirty_assist).  A hit on a freed or re-tagged frame fails the
 * `tlb` check.  Takes tlb_lock.
 */
#define	VT_TLB_MISS		0
#define	VT_TLB_HIT		1
#define	VT_TLB_SET_DIRTY	2
int vt_tlb_lookup(struct vt_tlb *t, uintptr_t va, bool write, pfn_t *pfn);

/*
 * The CPU's dirty-bit assist for a write that VT_TLB_SET_DIRTY left to a
 * walk which found the PTE no longer writable: if the clean writable
 * entry va -> pfn is still cached (no shootdown has flushed it, so the
 * write instruction is still the one that looked it up), set PT_REF and
 * PT_MOD in *ptep by CAS from pte without looking at PT_WRITABLE again, as
 * the x86pte_update comment says hardware may, mark the entry dirty and
 * make the write.  Otherwise, or if the PTE moved, drop the entry (the
 * write faults).  Returns whether the write was made.  Takes tlb_lock and
 * holds it across the CAS, so a flush cannot come between.
 */
bool vt_tlb_dirty_assist(struct vt_tlb *t, uintptr_t va, pfn_t pfn,
    uint64_t *ptep, uint64_t pte);

/* Drop the entry for va, if any (a write through it faulted).  Takes tlb_lock. */
void vt_tlb_drop(struct vt_tlb *t, uintptr_t va);

/* Cache va -> pfn.  Takes tlb_lock; called by a walk in progress. */
void vt_tlb_fill(struct vt_tlb *t, uintptr_t va, pfn_t pfn, bool writable,
    bool dirty);

/*
 * Drop the entries for [va, va + len); va DEMAP_ALL_ADDR (or len 0 with
 * it) drops all.  Returns how many went.  Takes tlb_lock.  shootdown: count
 * it as a cross-call (else a cr3 reload).
 */
uint32_t vt_tlb_flush(struct vt_tlb *t, uintptr_t va, size_t len,
    bool shootdown);

/*
 * Does t still hold an entry for a frame in [pfn, pfn + npfn) (any va)?
 * *where gets the entry's va.  Takes tlb_lock.
 */
bool vt_tlb_holds(struct vt_tlb *t, pfn_t pfn, pgcnt_t npfn,
    uintptr_t *where);

#endif /* VT_CORE_TLB_H */
