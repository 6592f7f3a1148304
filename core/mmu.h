/*
 * mmu.h - simulated hardware: CPUs that walk page tables like an x86 MMU.
 *
 * A simulated CPU c (0 <= c < ncpus <= 64) has a loaded hat ("cr3") and a
 * walk generation counter that is odd while it is in the middle of a walk.
 * vt_mmu_walk() follows the loaded hat's tables from its top table WITHOUT
 * taking any lock, loading each PTE atomically; it checks that every PTP
 * leads to a frame tagged as a page table of the next level and every leaf
 * to a data frame (else vt_fail("mmu", ...)), and sets PT_REF (PT_MOD on a
 * write) with a CAS that only succeeds if the PTE is unchanged, as hardware
 * does.  That is what makes x86pte_inval/x86pte_update loop.
 *
 * hat_tlb_inval() (hat_i86.c) is the cross-call: it waits, through
 * vt_mmu_xcall(), for every simulated CPU running the hat (every CPU for the
 * kernel hat or a HAT_SHARED hat) that is in the middle of a walk to finish
 * it.  This models the IPI acknowledgement, and it is why htable code may
 * free a page-table frame once it has unlinked the PTP and invalidated.
 *
 * Rules for callers (the mmu role):
 *   - CPU c is driven by one thread at a time (its "owner").
 *   - vt_mmu_switch(c, hat) and vt_mmu_walk(c, ...) are called holding
 *     hat->hat_as->a_lock as reader, so the hat cannot be freed meanwhile.
 *   - Before dropping that lock the owner switches the CPU away
 *     (vt_mmu_switch(c, NULL)): a hat is never left loaded on a CPU when
 *     its address space lock is released.  hat_free_end() panics if a CPU
 *     still has the hat loaded, and vt_mmu_switch() refuses a HAT_FREEING
 *     hat (hat_tlb_inval is a no-op for those, so walking one is unsafe).
 */
#ifndef VT_CORE_MMU_H
#define VT_CORE_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "hat.h"

#define VT_MMU_MAXCPUS	64		/* cpuset_t is a 64-bit mask */

/* Create ncpus idle simulated CPUs (setup; no walkers running). */
void vt_mmu_init(uint32_t ncpus);
/* Destroy them; every CPU must be idle (hat NULL). */
void vt_mmu_fini(void);
uint32_t vt_mmu_ncpus(void);

/*
 * Load hat on CPU c (NULL: idle).  Clears c in the previous hat's hat_cpus
 * and sets it in the new one's (atomics), like hat_switch().  Caller: the
 * CPU's owner, holding the AS lock of both the old and the new hat.
 */
void vt_mmu_switch(uint32_t c, hat_t *hat);
hat_t *vt_mmu_current(uint32_t c);	/* the hat loaded on c, or NULL */

/*
 * Translate va on CPU c.  Returns 1 on a successful translation (REF, and
 * MOD for a write, now set in the leaf PTE), 0 on a fault (invalid entry,
 * write to a read-only page, no hat loaded, or va in the VA hole).  Takes
 * no lock; the caller holds the loaded hat's AS lock as reader.
 */
int vt_mmu_walk(uint32_t c, uintptr_t va, bool write);

/*
 * The cross-call behind hat_tlb_inval(): wait until every CPU in cpus that
 * is walking hat's tables (any tables, when hat is the kernel hat) has
 * finished its current walk.  Takes no lock; may be called with mlist and
 * htable bucket mutexes held.  Returns how many CPUs it had to wait for;
 * *idle gets the number of targeted CPUs with no hat loaded.
 */
uint32_t vt_mmu_xcall(hat_t *hat, uintptr_t va, size_t len, cpuset_t cpus,
    uint32_t *idle);

/*
 * Counters (reports): accesses, faults, REF/MOD CAS retries; TLB: accesses
 * that walked, hits, fills, entries flushed, cross-calls that flushed;
 * dirty pages written back after the `lost-mod` check.
 */
struct vt_mmu_stats {
	uint64_t	walks;
	uint64_t	faults;
	uint64_t	cas_retries;
	uint64_t	tlb_walks, tlb_hits, tlb_fills, tlb_flushed, tlb_shootdowns;
	uint64_t	tlb_stale_writes;	/* dirty assists on read-only PTEs */
	uint64_t	writebacks;	/* dirty pages vt_mmu_writeback wrote */
};
void vt_mmu_stats(struct vt_mmu_stats *out);

/*
 * The `tlb` check once the HAT has unmapped every mapping of frames
 * [pfn, pfn + n) and nothing can map them again (hat_pageunload with the
 * page held SE_EXCL): no CPU's TLB may still hold one.  after names the
 * operation for the message.  Takes each CPU's tlb_lock.
 */
void vt_mmu_tlb_check_frames(pfn_t pfn, pgcnt_t n, const char *after);
/*
 * The `lost-mod` check, then the page's write-back, once hat_pageunload of
 * pp (held SE_EXCL) returned and the `tlb` check passed: a page written
 * through a mapping since it was last written back must have P_MOD.  after
 * names the operation for the message.  Caller holds pp SE_EXCL.
 */
void vt_mmu_writeback(page_t *pp, const char *after);
/*
 * The page daemon's write-back of a mapped page: hat_pagesync(pp,
 * HAT_SYNC_ZERORM), the `lost-mod` check, and if P_MOD was set the page is
 * written back.  Caller holds pp SE_EXCL; takes mlist locks (hat_pagesync).
 */
void vt_mmu_sync_writeback(page_t *pp);
/*
 * The frame a TLB cached last (any CPU), or PFN_INVALID: a hint for roles
 * that want to act on pages the CPUs are using.  No lock.
 */
pfn_t vt_mmu_hot_pfn(void);
/* Test aid: put va -> pfn in CPU c's TLB as a walk would. */
void vt_mmu_tlb_plant(uint32_t c, uintptr_t va, pfn_t pfn, bool writable);

#endif /* VT_CORE_MMU_H */
