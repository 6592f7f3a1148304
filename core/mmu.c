/*
 * mmu.c - simulated CPUs walking the port's page tables (see mmu.h).
 *
 * Harness code, no kernel counterpart: it plays the part of the x86 MMU
 * that the HAT code races with.  It takes no lock.  Shared state per CPU:
 *   mc_hat  the loaded hat; written by the CPU's owner (atomics), read by
 *           vt_mmu_xcall() from other threads.
 *   mc_gen  walk generation; odd while a walk is in progress.  Written by
 *           the owner (atomics), read by vt_mmu_xcall().
 *
 * Why the cross-call is enough: a walker makes mc_gen odd (sequentially
 * consistent) before its first PTE load, and every PTE load is sequentially
 * consistent.  An unlinker changes the PTP with a CAS (x86pte_* are seq_cst)
 * and then reads hat_cpus and mc_gen.  Either it sees the walk in progress
 * and waits for mc_gen to move on, or the walk started after the CAS in the
 * single total order and cannot see the old PTP.  The release/acquire pairs
 * on mc_gen and hat_cpus also order the walker's frame reads before the
 * frame is reused, which keeps ThreadSanitizer informed.
 */
#include "mmu.h"

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "hment.h"
#include "htable.h"
#include "page.h"
#include "tlb.h"

struct vt_mmu_cpu {
	hat_t		*mc_hat;	/* owner writes, others read; atomics */
	uint64_t	mc_gen;		/* odd while walking; atomics */
	uint64_t	mc_walks;	/* owner only; read after the run */
	uint64_t	mc_faults;	/* owner only */
	uint64_t	mc_cas_retries;	/* owner only */
	uint64_t	mc_tlb_walks;	/* owner only: accesses the TLB missed */
	struct vt_tlb	mc_tlb;		/* its own lock (tlb.h) */
} __attribute__((aligned(64)));

static struct vt_mmu_cpu *vt_mmu_cpus;	/* [vt_mmu_n]; setup only */
/* Dirty pages written back by vt_mmu_writeback; relaxed atomics. */
static uint64_t vt_mmu_writebacks;
/* The frame most recently cached by any TLB (a hint); relaxed atomics. */
static pfn_t vt_mmu_hot = PFN_INVALID;
static uint32_t vt_mmu_n;		/* immutable while running */

static inline void
vt_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

void
vt_mmu_init(uint32_t ncpus)
{
	VERIFY(vt_mmu_cpus == NULL);
	if (ncpus > VT_MMU_MAXCPUS)
		panic("vt_mmu_init: %u simulated CPUs, at most %u", ncpus,
		    VT_MMU_MAXCPUS);
	if (ncpus == 0)
		return;
	vt_mmu_cpus = aligned_alloc(64, sizeof (struct vt_mmu_cpu) * ncpus);
	if (vt_mmu_cpus == NULL)
		panic("vt_mmu_init: out of host memory");
	memset(vt_mmu_cpus, 0, sizeof (struct vt_mmu_cpu) * ncpus);
	for (uint32_t c = 0; c < ncpus; c++)
		vt_tlb_init(&vt_mmu_cpus[c].mc_tlb, c);
	vt_mmu_n = ncpus;
	__atomic_store_n(&vt_mmu_hot, PFN_INVALID, __ATOMIC_RELAXED);
	__atomic_store_n(&vt_mmu_writebacks, 0, __ATOMIC_RELAXED);
}

void
vt_mmu_fini(void)
{
	uint32_t c;

	for (c = 0; c < vt_mmu_n; c++) {
		if (vt_mmu_cpus[c].mc_hat != NULL)
			panic("vt_mmu_fini: simulated cpu %u still runs hat %u",
			    c, vt_mmu_cpus[c].mc_hat->hat_id);
		vt_tlb_fini(&vt_mmu_cpus[c].mc_tlb);
	}
	free(vt_mmu_cpus);
	vt_mmu_cpus = NULL;
	vt_mmu_n = 0;
}

uint32_t
vt_mmu_ncpus(void)
{
	return (vt_mmu_n);
}

static struct vt_mmu_cpu *
vt_mmu_cpu(uint32_t c)
{
	if (c >= vt_mmu_n)
		panic("simulated cpu %u out of range (%u cpus)", c, vt_mmu_n);
	return (&vt_mmu_cpus[c]);
}

/*
 * Load hat on CPU c, after the shape of hat_switch(): the CPU's bit goes
 * into the new hat's hat_cpus before the CPU starts using it, so no
 * cross-call is missed.  The kernel hat is not tracked in hat_cpus (its
 * shootdowns go to every CPU).  No locks (caller holds the AS locks).
 */
void
vt_mmu_switch(uint32_t c, hat_t *hat)
{
	struct vt_mmu_cpu *cpu = vt_mmu_cpu(c);
	hat_t *old = cpu->mc_hat;		/* only the owner writes it */
	uint64_t bit = (uint64_t)1 << c;

	if (old == hat)
		return;
	if (hat != NULL && hat != kas.a_hat &&
	    (VT_RACY_LOAD(hat->hat_flags) & HAT_FREEING))
		vt_fail("mmu", "cpu %u: switch to hat %u, which is being freed",
		    c, hat->hat_id);
	/* A cr3 load without PCIDs: the old hat's translations go. */
	(void) vt_tlb_flush(&cpu->mc_tlb, DEMAP_ALL_ADDR, 0, false);
	if (old != NULL && old != kas.a_hat) {
		vt_sched_point(VT_SP_ATOMIC, &old->hat_cpus);
		(void) __atomic_fetch_and(&old->hat_cpus, ~bit,
		    __ATOMIC_SEQ_CST);
	}
	if (hat != NULL && hat != kas.a_hat) {
		vt_sched_point(VT_SP_ATOMIC, &hat->hat_cpus);
		(void) __atomic_fetch_or(&hat->hat_cpus, bit, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&cpu->mc_hat, hat, __ATOMIC_SEQ_CST);
}

hat_t *
vt_mmu_current(uint32_t c)
{
	return (__atomic_load_n(&vt_mmu_cpu(c)->mc_hat, __ATOMIC_SEQ_CST));
}

static const char *
vt_tag_name(uint8_t tag, char *buf, size_t len)
{
	if (tag == VT_FRAME_FREE)
		return ("free");
	if (tag == VT_FRAME_DATA)
		return ("data");
	if (tag >= VT_FRAME_PT && tag < VT_FRAME_NTAGS)
		(void) snprintf(buf, len, "page-table level %d",
		    tag - VT_FRAME_PT);
	else
		(void) snprintf(buf, len, "bad tag %u", tag);
	return (buf);
}

/* Report a frame that a walk reached but should not have. */
static void __attribute__((noreturn))
vt_mmu_badframe(uint32_t c, hat_t *hat, uintptr_t va, int level,
    const char *what, pfn_t pfn, uint8_t expect)
{
	char b1[32], b2[32];
	uint8_t tag = VT_FRAME_NTAGS;

	if (pfn < vt_npages)
		tag = VT_PEEK(vt_frame_tag[pfn]);
	vt_fail("mmu", "cpu %u hat %u va 0x%" PRIxPTR " level %d: %s leads "
	    "to pfn %" PRIu64 " tagged %s, expected %s", c, hat->hat_id, va,
	    level, what, pfn, pfn < vt_npages ? vt_tag_name(tag, b1,
	    sizeof (b1)) : "out of range", vt_tag_name(expect, b2,
	    sizeof (b2)));
}

static void
vt_mmu_checkframe(uint32_t c, hat_t *hat, uintptr_t va, int level,
    const char *what, pfn_t pfn, uint8_t expect)
{
	if (pfn >= vt_npages || vt_frame_tag_get(pfn) != expect)
		vt_mmu_badframe(c, hat, va, level, what, pfn, expect);
}

/*
 * One hardware page walk on CPU c.  Takes no lock: the caller holds the
 * loaded hat's AS lock as reader, which keeps the hat (not its tables)
 * alive.  Page-table frames stay valid for the length of the walk because
 * hat_tlb_inval() waits for it (see the file comment).
 */
int
vt_mmu_walk(uint32_t c, uintptr_t va, bool write)
{
	struct vt_mmu_cpu *cpu = vt_mmu_cpu(c);
	hat_t *hat = cpu->mc_hat;
	x86pte_t *ptep, pte, want;
	pfn_t pfn, leaf;
	int level, rv, lk;

	cpu->mc_walks++;
	if (hat == NULL || IN_VA_HOLE(va)) {
		cpu->mc_faults++;
		return (0);
	}
	/* The TLB first; a miss (or a first write) walks. */
	lk = vt_tlb_lookup(&cpu->mc_tlb, va, write, &leaf);
	if (lk == VT_TLB_HIT)
		return (1);
	cpu->mc_tlb_walks++;

	/* Busy: the generation goes odd before the first PTE load. */
	vt_sched_point(VT_SP_ATOMIC, &cpu->mc_gen);
	(void) __atomic_add_fetch(&cpu->mc_gen, 1, __ATOMIC_SEQ_CST);

	for (;;) {
		level = (int)mmu.max_level;
		pfn = hat->hat_htable->ht_pfn;
		vt_mmu_checkframe(c, hat, va, level, "cr3", pfn,
		    (uint8_t)(VT_FRAME_PT + level));
		for (;;) {
			ptep = (x86pte_t *)vt_frame_va(pfn) +
			    ((va >> LEVEL_SHIFT(level)) &
			    (mmu.ptes_per_table - 1));
			vt_sched_point(VT_SP_RACY, ptep);
			pte = __atomic_load_n(ptep, __ATOMIC_SEQ_CST);
			if (!PTE_ISVALID(pte) || PTE_ISPAGE(pte, level))
				break;
			if (level == 0)
				break;		/* not reached: level 0 is leaf */
			pfn = PTE2PFN(pte, level);
			vt_mmu_checkframe(c, hat, va, level, "PTP", pfn,
			    (uint8_t)(VT_FRAME_PT + level - 1));
			--level;
		}
		if (!PTE_ISVALID(pte)) {
			rv = 0;
			break;
		}
		/* A leaf: the 4 KiB frame inside a large page is offset. */
		leaf = PTE2PFN(pte, level) +
		    ((va & LEVEL_OFFSET(level)) >> MMU_PAGESHIFT);
		vt_mmu_checkframe(c, hat, va, level, "leaf PTE", leaf,
		    VT_FRAME_DATA);
		if (write && !(pte & PT_WRITABLE)) {
			/*
			 * Write-protected since this CPU cached the entry
			 * clean and writable: the dirty-bit assist may still
			 * set PT_MOD through it if it still names this frame
			 * (tlb.h).  Else a fault.
			 */
			rv = lk == VT_TLB_SET_DIRTY &&
			    vt_tlb_dirty_assist(&cpu->mc_tlb, va, leaf, ptep,
			    pte);
			break;
		}
		want = pte | PT_REF | (write ? PT_MOD : 0);
		/* Like hardware: only if the entry is still what we read. */
		if (want == pte || atomic_cas_64(ptep, pte, want) == pte) {
			/*
			 * Cached while the walk is still in progress, so a
			 * shootdown that waits for it also flushes this.
			 */
			vt_tlb_fill(&cpu->mc_tlb, va, leaf,
			    (pte & PT_WRITABLE) != 0, (want & PT_MOD) != 0);
			/* A line every CPU writes: only when it changes. */
			if (VT_PEEK(vt_mmu_hot) != leaf)
				VT_POKE(vt_mmu_hot, leaf);
			if (write)
				vt_frame_write(leaf);
			rv = 1;
			break;
		}
		cpu->mc_cas_retries++;
	}

	if (rv == 0) {
		cpu->mc_faults++;
		/* A fault takes the entry the write went through with it. */
		if (lk == VT_TLB_SET_DIRTY)
			vt_tlb_drop(&cpu->mc_tlb, va);
	}
	/* Done: the generation goes even; waiting cross-calls move on. */
	vt_sched_point(VT_SP_ATOMIC, &cpu->mc_gen);
	(void) __atomic_add_fetch(&cpu->mc_gen, 1, __ATOMIC_SEQ_CST);
	return (rv);
}

/*
 * The cross-call (see mmu.h).  Takes no lock.  A CPU in the middle of a
 * walk is waited for until its generation changes; the wait yields at a
 * schedule point each time round, so the controlled scheduler can run the
 * walker, and is visible to the watchdog as t_wait_what "tlb".
 */
uint32_t
vt_mmu_xcall(hat_t *hat, uintptr_t va, size_t len, cpuset_t cpus,
    uint32_t *idle)
{
	struct vt_mmu_cpu *cpu;
	kthread_t *t = NULL;
	hat_t *running;
	uint32_t c, waited = 0, nidle = 0;
	uint64_t gen;
	unsigned spins;

	for (c = 0; c < vt_mmu_n; c++) {
		if (!(cpus & ((uint64_t)1 << c)))
			continue;
		cpu = &vt_mmu_cpus[c];
		vt_sched_point(VT_SP_ATOMIC, &cpu->mc_gen);
		gen = __atomic_load_n(&cpu->mc_gen, __ATOMIC_SEQ_CST);
		running = __atomic_load_n(&cpu->mc_hat, __ATOMIC_SEQ_CST);
		if (running == NULL) {
			++nidle;
			continue;
		}
		/* Like hati_demap_func: a CPU in another user hat ignores it. */
		if (hat != kas.a_hat && running != hat)
			continue;
		if (!(gen & 1)) {
			(void) vt_tlb_flush(&cpu->mc_tlb, va, len, true);
			continue;
		}
		if (t == NULL) {
			t = curthread;
			VT_RACY_STORE(t->t_wait, (const void *)&cpu->mc_gen);
			VT_RACY_STORE(t->t_wait_what, "tlb");
		}
		spins = 0;
		while (__atomic_load_n(&cpu->mc_gen, __ATOMIC_SEQ_CST) == gen) {
			vt_sched_point(VT_SP_YIELD, &cpu->mc_gen);
			vt_cpu_relax();
			if ((++spins & 63) == 0)
				(void) sched_yield();
		}
		/* The walk is over: what it cached goes too. */
		(void) vt_tlb_flush(&cpu->mc_tlb, va, len, true);
		++waited;
	}
	if (t != NULL) {
		VT_RACY_STORE(t->t_wait, (const void *)NULL);
		VT_RACY_STORE(t->t_wait_what, (const char *)NULL);
	}
	if (idle != NULL)
		*idle = nidle;
	return (waited);
}

void
vt_mmu_stats(struct vt_mmu_stats *out)
{
	uint32_t c;

	memset(out, 0, sizeof (*out));
	for (c = 0; c < vt_mmu_n; c++) {
		out->walks += vt_mmu_cpus[c].mc_walks;
		out->faults += vt_mmu_cpus[c].mc_faults;
		out->cas_retries += vt_mmu_cpus[c].mc_cas_retries;
		out->tlb_walks += vt_mmu_cpus[c].mc_tlb_walks;
		out->tlb_hits += vt_mmu_cpus[c].mc_tlb.tlb_hits;
		out->tlb_fills += vt_mmu_cpus[c].mc_tlb.tlb_fills;
		out->tlb_flushed += vt_mmu_cpus[c].mc_tlb.tlb_flushed;
		out->tlb_stale_writes += vt_mmu_cpus[c].mc_tlb.tlb_stale_writes;
		out->tlb_shootdowns += vt_mmu_cpus[c].mc_tlb.tlb_shootdowns;
	}
	out->writebacks = __atomic_load_n(&vt_mmu_writebacks,
	    __ATOMIC_RELAXED);
}

/*
 * The `tlb` check after the HAT finished unmapping frames [pfn, pfn + n):
 * no CPU may still cache one.  Takes each CPU's tlb_lock.
 */
void
vt_mmu_tlb_check_frames(pfn_t pfn, pgcnt_t n, const char *after)
{
	uintptr_t where;

	for (uint32_t c = 0; c < vt_mmu_n; c++)
		if (vt_tlb_holds(&vt_mmu_cpus[c].mc_tlb, pfn, n, &where))
			vt_fail("tlb", "cpu %u still caches va 0x%" PRIxPTR
			    " -> a frame of pfn %" PRIu64 "..+%" PRIu64 " after "
			    "%s returned (a shootdown did not reach it)", c,
			    where, (uint64_t)pfn, (uint64_t)n, after);
}

/*
 * Right after a VMODSORT page's write-back write-protected it (pp held
 * SE_EXCL, so no load can add a writable mapping): no mapping of pp may be
 * writable, and none may hold PT_MOD the page does not have, since a write
 * that slipped in before a shootdown completed must have been moved to
 * P_MOD (x86pte_update's stale-write re-check).  Takes and drops pp's
 * mlist lock.
 */
static void
vmodsort_check(page_t *pp)
{
	hment_t *hm = NULL;
	htable_t *ht;
	uint_t entry;
	x86pte_t pte;

	x86_hm_enter(pp);
	while ((hm = hment_walk(pp, &ht, &entry, hm)) != NULL) {
		pte = x86pte_get(ht, entry);
		if (PTE2PFN(pte, ht->ht_level) != pp->p_pagenum)
			continue;
		if (PTE_GET(pte, PT_WRITABLE) ||
		    (PTE_GET(pte, PT_MOD) && !hat_page_getattr(pp, P_MOD)))
			vt_fail("lost-mod", "pfn %" PRIu64 " (VMODSORT) was just "
			    "written back and write-protected, but its mapping "
			    "at va 0x%" PRIxPTR " of hat %u is %s: a write "
			    "through a stale TLB entry is not in the page, "
			    "which its vnode now thinks clean",
			    (uint64_t)pp->p_pagenum, htable_e2va(ht, entry),
			    ht->ht_hat != NULL ? ht->ht_hat->hat_id : 0,
			    PTE_GET(pte, PT_WRITABLE) ? "still writable" :
			    "read-only with PT_MOD");
	}
	x86_hm_exit(pp);
}

/*
 * The `lost-mod` check and the write-back shared by both paths below: c
 * is the version last written back and w0 the version before the HAT
 * synced pp's mappings; mod whether pp came out with P_MOD.  A page
 * written since its last write-back must carry P_MOD, or its data would be
 * thrown away.  A modified page is then written back: P_MOD is cleared
 * first (hat_page_clrattr, as the kernel's page_io path does) and the
 * version read after, so a write that lands meanwhile either counts as
 * written back or has set PT_MOD again in a PTE (its walk, or the
 * shootdown that waits for its TLB entry, is over before any sync of it).
 */
static void
check_and_write_back(page_t *pp, uint32_t w0, uint32_t c, bool mod,
    const char *after)
{
	pfn_t pfn = pp->p_pagenum;
	uint32_t w1;

	ASSERT(PAGE_EXCL(pp));
	if (w0 != c && !mod)
		vt_fail("lost-mod", "pfn %" PRIu64 " was written %u time(s) "
		    "through its mappings since its last write-back, but has "
		    "no P_MOD after %s: the dirty data would be thrown away",
		    (uint64_t)pfn, w0 - c, after);
	if (!mod)
		return;
	if (VT_PEEK(pp->p_vmodsort) != 0) {
		/*
		 * A VMODSORT page: the version is read first, because
		 * clearing P_MOD write-protects every mapping
		 * (hati_page_clrwrt) and moves the PT_MOD of any write since
		 * into P_MOD again, including one through a stale TLB entry
		 * (x86pte_update's re-check).  Nothing else will sync it.
		 */
		w1 = VT_PEEK(vt_frame_wver[pfn]);
		hat_page_clrattr(pp, P_MOD);
		vmodsort_check(pp);
	} else {
		hat_page_clrattr(pp, P_MOD);
		w1 = VT_PEEK(vt_frame_wver[pfn]);
	}
	VT_POKE(vt_frame_cver[pfn], w1);
	if (w1 != c)
		(void) __atomic_fetch_add(&vt_mmu_writebacks, 1,
		    __ATOMIC_RELAXED);
}

/*
 * After hat_pageunload of pp (held SE_EXCL, the `tlb` check passed): no
 * mapping is left and none can come back, so P_MOD says all.  No lock
 * beyond the caller's page lock.
 */
void
vt_mmu_writeback(page_t *pp, const char *after)
{
	pfn_t pfn = pp->p_pagenum;

	check_and_write_back(pp, VT_PEEK(vt_frame_wver[pfn]),
	    VT_PEEK(vt_frame_cver[pfn]), hat_page_getattr(pp, P_MOD) != 0,
	    after);
}

/*
 * A page the daemon keeps mapped: hat_pagesync with HAT_SYNC_ZERORM moves
 * every mapping's REF/MOD to the page (clearing them by CAS, with a
 * shootdown each), so a page written before the sync began must come out
 * with P_MOD.  Caller holds pp SE_EXCL.  Locks as hat_pagesync.
 */
void
vt_mmu_sync_writeback(page_t *pp)
{
	pfn_t pfn = pp->p_pagenum;
	uint32_t w0 = VT_PEEK(vt_frame_wver[pfn]);
	uint32_t c = VT_PEEK(vt_frame_cver[pfn]);

	/*
	 * A VMODSORT page is trusted as it is (pvn_vplist_dirty asks
	 * hat_ismod, no sync): a clean one has no writable mapping, so
	 * whatever was written since its last write-back is in P_MOD.
	 */
	bool vmodsort = VT_PEEK(pp->p_vmodsort) != 0;

	check_and_write_back(pp, w0, c, vmodsort ?
	    hat_page_getattr(pp, P_MOD) != 0 :
	    (hat_pagesync(pp, HAT_SYNC_ZERORM) & P_MOD) != 0, vmodsort ?
	    "its last write-back write-protected it (VMODSORT)" :
	    "hat_pagesync(HAT_SYNC_ZERORM)");
}

/* Test aid: plant a translation in CPU c's TLB.  Takes its tlb_lock. */
void
vt_mmu_tlb_plant(uint32_t c, uintptr_t va, pfn_t pfn, bool writable)
{
	vt_tlb_fill(&vt_mmu_cpu(c)->mc_tlb, va, pfn, writable, writable);
}

pfn_t
vt_mmu_hot_pfn(void)
{
	return (__atomic_load_n(&vt_mmu_hot, __ATOMIC_RELAXED));
}
