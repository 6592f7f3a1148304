/*
 * htable.h - htable_t and the x86pte_* interface (port of i86pc/vm/htable.h,
 * 2015 era, amd64 only; VLP and Xen left out, see htable.c PORT notes).
 */
#ifndef VT_CORE_HTABLE_H
#define VT_CORE_HTABLE_H

#include "sys.h"
#include "hat_pte.h"
#include "../locks/locktable.h"

struct hat;

/*
 * Protection: ht_next/ht_prev, ht_busy and the hash chain are protected by
 * the bucket mutex (htable_mutex[hash]); ht_busy and ht_valid_cnt and
 * ht_lock_cnt are also read without it (htable_steal_active, hment_steal),
 * so every access to them is atomic (VT_RACY_* / HTABLE_INC/DEC).
 */
typedef struct htable {
	struct htable	*ht_next;	/* bucket chain / reserve / cached / steal list */
	struct hat	*ht_hat;	/* owning hat; NULL on reserve or when reaped */
	uintptr_t	ht_vaddr;	/* first VA covered; immutable while hashed */
	level_t		ht_level;	/* 0 = 4K PTEs ... 3 = top; immutable while hashed */
	uint8_t		ht_flags;	/* HTABLE_SHARED_PFN / HTABLE_VLP */
	int16_t		ht_busy;	/* holders; bucket mutex to change, racy reads */
	int16_t		ht_valid_cnt;	/* valid entries; HTABLE_INC/DEC, racy reads */
	uint32_t	ht_lock_cnt;	/* HAT_LOAD_LOCK entries; atomics, racy reads */
	pfn_t		ht_pfn;		/* frame of the table; PFN_INVALID on reserve */
	struct htable	*ht_prev;	/* bucket chain back link; bucket mutex */
	struct htable	*ht_parent;	/* table holding our PTP; set at create */
	struct htable	*ht_shares;	/* HTABLE_SHARED_PFN: the ISM table we borrow */
	uint64_t	ht_id;		/* PORT: identity for ordering/hashing (not the address) */
	struct htable	*ht_rcu_next;	/* PORT: --htable-lookup rcu limbo link; htable_rcu_mutex */
} htable_t;

#define HTABLE_VLP		0x01
#define HTABLE_SHARED_PFN	0x02

#define HTABLE_NUM_PTES(ht)	(((ht)->ht_flags & HTABLE_VLP) ? 4 : 512)
#define HTABLE_LAST_PAGE(ht) \
	((ht)->ht_level == (level_t)mmu.max_level ? ((uintptr_t)0UL - MMU_PAGESIZE) : \
	((ht)->ht_vaddr - MMU_PAGESIZE + \
	((uintptr_t)HTABLE_NUM_PTES(ht) << LEVEL_SHIFT((ht)->ht_level))))
#define NEXT_ENTRY_VA(va, l) \
	((((va) & LEVEL_MASK(l)) + LEVEL_SIZE(l) == mmu.hole_start) ? \
	mmu.hole_end : (((va) & LEVEL_MASK(l)) + LEVEL_SIZE(l)))
#define HTABLE_WALK_TO_END	((uintptr_t)-1)
#define LPAGE_ERROR		(-(x86pte_t)1)

/* 16-bit atomics on ht_valid_cnt / ht_busy-style fields. */
#define HTABLE_INC(x)	atomic_inc_16((volatile uint16_t *)&(x))
#define HTABLE_DEC(x)	atomic_dec_16((volatile uint16_t *)&(x))
#define HTABLE_LOCK_INC(ht)	atomic_inc_32(&(ht)->ht_lock_cnt)
#define HTABLE_LOCK_DEC(ht)	atomic_dec_32(&(ht)->ht_lock_cnt)

/*
 * HTABLE_HASH (digest §1.2).  PORT: the hat's id replaces its address so the
 * bucket choice does not depend on the heap.
 */
#define HTABLE_HASH(hat, va, lvl) \
	((((va) >> LEVEL_SHIFT(1)) + ((va) >> 28) + (uintptr_t)(lvl) + \
	((uintptr_t)(hat)->hat_id)) & ((hat)->hat_num_hash - 1))

/* Tunables (kernel names; set from the command line before the run). */
extern uint_t	htable_reserve_amount;
extern uint_t	htable_steal_passes;
extern ulong_t	force_steal;
extern uint32_t	htable_dont_cache;		/* atomics */
extern uint32_t	active_ptables;			/* atomics */
/* Reserve pool (audit reads it with the world stopped). */
extern kmutex_t	htable_reserve_mutex;
extern uint_t	htable_reserve_cnt;		/* racy reads */
extern htable_t	*htable_reserve_pool;
extern kmem_cache_t *htable_cache;
/* NUM_HTABLE_MUTEX, sized by --htable-locks. */
extern struct vt_lock_class *htable_mutex;

/*
 * PORT: --htable-lookup rcu (doc/LOCKING.md, "The RCU htable_lookup").
 * htable_lookup walks its bucket in an RCU read section and raises ht_busy
 * with a CAS; whoever unhashes a table first turns its ht_busy from "only
 * my hold" (1) into HT_BUSY_DEAD under the bucket mutex, and a table that
 * was hashed waits in the limbo for a grace period before it is cached,
 * reserved, freed or reused.  Set before hat_init, cleared by hat_fini;
 * free mode only.
 */
#define HT_BUSY_DEAD	INT16_MIN
extern int	vt_htable_rcu;
extern kmutex_t	htable_rcu_mutex;		/* the limbo; a leaf */
extern htable_t	*htable_rcu_limbo;		/* via ht_rcu_next (audit reads it) */
extern uint_t	htable_rcu_limbo_cnt;		/* racy reads */
/* Wait out a grace period for every table in the limbo and free them. */
void htable_rcu_barrier(void);

/* Create caches, lock table (nlocks: power of two) and reserve. */
void htable_init(uint32_t nlocks);
void htable_fini(void);
void htable_initial_reserve(uint_t count);
void htable_adjust_reserve(void);
void htable_reap(void *handle);

/*
 * Lookup/create/release.  htable_lookup and htable_create return the table
 * with ht_busy raised; the caller drops it with htable_release().
 */
htable_t *htable_lookup(struct hat *hat, uintptr_t vaddr, level_t level);
htable_t *htable_create(struct hat *hat, uintptr_t vaddr, level_t level,
    htable_t *shared);
void htable_acquire(htable_t *ht);
void htable_release(htable_t *ht);
void htable_purge_hat(struct hat *hat);
x86pte_t htable_scan(htable_t *ht, uintptr_t *vap, uintptr_t eaddr);
x86pte_t htable_walk(struct hat *hat, htable_t **htp, uintptr_t *vaddr,
    uintptr_t eaddr);
htable_t *htable_getpte(struct hat *hat, uintptr_t vaddr, uint_t *entry,
    x86pte_t *pte, level_t level);
htable_t *htable_getpage(struct hat *hat, uintptr_t vaddr, uint_t *entry);
uint_t htable_va2entry(uintptr_t va, htable_t *ht);
uintptr_t htable_e2va(htable_t *ht, uint_t entry);

/* PTE access (all CAS based; the simulated MMU races with them). */
x86pte_t x86pte_get(htable_t *ht, uint_t entry);
x86pte_t x86pte_set(htable_t *ht, uint_t entry, x86pte_t new, void *ptr);
x86pte_t x86pte_inval(htable_t *ht, uint_t entry, x86pte_t expect,
    x86pte_t *pte_ptr, boolean_t tlb);
x86pte_t x86pte_update(htable_t *ht, uint_t entry, x86pte_t expect,
    x86pte_t new);
void x86pte_copy(htable_t *src, htable_t *dest, uint_t entry, uint_t count);

/* Bucket mutex of hash bucket h (HTABLE_ENTER/EXIT use it). */
static inline kmutex_t *
vt_htable_mutex(uint_t h)
{
	return (vt_locktable_lock(htable_mutex, h));
}

#endif /* VT_CORE_HTABLE_H */
