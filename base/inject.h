/*
 * inject.h - the bug catalogue: named mutants that each remove one
 * protection the seeds rely on (`--inject NAME`, `vmtorture selftest`).
 *
 * Every mutant is one row of VT_MUTANTS: its name, the subsystem whose
 * code it changes, the seed function it touches, the kind of locking bug
 * it plants, the check expected to catch it, and what it removes.  The
 * code that carries the mutant tests VT_INJECT(ID): one load of a byte
 * that is written only while no worker runs, so a run without mutants
 * pays a predictable branch (the bench suite's bench-inject compares it
 * with a build whose mutants are compiled out, -Dinject=false).
 *
 * Harness code (not ported).  base/ is the bottom layer, so every layer
 * that carries a mutant (locks/, core/) can see the table.
 */
#ifndef VT_BASE_INJECT_H
#define VT_BASE_INJECT_H

#include <stdbool.h>

/*
 * X(ID, name, subsystem, seed function, kind, expected check, removes)
 * Kinds: recheck, early-unlock, late-lock, unlocked-write, single-cas,
 * no-hold, wrong-clear, leak-on-error, lost-wakeup, order, stale-pointer,
 * no-shootdown, no-sync.
 */
#define VT_MUTANTS(X)							\
	X(MUTEX_EXIT_NOWAKE, "mutex-exit-nowake", "locks", "mutex_exit",	\
	    "lost-wakeup", "deadlock",					\
	    "mutex_exit releases the lock but never wakes a waiter")	\
	X(CV_LOST_SIGNAL, "cv-lost-signal", "locks", "cv_signal",		\
	    "lost-wakeup", "deadlock",					\
	    "every other wake-up of a condition variable with sleepers is dropped") \
	X(HMENT_PREPARE_NO_RECHECK, "hment-prepare-no-recheck", "hat",	\
	    "hment_prepare", "recheck", "assert",				\
	    "after retaking the mlist lock, uses the new hment without re-examining the page's mappings") \
	X(HMENT_INSERT_NO_HASH_LOCK, "hment-insert-no-hash-lock", "hat",	\
	    "hment_insert", "unlocked-write", "panic",			\
	    "adds the hment to its hash bucket without the bucket's hash_lock") \
	X(HMENT_REMOVE_EARLY_UNLOCK, "hment-remove-early-unlock", "hat",	\
	    "hment_remove", "early-unlock", "panic",			\
	    "drops the hash_lock after the lookup, before taking the hment out of the bucket") \
	X(HATI_PAGEUNLOAD_NO_RECHECK, "hati-pageunload-no-recheck", "hat",	\
	    "hati_pageunload", "recheck", "panic",			\
	    "drops and retakes the mlist lock between finding a mapping and unmapping it, without looking again") \
	X(HMENT_PREPARE_ALLOC_LOCKED, "hment-prepare-alloc-locked", "hat",	\
	    "hment_prepare", "late-lock", "lock-order",			\
	    "allocates with the mlist lock held (the allocation may steal under another mlist lock)") \
	X(HTABLE_CREATE_NO_RECHECK, "htable-create-no-recheck", "hat",	\
	    "htable_create", "recheck", "panic",				\
	    "after retaking the bucket mutex, inserts its new table without looking again") \
	X(HTABLE_LOOKUP_LEAK, "htable-lookup-leak", "hat", "htable_lookup",	\
	    "leak-on-error", "assert",					\
	    "returns on the not-found path with the bucket mutex still held") \
	X(HTABLE_STEAL_FREEING, "htable-steal-freeing", "hat", "htable_steal", \
	    "recheck", "assert",					\
	    "steals from hats being torn down (HAT_FREEING is not skipped)") \
	X(HTABLE_STEAL_NO_BROADCAST, "htable-steal-no-broadcast", "hat",	\
	    "htable_steal", "lost-wakeup", "deadlock",			\
	    "clears HAT_VICTIM without waking hat_free_start's waiters")	\
	X(HTABLE_STEAL_ACTIVE_NO_RECHECK, "htable-steal-active-no-recheck",	\
	    "hat", "htable_steal_active", "recheck", "assert",		\
	    "after retaking the bucket mutex, steals without re-checking busy, valid and lock counts") \
	X(HTABLE_STEAL_ACTIVE_ORDER, "htable-steal-active-order", "hat",	\
	    "htable_steal_active", "order", "lock-order",			\
	    "unmaps (mlist locks) with the bucket mutex still held: the reverse of hati_page_unmap's order") \
	X(HTABLE_RELEASE_STALE, "htable-release-stale", "hat",		\
	    "htable_release", "stale-pointer", "crash",			\
	    "reads the parent from the table it has just freed")		\
	X(HATI_PAGE_UNMAP_NO_HOLD, "hati-page-unmap-no-hold", "hat",	\
	    "hati_page_unmap", "no-hold", "assert",			\
	    "unmaps without a hold on the page table, then releases a hold it never took") \
	X(X86PTE_INVAL_SINGLE_CAS, "x86pte-inval-single-cas", "hat",	\
	    "x86pte_inval", "single-cas", "panic",			\
	    "one CAS instead of the loop: a REF/MOD update by the MMU leaves the PTE valid") \
	X(X86PTE_INVAL_NO_SHOOTDOWN, "x86pte-inval-no-shootdown", "hat",	\
	    "x86pte_inval", "no-shootdown", "tlb",			\
	    "clears a used PTE without the TLB shootdown: a CPU keeps translating to the page (needs --mmu)") \
	X(HATI_PAGE_UNMAP_NO_SYNC, "hati-page-unmap-no-sync", "hat",	\
	    "hati_page_unmap", "no-sync", "lost-mod",			\
	    "drops the old PTE's REF/MOD instead of syncing them into the page: a written page looks clean (needs --mmu)") \
	X(HATI_UPDATE_PTE_NO_SYNC, "hati-update-pte-no-sync", "hat",	\
	    "hati_update_pte", "no-sync", "lost-mod",			\
	    "clears REF/MOD in the PTE (hat_pagesync ZERORM) without moving them to the page (needs --mmu)") \
	X(X86PTE_UPDATE_NO_STALE_CHECK, "x86pte-update-no-stale-check",	\
	    "hat", "x86pte_update", "no-sync", "lost-mod",		\
	    "write-protects without looking for a write through a stale TLB entry: the page stays MOD in a read-only PTE only (needs --mmu --vmodsort on)") \
	X(HAT_FREE_START_CLEARS_VICTIM, "hat-free-start-clears-victim",	\
	    "hat", "hat_free_start", "wrong-clear", "assert",		\
	    "clears the thief's HAT_VICTIM itself instead of waiting for htable_steal to clear it") \
	/* amap mutants (uvm_amap.c 2005) */				\
	X(AMAP_COPY_NO_RECHECK, "amap-copy-no-recheck", "amap", "amap_copy", \
	    "recheck", "audit",						\
	    "after locking the source amap, copies without re-checking am_ref == 1 (the count drops to 0 unwiped)") \
	X(AMAP_WIPERANGE_UNLOCKED_REF, "amap-wiperange-unlocked-ref",	\
	    "amap", "amap_wiperange", "unlocked-write", "audit",	\
	    "drops an anon's an_ref without taking its an_lock")		\
	X(AMAP_SWAPOFF_NO_FLAG, "amap-swapoff-no-flag", "amap",		\
	    "amap_swap_off", "no-hold", "crash",			\
	    "unlocks the amap for the page-in without setting AMAP_SWAPOFF (amap_wipeout frees it underneath)") \
	X(AMAP_WIPEOUT_EARLY_UNLOCK, "amap-wipeout-early-unlock", "amap",	\
	    "amap_wipeout", "early-unlock", "crash",			\
	    "drops the amap lock before taking the amap off amap_list (swap-off locks a dying amap)") \
	/* vpm mutants (vpm.c 2009) */					\
	X(FREE_VPMAP_NO_SIGNAL, "free-vpmap-no-signal", "vpm", "free_vpmap",	\
	    "lost-wakeup", "livelock",					\
	    "puts the vpmap back on the release queue without waking a thread asleep on vpm_free_cv") \
	X(GET_FREE_VPMAP_KEEP_VPMREF, "get-free-vpmap-keep-vpmref", "vpm",	\
	    "get_free_vpmap", "wrong-clear", "audit:vpm-pageref",		\
	    "reuses a vpmap without clearing the previous page's p_vpmref") \
	X(FREE_VPMAP_WRONG_NDXFLG, "free-vpmap-wrong-ndxflg", "vpm",	\
	    "free_vpmap", "recheck", "crash",		\
	    "records the other queue in vpm_ndxflg than the release queue it links the vpmap on") \
	X(VPM_RMFREELIST_UNLOCKED, "vpm-rmfreelist-unlocked", "vpm",	\
	    "VPMAP_RMFREELIST", "unlocked-write", "crash",	\
	    "unlinks a vpmap from its free queue without the queue's vpmq_mtx") \
	X(GET_VPMAP_NO_RECHECK, "get-vpmap-no-recheck", "vpm", "get_vpmap",	\
	    "recheck", "panic",						\
	    "uses the vpmap p_vpmref names without checking that it still caches the page") \
	X(VPM_UNMAP_NO_SETMOD, "vpm-unmap-no-setmod", "vpm",		\
	    "vpm_unmap_pages", "wrong-clear", "vpm-data",		\
	    "marks a page written through vpm referenced only, not modified, so it is evicted unwritten")

enum vt_mutant {
#define VT_MUTANT_ENUM(id, ...)	VT_MUT_##id,
	VT_MUTANTS(VT_MUTANT_ENUM)
#undef VT_MUTANT_ENUM
	VT_NMUTANTS
};

struct vt_mutant_info {
	const char	*name;
	const char	*subsys;	/* subsystem whose code it changes */
	const char	*func;		/* seed function it touches */
	const char	*kind;		/* kind of locking bug */
	const char	*check;		/* the check expected to catch it */
	const char	*desc;		/* what it removes */
};

extern const struct vt_mutant_info vt_mutant_table[VT_NMUTANTS];

/* Mutants in force; written only while no worker runs (boot, teardown). */
extern bool vt_injected[VT_NMUTANTS];

/* Index of the mutant called name, or -1. */
int vt_mutant_find(const char *name);
/* Switch every mutant off (and restart their tick counts). */
void vt_inject_clear(void);
/*
 * The n-th (1, 2, ...) time mutant m's code asked, counted from the last
 * vt_inject_clear(), for mutants that act on some occasions only.  Atomic;
 * in controlled mode the order of the calls is the schedule's.
 */
unsigned vt_inject_tick(enum vt_mutant m);

/*
 * Built with -Dinject=false (meson), VT_NO_INJECT is defined and every
 * VT_INJECT() is the constant false: the mutants' code is compiled out, the
 * baseline of the bench suite's inject-off figure (tests/bench_inject.sh),
 * and --inject / selftest are refused.
 */
#ifdef VT_NO_INJECT
#define	VT_INJECT_BUILT	false
static inline bool
vt_inject(enum vt_mutant m)
{
	(void) m;
	return (false);
}
#else
#define	VT_INJECT_BUILT	true
static inline bool
vt_inject(enum vt_mutant m)
{
	return (__builtin_expect(vt_injected[m], 0));
}
#endif

/* VT_INJECT(HMENT_STEAL_BUSY): is that mutant on?  Takes no lock. */
#define VT_INJECT(id)	vt_inject(VT_MUT_##id)

#endif /* VT_BASE_INJECT_H */
