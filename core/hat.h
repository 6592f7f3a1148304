/*
 * hat.h - hat_t, the hat list, HATSTAT counters and the hat_i86.c entry
 * points the scenarios drive (digest §2, §3).
 */
#ifndef VT_CORE_HAT_H
#define VT_CORE_HAT_H

#include "sys.h"
#include "hat_pte.h"
#include "page.h"
#include "htable.h"
#include "segkmem.h"

struct hat;

/* The simulated address space: its lock is the kernel's AS lock. */
struct as {
	krwlock_t	a_lock;		/* callers of hat_memload etc. hold it */
	struct hat	*a_hat;		/* a_lock (writer to change) */
	uint32_t	a_id;		/* immutable */
};
extern struct as kas;

typedef uint64_t cpuset_t;		/* simulated CPUs (mmu walkers), bit per cpu */

typedef struct hat {
	kmutex_t	hat_mutex;	/* protects hat_ht_cached only (leaf) */
	struct as	*hat_as;	/* immutable */
	uint_t		hat_stats;
	pgcnt_t		hat_pages_mapped[MAX_PAGE_LEVEL + 1];	/* atomics */
	pgcnt_t		hat_ism_pgcnt;	/* hat_share/hat_unshare (AS lock) */
	cpuset_t	hat_cpus;	/* simulated CPUs running this hat; atomics */
	uint16_t	hat_flags;	/* hat_list_lock for VICTIM/FREEING; racy reads (VT_RACY) */
	htable_t	*hat_htable;	/* top-level table; set at hat_alloc */
	struct hat	*hat_next;	/* hat_list_lock */
	struct hat	*hat_prev;	/* hat_list_lock */
	uint_t		hat_num_hash;	/* power of two; immutable */
	htable_t	**hat_ht_hash;	/* bucket heads; htable_mutex[bucket] */
	htable_t	*hat_ht_cached;	/* hat_mutex; racy emptiness test (VT_RACY) */
	uint32_t	hat_id;		/* PORT: identity used in HTABLE_HASH; immutable */
	uint32_t	hat_rcu_pending; /* PORT: --htable-lookup rcu: our tables in the limbo; atomics */
} hat_t;

#define HAT_FREEING	0x0001
#define HAT_VLP		0x0002
#define HAT_VICTIM	0x0004
#define HAT_SHARED	0x0008

#define TOP_LEVEL(h)	((level_t)mmu.max_level)	/* PORT: no VLP hats */
#define PGCNT_INC(hat, l)	atomic_add_64(&(hat)->hat_pages_mapped[l], 1)
#define PGCNT_DEC(hat, l)	atomic_add_64(&(hat)->hat_pages_mapped[l], -1)
#define DEMAP_ALL_ADDR	(~(uintptr_t)0)

/*
 * amd64 kernel layout (hat_i86.c): user addresses lie below _userlimit (both
 * halves around the VA hole), the kernel from kernelbase up.  Immutable.
 */
extern uintptr_t	kernelbase;
extern uintptr_t	_userlimit;

extern kmutex_t		hat_list_lock;
extern kcondvar_t	hat_list_cv;

/*
 * Reserve rules (digest §2.5).  t_hatdepth exceeds 1 when kmem, growing a
 * slab, maps the page into the kernel hat from inside a HAT operation, and
 * vmem_is_populator() while vmem maps its own span page: both happen only
 * with --segkmem on (core/segkmem.h).  Without it the simulated kmem never
 * calls the HAT, and after boot the reserve-only branches of
 * hment_alloc/hment_free/htable_alloc/htable_free are unreachable (see
 * doc/hat-fidelity.md).
 */
extern uint_t use_boot_reserve;
extern uint_t can_steal_post_boot;
#define USE_HAT_RESERVES() \
	(VT_RACY_LOAD(use_boot_reserve) || curthread->t_hatdepth > 1 || \
	panicstr != NULL || vmem_is_populator())

/*
 * Candidate fixes for findings (README "Known findings"), off by default,
 * chosen at run time (--hat-fix); a bit set per fix.  Set at boot only.
 *   VT_HAT_FIX_HMENT_STEAL_VICTIM: hment_steal pins its victim's hat with
 *   HAT_VICTIM (under hat_list_lock) and skips HAT_FREEING/HAT_VICTIM
 *   hats, so hat_free_start waits until hati_page_unmap's htable_release
 *   is done.
 */
#define VT_HAT_FIX_HMENT_STEAL_VICTIM	0x1
extern uint_t vt_hat_fix;

/* hat_enter/hat_exit: take/drop hat_mutex (functions, not macros). */
void hat_enter(hat_t *hat);
void hat_exit(hat_t *hat);

/*
 * HATSTAT counters, kernel names, one set per kthread (indexed by t_id) so
 * counting never contends; summed for reports.
 */
#define VT_HATSTATS(X) \
	X(hs_reap_attempts) \
	X(hs_reaped) \
	X(hs_steals) \
	X(hs_ptable_allocs) \
	X(hs_ptable_frees) \
	X(hs_htable_rgets) \
	X(hs_htable_rputs) \
	X(hs_htable_shared) \
	X(hs_htable_unshared) \
	X(hs_hm_alloc) \
	X(hs_hm_free) \
	X(hs_hm_put_reserve) \
	X(hs_hm_get_reserve) \
	X(hs_hm_steals) \
	X(hs_hm_steal_exam) \
	X(hs_tlb_inval_delayed)
/*
 * PORT: counters the harness adds (not in the kernel's struct):
 * vt_tlb_inval counts hat_tlb_inval calls, vt_tlb_xcall_waits the waits
 * for a simulated CPU's walk; vt_rcu_* count --htable-lookup rcu: walks
 * in a read section, restarts after meeting a dying table, walks that
 * gave up for the bucket mutex, tables sent to the limbo and grace periods
 * waited for; vt_kas_* the slab pages --segkmem on maps into and unmaps
 * from the kernel hat, vt_vmem_populates the loads made as vmem's populator;
 * vt_hm_reserve_mode / vt_ht_reserve_mode count hment_alloc and
 * htable_alloc calls after boot that found USE_HAT_RESERVES() true;
 * vt_reserves_owned the times a thread became the 2006 hat_reserves_thread;
 * vt_kas_kmaps the library pages the kmapper role mapped into kas, and
 * vt_hm_steal_kas the kernel hments hment_steal passed over, and
 * vt_tlb_inval_kas the shootdowns of kernel-hat translations.
 */
#define VT_HATSTATS_PORT(X) \
	X(vt_tlb_inval) \
	X(vt_tlb_xcall_waits) \
	X(vt_rcu_lookups) \
	X(vt_rcu_restarts) \
	X(vt_rcu_fallbacks) \
	X(vt_rcu_deferred) \
	X(vt_rcu_grace_periods) \
	X(vt_kas_loads) \
	X(vt_kas_unloads) \
	X(vt_vmem_populates) \
	X(vt_hm_reserve_mode) \
	X(vt_ht_reserve_mode) \
	X(vt_reserves_owned) \
	X(vt_kas_kmaps) \
	X(vt_hm_steal_kas) \
	X(vt_tlb_inval_kas)

struct hatstats {
#define VT_HATSTAT_MEMBER(f)	ulong_t f;
	VT_HATSTATS(VT_HATSTAT_MEMBER)
	VT_HATSTATS_PORT(VT_HATSTAT_MEMBER)
#undef VT_HATSTAT_MEMBER
} __attribute__((aligned(64)));	/* PORT: one worker's own lines (no false sharing) */
enum {
#define VT_HATSTAT_COUNT(f)	VT_HATSTAT_IDX_##f,
	VT_HATSTATS(VT_HATSTAT_COUNT)
	VT_HATSTATS_PORT(VT_HATSTAT_COUNT)
#undef VT_HATSTAT_COUNT
	VT_HATSTAT_FIELDS
};
extern struct hatstats *vt_hatstats;	/* [vt_hatstats_n] */
extern uint32_t vt_hatstats_n;
void vt_hatstats_init(uint32_t nthreads);
void vt_hatstats_sum(struct hatstats *out);
/* Names and offsets of the fields, for reports: {"hs_reaped", off}, ... */
struct vt_hatstat_field { const char *name; size_t off; };
extern const struct vt_hatstat_field vt_hatstat_fields[VT_HATSTAT_FIELDS];
#define HATSTAT_INC(x)	((void)vt_hatstats[curthread->t_id].x++)

/* Load/unload flags and attributes (digest §3.11). */
#define HAT_LOAD		0x00
#define HAT_LOAD_LOCK		0x01
#define HAT_LOAD_NOCONSIST	0x20
#define HAT_LOAD_SHARE		0x40
#define HAT_LOAD_REMAP		0x80
#define HAT_NO_KALLOC		0x200	/* 2006: a load for the HAT's own kmem */
#define HAT_UNLOAD		0x00
#define HAT_UNLOAD_NOSYNC	0x02
#define HAT_UNLOAD_UNLOCK	0x04
#define HAT_UNLOAD_UNMAP	0x10
#define PROT_READ		0x01
#define PROT_WRITE		0x02
#define PROT_EXEC		0x04
#define PROT_USER		0x08
#define HAT_NOSYNC		0x20
#define HAT_STRICTORDER		0x0000
#define HAT_UNORDERED_OK	0x0100
#define HAT_STORECACHING_OK	0x0400
#define HAT_ORDER_MASK		0x0700
#define HAT_FORCE_PGUNLOAD	0x01
/* hat_pagesync flags (common/vm/hat.h). */
#define HAT_SYNC_DONTZERO	0x00
#define HAT_SYNC_ZERORM		0x01
#define HAT_SYNC_STOPON_REF	0x02
#define HAT_SYNC_STOPON_MOD	0x04
#define HAT_SYNC_STOPON_RM	(HAT_SYNC_STOPON_REF | HAT_SYNC_STOPON_MOD)
#define HAT_SYNC_STOPON_SHARED	0x08

/* Boot: mmu_init, kernel hat, hment/htable init, then can_steal etc. */
/*
 * Defaults of the tunables (the kernel's: MLIST_NUM_LOCK and HASH_NUM_LOCK
 * of hment.c 2007, NUM_HTABLE_MUTEX, HMENT_HASH_SIZE, the reserve amounts
 * and htable_steal_passes).
 */
#define VT_HAT_DEF_MLIST_LOCKS		2048
#define VT_HAT_DEF_HASH_LOCKS		2048
#define VT_HAT_DEF_MLIST_LOCKS_2006	256	/* hment.c 2006 MLIST_NUM_LOCK */
#define VT_HAT_DEF_HASH_LOCKS_2006	256	/* hment.c 2006 HASH_NUM_LOCK */
#define VT_HAT_DEF_HTABLE_LOCKS		128
#define VT_HAT_DEF_HMENT_HASH_SIZE	65536
#define VT_HAT_DEF_HMENT_RESERVE	200
#define VT_HAT_DEF_HTABLE_RESERVE	200
#define VT_HAT_DEF_STEAL_PASSES		8
/* mlist_locks value for --mlist-locks page: a lock per page, no hashing. */
#define VT_HAT_MLIST_PER_PAGE		0

struct vt_hat_params {
	uint32_t mlist_locks, hash_locks, htable_locks, hment_hash_size;
	int	hment_rev;		/* HMENT_REV_2007_AVL / HMENT_REV_2006_CHAIN */
	uint_t	hment_reserve_amount, htable_reserve_amount, htable_steal_passes;
	ulong_t	force_steal;
};
/* Every field of p at its default (the VT_HAT_DEF_* values, 2007 hment). */
void hat_params_default(struct vt_hat_params *p);
/* Set p's mlist/hash lock counts to p->hment_rev's own defaults. */
void hat_params_rev_locks(struct vt_hat_params *p);
void hat_init(const struct vt_hat_params *p);
void hat_fini(void);

hat_t *hat_alloc(struct as *as);
void hat_free_start(hat_t *hat);
void hat_free_end(hat_t *hat);
void hat_memload(hat_t *hat, caddr_t addr, page_t *pp, uint_t attr, uint_t flags);
/* Level-1 (2 MiB) mapping of the large page led by pp (p_szc >= 1). */
void vt_hat_memload_large(hat_t *hat, caddr_t addr, page_t *pp, uint_t attr,
    uint_t flags);
void hat_unload(hat_t *hat, caddr_t addr, size_t len, uint_t flags);
int hat_pageunload(page_t *pp, uint_t forceflag);
int hat_share(hat_t *hat, caddr_t addr, hat_t *ism_hat, caddr_t src_addr,
    size_t len, uint_t szc);
void hat_unshare(hat_t *hat, caddr_t addr, size_t len, uint_t szc);
uint_t hat_page_getshare(page_t *pp);
/* Unload a swapped-out hat's unshared, unlocked mappings; drop its cache. */
void hat_swapout(hat_t *hat);
/*
 * Collect (HAT_SYNC_ZERORM: and clear) the REF/MOD bits of pp's mappings
 * into the page; returns pp's P_REF/P_MOD/P_RO (core/hat_sync.c).
 */
uint_t hat_pagesync(page_t *pp, uint_t flags);
/* The pageout scanner's sharing threshold for HAT_SYNC_STOPON_SHARED. */
extern ulong_t po_share;
/* Remove pp's large mappings and make pp a small page (pp SE_EXCL). */
void hat_page_demote(page_t *pp);
void hat_tlb_inval(hat_t *hat, uintptr_t va);

/* Internal paths shared with hment.c / htable.c (digest §3.3, §3.4). */
struct hment;
struct hment *hati_page_unmap(page_t *pp, htable_t *ht, uint_t entry);
/* Copy a PTE's REF/MOD to the page(s); pp's mlist lock held. */
void hati_sync_pte_to_page(page_t *pp, x86pte_t pte, level_t level);
void hat_pte_unmap(htable_t *ht, uint_t entry, uint_t flags, x86pte_t old_pte,
    void *pte_ptr, boolean_t tlb);

/* Walk the user hat list (audit; world stopped). */
hat_t *vt_hat_first(void);
hat_t *vt_hat_next(hat_t *hat);

#endif /* VT_CORE_HAT_H */
