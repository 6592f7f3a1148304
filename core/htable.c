/*
 * htable.c - page-table bookkeeping for the simulated x86 HAT: htable_t
 * allocation (kmem, reserve, per-hat cache, stealing), the per-hat hash of
 * tables, linking and unlinking of page-table pointers (PTPs), walks, and
 * the x86pte_* primitives that read and change PTEs.
 *
 * Userspace port of illumos usr/src/uts/i86pc/vm/htable.c (2015 revision,
 * CDDL).  The structure follows the original function by function; every
 * deliberate difference is marked PORT.  Left out as a whole:
 *   PORT: Xen (__xpv) paths, the i386 / 32-bit PAE paths and VLP (32-bit
 *         process) hats - the simulated machine is bare-metal amd64 only.
 *   PORT: htable_attach() - it adopts page tables built by the boot loader;
 *         the simulated machine boots with empty tables, so nothing calls it.
 *   PORT: x86pte_cpu_init/fini, x86pte_mapin/mapout and the per-CPU
 *         page-table window with its hci_mutex - every simulated frame is
 *         directly addressable through vt_frame_va(), which is the kernel's
 *         kpm path.
 *   PORT: hat_dump() - there is no crash dump to add page tables to.
 *
 * Locking (see doc/LOCKING.md and kernel-digest §3.2):
 *   htable_mutex[]   one bucket of a hat's hash: the chain links, ht_busy
 *                    changes, the free decision, link_ptp/unlink_ptp of a
 *                    table hashed there.  One bucket mutex at a time; no
 *                    mlist lock is taken and no memory allocated under it.
 *   hat_mutex        (hat_enter) the hat_ht_cached list only; a leaf.
 *   hat_list_lock    the hat list and HAT_VICTIM; dropped before hat_enter.
 *   htable_reserve_mutex  the reserve pool; a leaf.
 * PTE memory is shared with the simulated MMU, which follows PTPs and sets
 * REF/MOD without locks, so every PTE access below is an __atomic access.
 */
#include "htable.h"

#include <inttypes.h>
#include <stdio.h>

#include "hat.h"
#include "hment.h"
#include "htable_rcu.h"
#include "page.h"
#include "../base/inject.h"
#include "../locks/rcu.h"

kmem_cache_t *htable_cache;

/*
 * Default number of htables kept in reserve.  htable_initial_reserve() adds
 * the constant (as the kernel does); htable_adjust_reserve() trims towards
 * the tunable, which may be set low (even 0) to push allocations into
 * htable_steal().
 */
#define	HTABLE_RESERVE_AMOUNT	(200)
uint_t htable_reserve_amount = HTABLE_RESERVE_AMOUNT;
kmutex_t htable_reserve_mutex;		/* protects the two below */
uint_t htable_reserve_cnt;		/* stores atomic: read without the lock */
htable_t *htable_reserve_pool;		/* linked through ht_next */

/*
 * Test aid: with force_steal > 1, about one page-table allocation in
 * force_steal fails so that htable_steal() runs.
 * PORT: always compiled (the kernel has it under DEBUG only); ptable_cnt is
 * shared by all workers, so it is updated atomically.
 */
ulong_t force_steal = 0;
static uint32_t ptable_cnt = 0;		/* atomics */

/* Steal passes over the hat list; clamped to 1..ptes_per_table when used. */
uint_t htable_steal_passes = 8;

/* NUM_HTABLE_MUTEX bucket mutexes; sized at htable_init (--htable-locks). */
struct vt_lock_class *htable_mutex;

/*
 * While non-zero, htable_free() hands tables straight back (reserve or
 * kmem) instead of caching them on their hat: set by stealing and reaping.
 */
uint32_t htable_dont_cache = 0;		/* atomics; racy reads */

/*
 * Number of page-table frames in use, used to size a reap.
 * PORT: exported (not static) so the audit can compare it with the frames
 * tagged as page tables.
 */
uint32_t active_ptables = 0;		/* atomics; racy reads */

/*
 * PORT: source of ht_id, the identity used instead of an htable's address
 * wherever an order or a message must not depend on the heap.
 */
static uint64_t htable_next_id = 0;	/* atomics */

/* htable_steal_active's rotor (see there); reset at boot like the ids. */
static uint32_t htable_steal_rotor = 0;	/* atomics */

/* Forward declarations (definitions further down). */
static void htable_free(htable_t *);
static void htable_rcu_flush(htable_t *);
static void htable_rcu_revive(htable_t *, uint_t);
static void x86pte_zero(htable_t *, uint_t, uint_t);
static x86pte_t x86pte_cas(htable_t *, uint_t, x86pte_t, x86pte_t);
static void link_ptp(htable_t *, htable_t *, uintptr_t);
static void unlink_ptp(htable_t *, htable_t *, uintptr_t);
static x86pte_t *x86pte_access_pagetable(htable_t *, uint_t);
static void x86pte_release_pagetable(htable_t *);

/*
 * Port of the HTABLE_ENTER()/HTABLE_EXIT() macros: take / drop the mutex
 * guarding hash bucket h (bucket numbers fold onto the mutex table in
 * vt_htable_mutex, the kernel's HTABLE_MUTEX_HASH).
 * PORT: functions, because no macro in this project takes a lock.
 */
static bool no_bucket_held(void);

static void htable_enter(uint_t h)
{
	ASSERT(no_bucket_held());	/* one bucket mutex at a time */
	mutex_enter(vt_htable_mutex(h));
}

static void htable_exit(uint_t h)
{
	mutex_exit(vt_htable_mutex(h));
}

static bool bucket_held(uint_t h)
{
	return MUTEX_HELD(vt_htable_mutex(h));
}

/*
 * Lock-order check (digest §3.2): true if the calling thread holds no
 * htable_mutex at all.  Uses the thread's held-lock record (kmutex.c keeps
 * up to VT_MAX_HELD entries, far more than the HAT ever nests).
 */
static bool no_bucket_held(void)
{
	kthread_t *t = curthread;

	for (uint32_t i = 0; i < t->t_nheld && i < VT_MAX_HELD; i++)
		if (t->t_held[i]->m_class == htable_mutex)
			return false;
	return true;
}

/* Hash bucket of a hashed table (its identity fields are immutable then). */
static inline uint_t bucket_of(const htable_t *ht)
{
	return HTABLE_HASH(ht->ht_hat, ht->ht_vaddr, ht->ht_level);
}

/*
 * ht_busy: changed only under the bucket mutex, but read without it by
 * htable_steal_active and hment_steal, so every access is a relaxed atomic.
 */
static inline int16_t busy_of(const htable_t *ht)
{
	return VT_RACY_LOAD(ht->ht_busy);
}

/*
 * Bucket mutex of ht held on entry.
 * PORT: with --htable-lookup rcu, lock-free walkers raise ht_busy by CAS
 * (htable_rcu.c), so a change under the mutex must be an atomic add too.
 */
static inline void busy_add(htable_t *ht, int d)
{
	ASSERT(bucket_held(bucket_of(ht)));
	if (vt_htable_rcu)
		(void) __atomic_add_fetch(&ht->ht_busy, (int16_t)d,
		    __ATOMIC_ACQ_REL);
	else
		VT_RACY_STORE(ht->ht_busy, (int16_t)(busy_of(ht) + d));
}

/*
 * PORT: --htable-lookup rcu.  Bucket mutex of ht held on entry.  The
 * kernel decides "ht_busy is only our hold (ours), so the table may go"
 * under the bucket mutex, which every other holder must take first; here a
 * lock-free walker may raise ht_busy at any moment, so the decision is a
 * CAS from ours to HT_BUSY_DEAD.  False: a walker got in first and the
 * table stays.  Without rcu it is always true and changes nothing.
 */
static inline bool busy_kill(htable_t *ht, int16_t ours)
{
	int16_t b = ours;

	ASSERT(bucket_held(bucket_of(ht)));
	if (!vt_htable_rcu)
		return true;
	return __atomic_compare_exchange_n(&ht->ht_busy, &b, HT_BUSY_DEAD,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/*
 * A chain link that a lock-free walker may be reading (--htable-lookup
 * rcu): a release store, so a walker that loads the new value also sees
 * everything written before it (the new table's fields, a dead ht_busy).
 */
static inline void link_set(htable_t **linkp, htable_t *v)
{
	__atomic_store_n(linkp, v, __ATOMIC_RELEASE);
}

static inline int16_t valid_of(const htable_t *ht)
{
	return VT_RACY_LOAD(ht->ht_valid_cnt);
}

static inline uint32_t lockcnt_of(const htable_t *ht)
{
	return VT_RACY_LOAD(ht->ht_lock_cnt);
}

static inline uint16_t hatflags_of(const hat_t *hat)
{
	return VT_RACY_LOAD(hat->hat_flags);
}

/*
 * Hash chain maintenance.  Bucket mutex of bucket h held on entry (or the
 * hat is HAT_FREEING and nobody else can see it).
 */
static void hash_insert(hat_t *hat, uint_t h, htable_t *ht)
{
	htable_t *head = hat->hat_ht_hash[h];

	ASSERT(ht->ht_prev == NULL);
	ht->ht_next = head;
	if (head != NULL)
		head->ht_prev = ht;
	link_set(&hat->hat_ht_hash[h], ht);	/* publishes ht */
}

static void hash_remove(hat_t *hat, uint_t h, htable_t *ht)
{
	htable_t *nx = ht->ht_next, *pv = ht->ht_prev;

	if (nx != NULL)
		nx->ht_prev = pv;
	if (pv == NULL) {
		ASSERT(hat->hat_ht_hash[h] == ht);
		link_set(&hat->hat_ht_hash[h], nx);
	} else {
		link_set(&pv->ht_next, nx);
	}
}

/*
 * PTE memory access.  GET_PTE is an acquire load (x86 loads are ordered,
 * and the simulated MMU writes REF/MOD concurrently); CAS_PTE is the
 * kernel-named atomic_cas_64.  Both are schedule points.
 */
static inline x86pte_t get_pte(x86pte_t *ptep)
{
	vt_sched_point(VT_SP_RACY, ptep);
	return __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
}

static inline x86pte_t cas_pte(x86pte_t *ptep, x86pte_t cmp, x86pte_t nv)
{
	return atomic_cas_64((volatile uint64_t *)ptep, cmp, nv);
}

/* Relaxed store, for tables nothing can reach yet (zeroing, copying). */
static inline void put_pte(x86pte_t *ptep, x86pte_t v)
{
	__atomic_store_n(ptep, v, __ATOMIC_RELAXED);
}

/*
 * PORT: a page-table frame carries an owner tag naming its level.  A frame
 * taken over from a cached or stolen htable may change level, so the tag is
 * rewritten whenever such a frame is handed out again.
 */
static void ptable_settag(pfn_t pfn, level_t level)
{
	VT_RACY_STORE(vt_frame_tag[pfn], (uint8_t)(VT_FRAME_PT + level));
}

/* Port of ptable_alloc() (htable.c 2015).  Takes only the frame allocator's
 * own mutex (inside vt_frame_alloc); called with no HAT lock held.
 *
 * Get a frame for a hardware page table, or PFN_INVALID.  We refuse once
 * free memory is down at throttlefree, so that callers turn to stealing
 * instead of eating the last pages.
 * PORT: the kernel passes a seed used to name the page in kvp; simulated
 * frames need no name, so the argument is the level for the frame's owner
 * tag instead.  NOMEMWAIT() (pageout and friends) is always false here.
 */
static pfn_t ptable_alloc(level_t level)
{
	page_t *pp;

	if (VT_RACY_LOAD(freemem) <= throttlefree + 1)
		return PFN_INVALID;

	/*
	 * Optional forced failures (see force_steal).
	 * PORT: the kernel only does this once pageout runs (proc_pageout set,
	 * i.e. after boot); can_steal_post_boot is our "after boot".
	 */
	if (VT_RACY_LOAD(can_steal_post_boot) && force_steal > 1 &&
	    atomic_add_32_nv(&ptable_cnt, 1) > force_steal) {
		VT_RACY_STORE(ptable_cnt, 0);
		return PFN_INVALID;
	}

	/* PORT: page_get_physical() becomes the simulated frame allocator. */
	pp = vt_frame_alloc((enum vt_frame_tag)(VT_FRAME_PT + level));
	if (pp == NULL)
		return PFN_INVALID;
	if (pp->p_pagenum == PFN_INVALID)
		panic("ptable_alloc(): frame without a pfn");
	HATSTAT_INC(hs_ptable_allocs);
	atomic_inc_32(&active_ptables);
	return pp->p_pagenum;
}

/* Port of ptable_free() (htable.c 2015).  No HAT lock needed.
 *
 * Return a page-table frame to the free pool.
 * PORT: the kernel upgrades its shared page lock (or looks the page up
 * again in kvp), hashes it out and frees it.  Simulated page-table frames
 * are never locked or looked up by anyone else, so all of that collapses
 * into vt_frame_free().
 */
static void ptable_free(pfn_t pfn)
{
	page_t *pp;

	ASSERT(pfn != PFN_INVALID);
	pp = page_numtopp_nolock(pfn);
	atomic_dec_32(&active_ptables);
	HATSTAT_INC(hs_ptable_frees);
	if (pp == NULL)
		panic("ptable_free(): pfn %" PRIu64 " has no page", pfn);
	ASSERT(pp->p_pagenum == pfn && vt_frame_tag_get(pfn) >= VT_FRAME_PT);
	vt_frame_free(pp);
}

/* Port of htable_put_reserve() (htable.c 2015).  Takes and drops
 * htable_reserve_mutex (a leaf).
 *
 * Push a page-less htable onto the reserve pool.
 */
static void htable_put_reserve(htable_t *ht)
{
	ASSERT(ht->ht_pfn == PFN_INVALID);
	ht->ht_hat = NULL;
	HATSTAT_INC(hs_htable_rputs);
	mutex_enter(&htable_reserve_mutex);
	ht->ht_next = htable_reserve_pool;
	VT_RACY_STORE(htable_reserve_cnt, htable_reserve_cnt + 1);
	htable_reserve_pool = ht;
	mutex_exit(&htable_reserve_mutex);
}

/* Port of htable_get_reserve() (htable.c 2015).  Takes and drops
 * htable_reserve_mutex (a leaf).
 *
 * Pop one htable off the reserve pool, or NULL when it is empty.
 */
static htable_t *htable_get_reserve(void)
{
	htable_t *ht;

	mutex_enter(&htable_reserve_mutex);
	ht = htable_reserve_pool;
	if (htable_reserve_cnt == 0) {
		ht = NULL;
	} else {
		ASSERT(ht != NULL && ht->ht_pfn == PFN_INVALID);
		htable_reserve_pool = ht->ht_next;
		VT_RACY_STORE(htable_reserve_cnt, htable_reserve_cnt - 1);
		HATSTAT_INC(hs_htable_rgets);
	}
	mutex_exit(&htable_reserve_mutex);
	return ht;
}

/* Port of htable_initial_reserve() (htable.c 2015).  Boot only; takes the
 * reserve mutex per table.
 *
 * Fill the reserve with count tables plus the built-in amount.
 */
void htable_initial_reserve(uint_t count)
{
	for (count += HTABLE_RESERVE_AMOUNT; count > 0; --count) {
		htable_t *ht = kmem_cache_alloc(htable_cache, KM_NOSLEEP);

		ASSERT(ht != NULL);
		ASSERT(VT_RACY_LOAD(use_boot_reserve));
		ht->ht_pfn = PFN_INVALID;
		htable_put_reserve(ht);
	}
}

/* Port of htable_adjust_reserve() (htable.c 2015).  No lock held on entry;
 * takes the reserve mutex per table.
 *
 * Give surplus reserve tables back to kmem, unless this thread may still
 * need the reserve.
 */
void htable_adjust_reserve(void)
{
	htable_t *ht;

	while (VT_RACY_LOAD(htable_reserve_cnt) > htable_reserve_amount &&
	    !USE_HAT_RESERVES()) {
		if ((ht = htable_get_reserve()) == NULL)
			return;
		ASSERT(ht->ht_pfn == PFN_INVALID);
		kmem_cache_free(htable_cache, ht);
	}
}

/* Port of htable_steal_active() (htable.c 2015).
 *
 * Look through hat's hash for idle level-0 tables with at most threshold
 * valid entries, empty them and take them, until *stolen reaches cnt.
 * Stolen tables are unhashed, unlinked from their parent and pushed on
 * *list.  Each scan starts at a different bucket to spread the damage.
 *
 * Locks: called with no lock held; hat is pinned by HAT_VICTIM.  Takes each
 * bucket mutex in turn.  For a candidate it raises ht_busy, DROPS the
 * bucket mutex (hat_pte_unmap takes mlist locks, which must never nest
 * inside a bucket mutex), unmaps, RETAKES the bucket mutex and revalidates
 * ht_busy == 1, ht_valid_cnt == 0 and ht_lock_cnt == 0 before stealing.
 * The parent's hold is dropped (htable_release) after the bucket mutex.
 */
static void htable_steal_active(hat_t *hat, uint_t cnt, uint_t threshold,
    uint_t *stolen, htable_t **list)
{
	/*
	 * PORT: the kernel's unlocked static rotor, made an atomic counter at
	 * file scope so that every boot starts it afresh (a pct run boots
	 * twice, and its replay once).
	 */
	uint_t h_start = (atomic_add_32_nv(&htable_steal_rotor, 1) - 1) %
	    hat->hat_num_hash;
	uint_t h = h_start, e;
	htable_t *higher, *ht;
	x86pte_t pte;

	do {
		higher = NULL;
		htable_enter(h);
		for (ht = hat->hat_ht_hash[h]; ht != NULL; ht = ht->ht_next) {
			/* Cheap reasons to leave this table alone. */
			if (ht->ht_level > 0 || busy_of(ht) != 0 ||
			    (ht->ht_flags & HTABLE_SHARED_PFN) != 0 ||
			    lockcnt_of(ht) != 0 ||
			    valid_of(ht) > (int16_t)threshold)
				continue;

			/*
			 * Our hold keeps the table hashed while the bucket
			 * mutex is down; unmapping needs mlist locks, which
			 * rank above bucket mutexes.
			 */
			busy_add(ht, 1);
			/*
			 * Mutant htable-steal-active-order keeps the bucket
			 * mutex (and, as a non-DEBUG kernel, has no assert).
			 */
			if (!VT_INJECT(HTABLE_STEAL_ACTIVE_ORDER)) {
				htable_exit(h);
				ASSERT(no_bucket_held());
			}

			/*
			 * Unmap every valid entry, giving up as soon as
			 * somebody else holds the table or locks an entry.
			 * (The kernel also steps a VA it never uses.)
			 */
			for (e = 0; e < HTABLE_NUM_PTES(ht); ++e) {
				if (valid_of(ht) <= 0 || busy_of(ht) != 1 ||
				    lockcnt_of(ht) != 0)
					break;
				pte = x86pte_get(ht, e);
				if (PTE_ISVALID(pte))
					hat_pte_unmap(ht, e, HAT_UNLOAD, pte,
					    NULL, B_TRUE);
			}

			/*
			 * Revalidate under the bucket mutex: a new holder,
			 * a mapping that survived or arrived meanwhile, or a
			 * locked entry means we keep our hands off.
			 */
			if (!VT_INJECT(HTABLE_STEAL_ACTIVE_ORDER))
				htable_enter(h);
			if (!VT_INJECT(HTABLE_STEAL_ACTIVE_NO_RECHECK) &&
			    (valid_of(ht) != 0 || lockcnt_of(ht) != 0 ||
			    busy_of(ht) != 1 || !busy_kill(ht, 1))) {
				busy_add(ht, -1);
				continue;
			}

			/* Take it: unlink the PTP and unhash the table. */
			higher = ht->ht_parent;
			unlink_ptp(higher, ht, ht->ht_vaddr);
			hash_remove(hat, h, ht);

			/*
			 * One table per bucket visit; the parent's hold is
			 * dropped once the bucket mutex is down.
			 */
			link_set(&ht->ht_next, *list);	/* a walker may be on ht */
			*list = ht;
			*stolen += 1;
			break;
		}
		htable_exit(h);
		if (higher)
			htable_release(higher);
		h = (h + 1 == hat->hat_num_hash) ? 0 : h + 1;
	} while (h != h_start && *stolen < cnt);
}

/* Port of move_victim() (htable.c 2015).  hat_list_lock held on entry.
 *
 * Put hat at the tail of the hat list so the next steal starts elsewhere.
 */
static void move_victim(hat_t *hat)
{
	hat_t *khat = kas.a_hat;

	ASSERT(MUTEX_HELD(&hat_list_lock));

	/* Take it out of its current place ... */
	if (hat->hat_prev == NULL)
		khat->hat_next = hat->hat_next;
	else
		hat->hat_prev->hat_next = hat->hat_next;
	if (hat->hat_next == NULL)
		khat->hat_prev = hat->hat_prev;
	else
		hat->hat_next->hat_prev = hat->hat_prev;

	/* ... and append it. */
	hat->hat_next = NULL;
	hat->hat_prev = khat->hat_prev;
	if (hat->hat_prev == NULL)
		khat->hat_next = hat;
	else
		hat->hat_prev->hat_next = hat;
	khat->hat_prev = hat;
}

/* Port of htable_steal() (htable.c 2015).
 *
 * Collect up to cnt htables from user hats: pass 0 only empties the hats'
 * caches of free tables, later passes also strip active level-0 tables
 * whose valid count is under a threshold rising with each pass.  reap is
 * true when called from htable_reap, which frees the result and so wants
 * the tables detached from their hat while the hat is still pinned.
 *
 * Locks: no lock held on entry or return.  Takes hat_list_lock to walk the
 * list and set HAT_VICTIM on one hat, DROPS it while working on that hat
 * (hat_enter for the cache, bucket and mlist locks in htable_steal_active),
 * RETAKES it to clear HAT_VICTIM (cv_broadcast to hat_free_start waiters)
 * and to move on; the hat's hat_next is read only under hat_list_lock.
 */
static htable_t *htable_steal(uint_t cnt, boolean_t reap)
{
	htable_t *list = NULL, *ht;
	uint_t stolen = 0, pass, threshold;
	hat_t *hat;

	ASSERT(no_bucket_held() && MUTEX_NOT_HELD(&hat_list_lock));

	/*
	 * Keep the tunable within 1..ptes_per_table.
	 * PORT: tunables are shared by all workers; the kernel writes this one
	 * without a lock, so do we, through the marked racy accessors.
	 */
	if (VT_RACY_LOAD(htable_steal_passes) == 0)
		VT_RACY_STORE(htable_steal_passes, 1);
	if (VT_RACY_LOAD(htable_steal_passes) > mmu.ptes_per_table)
		VT_RACY_STORE(htable_steal_passes, mmu.ptes_per_table);

	atomic_inc_32(&htable_dont_cache);
	for (pass = 0;
	    stolen < cnt && pass <= VT_RACY_LOAD(htable_steal_passes); ++pass) {
		threshold = pass * mmu.ptes_per_table /
		    VT_RACY_LOAD(htable_steal_passes);

		mutex_enter(&hat_list_lock);

		/* The kernel hat only anchors the list; start after it. */
		for (hat = kas.a_hat->hat_next; ; hat = hat->hat_next) {
			/*
			 * Pass over hats another thread is stealing from,
			 * ISM hosts (HAT_SHARED), and exiting hats: while
			 * HAT_FREEING, unmapping leaves PTEs in place, and
			 * two threads tearing down the same table would trip
			 * over the stale entries.
			 */
			while (hat != NULL && (hatflags_of(hat) &
			    ((VT_INJECT(HTABLE_STEAL_FREEING) ? 0 : HAT_FREEING) |
			    HAT_VICTIM | HAT_SHARED)) != 0)
				hat = hat->hat_next;
			if (!hat)
				break;

			/* HAT_VICTIM keeps hat_free_start() away from it. */
			VT_RACY_STORE(hat->hat_flags,
			    (uint16_t)(hatflags_of(hat) | HAT_VICTIM));
			mutex_exit(&hat_list_lock);

			/* First help ourselves to the hat's free tables. */
			hat_enter(hat);
			for (ht = hat->hat_ht_cached; ht != NULL && stolen < cnt;
			    ht = hat->hat_ht_cached) {
				VT_RACY_STORE(hat->hat_ht_cached, ht->ht_next);
				ht->ht_next = list;
				list = ht;
				stolen++;
			}
			hat_exit(hat);

			/* From pass 1 on, strip tables still in use too. */
			if (stolen < cnt && pass > 0) {
				uint_t had = stolen;

				htable_steal_active(hat, cnt, threshold,
				    &stolen, &list);
				/*
				 * PORT: --htable-lookup rcu.  The stripped
				 * tables are dead; nobody may touch them
				 * (the reap's detach below, reuse) before
				 * a grace period.
				 */
				if (vt_htable_rcu && stolen != had)
					htable_rcu_revive(list, stolen - had);
			}

			/*
			 * The reaper frees what we return after we let go of
			 * the hat, so detach the tables now, while the hat
			 * cannot go away (htable_free looks at ht_hat).
			 */
			if (reap) {
				for (ht = list; ht != NULL; ht = ht->ht_next) {
					if (ht->ht_hat != NULL) {
						ASSERT(ht->ht_hat == hat);
						ht->ht_hat = NULL;
					}
				}
			}

			mutex_enter(&hat_list_lock);

			/*
			 * Done?  When a single table was taken by stripping,
			 * send this hat to the back of the list so the next
			 * steal hurts somebody else.
			 */
			if (stolen == cnt && cnt == 1 && pass >= 1 &&
			    kas.a_hat->hat_prev != hat)
				move_victim(hat);

			/* Unpin the hat; a waiting hat_free_start may go on. */
			if ((hatflags_of(hat) & HAT_VICTIM) != 0) {
				ASSERT(hat != kas.a_hat);
				VT_RACY_STORE(hat->hat_flags,
				    (uint16_t)(hatflags_of(hat) & ~HAT_VICTIM));
				if (!VT_INJECT(HTABLE_STEAL_NO_BROADCAST))
					cv_broadcast(&hat_list_cv);
			}
		}

		mutex_exit(&hat_list_lock);
	}
	ASSERT(MUTEX_NOT_HELD(&hat_list_lock));
	atomic_dec_32(&htable_dont_cache);
	return list;
}

/* Port of htable_reap() (htable.c 2015).  The htable_cache reclaim callback;
 * called with no lock held (kmem_cache_reap / the reaper role).
 *
 * Under memory pressure, steal a slice of all page tables and free them,
 * then trim the htable and hment reserves.
 */
void htable_reap(void *handle)
{
	uint64_t nact, want;
	htable_t *ht, *next;

	(void) handle;
	HATSTAT_INC(hs_reap_attempts);
	/* PORT: --htable-lookup rcu: what the limbo holds is reclaimable. */
	if (vt_htable_rcu && VT_RACY_LOAD(htable_rcu_limbo_cnt) != 0)
		htable_rcu_barrier();
	if (!VT_RACY_LOAD(can_steal_post_boot))
		return;

	/* About 5% of the page tables, capped at 5% of memory, at least 10. */
	nact = VT_RACY_LOAD(active_ptables);
	want = MAX(MIN(physmem / 20, nact / 20), 10);

	/* htable_free() below must not cache on the hats. */
	atomic_inc_32(&htable_dont_cache);
	for (ht = htable_steal((uint_t)want, B_TRUE); ht != NULL; ht = next) {
		next = ht->ht_next;
		htable_free(ht);
		HATSTAT_INC(hs_reaped);
	}
	atomic_dec_32(&htable_dont_cache);

	htable_adjust_reserve();
	hment_adjust_reserve();
}

/*
 * htable_alloc() helper: a page-less htable from the reserve, or from kmem
 * while donating to a short reserve.  NULL if kmem fails.
 */
static htable_t *htable_alloc_struct(int kmflags)
{
	htable_t *ht;

	if (USE_HAT_RESERVES()) {
		/* PORT: counts what only HAT recursion (--segkmem on) does. */
		if (!VT_PEEK(use_boot_reserve))	/* no schedule point */
			HATSTAT_INC(vt_ht_reserve_mode);
		return htable_get_reserve();
	}

	/*
	 * While the reserve is short, each table kmem gives us goes to the
	 * reserve and we ask again.
	 */
	while ((ht = kmem_cache_alloc(htable_cache, kmflags)) != NULL) {
		ht->ht_pfn = PFN_INVALID;
		if (USE_HAT_RESERVES() ||
		    VT_RACY_LOAD(htable_reserve_cnt) >= htable_reserve_amount)
			break;
		htable_put_reserve(ht);
	}
	return ht;
}

/* Port of htable_alloc() (htable.c 2015).
 *
 * Get an htable for (hat, vaddr, level) with ht_busy 1, not yet hashed or
 * linked.  Sources in order: the hat's cache of free tables, the reserve
 * (when USE_HAT_RESERVES) or kmem plus a fresh frame, and finally stealing.
 * shared != NULL makes a bare table borrowing shared's frame (ISM).
 *
 * Locks: no bucket or mlist lock may be held (we allocate and may steal).
 * Takes hat_mutex briefly for the cache, the reserve mutex inside the
 * reserve helpers.
 */
static htable_t *htable_alloc(hat_t *hat, uintptr_t vaddr, level_t level,
    htable_t *shared)
{
	htable_t *ht = NULL;
	/* PORT: no VLP hats, so only a shared table is bare. */
	boolean_t is_bare = (shared != NULL);
	boolean_t need_to_zero = B_TRUE, reused = B_FALSE;
	int kmflags;

	if (level < 0 || level > TOP_LEVEL(hat))
		panic("htable_alloc(): level %d out of range", level);
	ASSERT(no_bucket_held());	/* we allocate and may steal */
	kmflags = VT_RACY_LOAD(can_steal_post_boot) ? KM_NOSLEEP : KM_SLEEP;

	/*
	 * A table from the hat's own cache still has a zeroed frame: the
	 * cheapest source.  The emptiness test is racy on purpose; the list
	 * is re-read under hat_mutex.
	 */
	if (!is_bare && VT_RACY_LOAD(hat->hat_ht_cached) != NULL) {
		hat_enter(hat);
		if ((ht = hat->hat_ht_cached) != NULL) {
			ASSERT(ht->ht_pfn != PFN_INVALID);
			VT_RACY_STORE(hat->hat_ht_cached, ht->ht_next);
			need_to_zero = B_FALSE;
			reused = B_TRUE;
		}
		hat_exit(hat);
	}

	if (ht == NULL && (ht = htable_alloc_struct(kmflags)) != NULL &&
	    !is_bare) {
		/* A table of our own needs a frame. */
		ht->ht_hat = hat;
		if ((ht->ht_pfn = ptable_alloc(level)) == PFN_INVALID) {
			if (!USE_HAT_RESERVES())
				kmem_cache_free(htable_cache, ht);
			else
				htable_put_reserve(ht);
			ht = NULL;
		}
	}

	/*
	 * Out of memory: ask kmem to reap and take a table from some user hat.
	 * This may spin for a while when memory is really tight.
	 */
	while (ht == NULL && VT_RACY_LOAD(can_steal_post_boot)) {
		/*
		 * PORT: --htable-lookup rcu.  Tables waiting out a grace
		 * period are free ones in all but name: let them go first,
		 * or a short limbo that never fills would be lost to us.
		 */
		if (vt_htable_rcu && VT_RACY_LOAD(htable_rcu_limbo_cnt) != 0)
			htable_rcu_barrier();
		kmem_reap();
		ht = htable_steal(1, B_FALSE);
		HATSTAT_INC(hs_steals);
		if (ht == NULL) {
			/*
			 * PORT: the kernel waits here for other threads to
			 * release tables and relies on preemption to let them
			 * run; an explicit yield point tells the controlled
			 * scheduler this thread is spinning (no-op when free).
			 */
			vt_sched_point(VT_SP_YIELD, &htable_reserve_cnt);
			continue;
		}
		if (!is_bare) {
			reused = B_TRUE;
		} else {
			/* A bare table has no use for the stolen frame. */
			ptable_free(ht->ht_pfn);
			ht->ht_pfn = PFN_INVALID;
		}
	}

	/* Nothing to allocate and nothing to steal: only possible at boot. */
	if (!ht)
		panic("htable_alloc(): couldn't steal");

	/* A shared table borrows the frame; hat_share sets the valid count. */
	VT_RACY_STORE(ht->ht_valid_cnt, 0);
	VT_RACY_STORE(ht->ht_lock_cnt, 0);
	if (shared == NULL) {
		ht->ht_flags = 0;
		ht->ht_shares = NULL;
		if (reused)
			ptable_settag(ht->ht_pfn, level);
	} else {
		ASSERT(valid_of(shared) > 0);
		ht->ht_flags = HTABLE_SHARED_PFN;
		ht->ht_shares = shared;
		ht->ht_pfn = shared->ht_pfn;
		need_to_zero = B_FALSE;
	}

	ht->ht_next = ht->ht_prev = ht->ht_parent = NULL;
	ht->ht_hat = hat;
	ht->ht_level = level;
	ht->ht_vaddr = vaddr;
	VT_RACY_STORE(ht->ht_busy, 1);
	/* PORT: a fresh identity for every allocation (see htable_next_id). */
	vt_sched_point(VT_SP_ATOMIC, &htable_next_id);
	ht->ht_id = __atomic_add_fetch(&htable_next_id, 1, __ATOMIC_RELAXED);

	/* New and stolen frames hold old contents. */
	if (need_to_zero)
		x86pte_zero(ht, 0, mmu.ptes_per_table);
	return ht;
}

/* Port of htable_free() (htable.c 2015).
 *
 * Dispose of an unhashed htable: onto its hat's cache (frame kept), else
 * frame freed and the htable to the reserve or kmem.  Caching is skipped
 * while stealing/reaping (htable_dont_cache), for exiting hats and for
 * shared tables; during boot everything is cached.
 *
 * Locks: no bucket or mlist lock held.  Takes hat_mutex (cache) or the
 * reserve mutex; may trim the reserve.
 */
static void htable_free(htable_t *ht)
{
	hat_t *owner = ht->ht_hat;
	boolean_t cache = B_FALSE;
	htable_t *batch;

	ASSERT(no_bucket_held());
	/*
	 * PORT: --htable-lookup rcu.  A table that was hashed waits for a
	 * grace period first (htable_rcu.c); a full limbo is flushed here.
	 */
	if (vt_htable_rcu && busy_of(ht) == HT_BUSY_DEAD) {
		if ((batch = htable_rcu_defer(ht)) != NULL)
			htable_rcu_flush(batch);
		return;
	}
	if (owner != NULL && (ht->ht_flags & HTABLE_SHARED_PFN) == 0) {
		cache = VT_RACY_LOAD(use_boot_reserve) ||
		    ((hatflags_of(owner) & HAT_FREEING) == 0 &&
		    VT_RACY_LOAD(htable_dont_cache) == 0);
	}
	if (cache) {
		ASSERT(ht->ht_pfn != PFN_INVALID &&
		    (ht->ht_flags & HTABLE_VLP) == 0);
		hat_enter(owner);
		ht->ht_next = owner->hat_ht_cached;
		VT_RACY_STORE(owner->hat_ht_cached, ht);
		hat_exit(owner);
		return;
	}

	/* Our own frame goes back; a borrowed (shared) one stays. */
	if ((ht->ht_flags & HTABLE_SHARED_PFN) == 0)
		ptable_free(ht->ht_pfn);
	else
		ASSERT(ht->ht_pfn != PFN_INVALID);
	ht->ht_pfn = PFN_INVALID;

	if (!USE_HAT_RESERVES() &&
	    VT_RACY_LOAD(htable_reserve_cnt) >= htable_reserve_amount) {
		kmem_cache_free(htable_cache, ht);
		htable_adjust_reserve();
	} else {
		htable_put_reserve(ht);
	}
}

/*
 * PORT: --htable-lookup rcu.  No lock held on entry (the caller may hold
 * mutexes no walker takes).  Waits for a grace period, then frees every
 * table of batch (a detached limbo, linked by ht_rcu_next) the way
 * htable_free would have, and lets each owner's hat go again.
 */
static void htable_rcu_flush(htable_t *batch)
{
	htable_t *ht, *next;
	hat_t *owner;

	ASSERT(no_bucket_held());
	vt_rcu_synchronize();
	HATSTAT_INC(vt_rcu_grace_periods);
	for (ht = batch; ht != NULL; ht = next) {
		next = ht->ht_rcu_next;
		owner = ht->ht_hat;
		ht->ht_rcu_next = NULL;
		VT_RACY_STORE(ht->ht_busy, 0);	/* no walker can see it now */
		htable_free(ht);
		if (owner != NULL)
			atomic_dec_32(&owner->hat_rcu_pending);
	}
}

/*
 * PORT: --htable-lookup rcu.  No lock held on entry.  The first n tables
 * of list were just stripped (dead, unhashed): wait for a grace period so
 * that no walker still looks at them, then make them plain free tables.
 */
static void htable_rcu_revive(htable_t *list, uint_t n)
{
	ASSERT(no_bucket_held());
	vt_rcu_synchronize();
	HATSTAT_INC(vt_rcu_grace_periods);
	for (; list != NULL && n > 0; list = list->ht_next, n--) {
		ASSERT(busy_of(list) == HT_BUSY_DEAD);
		VT_RACY_STORE(list->ht_busy, 0);
	}
}

/*
 * PORT: --htable-lookup rcu.  No lock held on entry.  Flushes the limbo
 * now; when another thread has just taken it, waits a grace period, after
 * which that thread's flush is under way.
 */
void htable_rcu_barrier(void)
{
	htable_t *batch = htable_rcu_take();

	if (batch != NULL)
		htable_rcu_flush(batch);
	else
		vt_rcu_synchronize();
}

/*
 * hat->hat_rcu_pending, read with acquire ordering (a racy read's schedule
 * point first, as VT_RACY_LOAD).  No lock.
 */
static uint32_t
rcu_pending_acquire(hat_t *hat)
{
	vt_sched_point(VT_SP_RACY, &hat->hat_rcu_pending);
	return (__atomic_load_n(&hat->hat_rcu_pending, __ATOMIC_ACQUIRE));
}

/* Port of htable_purge_hat() (htable.c 2015).
 *
 * Free a hat's cached tables; when the hat is being destroyed
 * (HAT_FREEING) also every table still hashed, without unlinking PTPs or
 * flushing anything.
 *
 * Locks: none held on entry.  Not freeing: hat_mutex per cached table.
 * Freeing: nothing - the hat is off the hat list and unreachable.
 */
void htable_purge_hat(hat_t *hat)
{
	htable_t *ht;

	if ((hatflags_of(hat) & HAT_FREEING) == 0) {
		/* Swap-out style purge: just drain the cache. */
		atomic_inc_32(&htable_dont_cache);
		do {
			hat_enter(hat);
			if ((ht = hat->hat_ht_cached) != NULL)
				VT_RACY_STORE(hat->hat_ht_cached, ht->ht_next);
			hat_exit(hat);
			if (ht != NULL)
				htable_free(ht);
		} while (ht != NULL);
		atomic_dec_32(&htable_dont_cache);
		return;
	}

	/*
	 * PORT: --htable-lookup rcu.  Tables of ours still in the limbo go
	 * before the hat does (with HAT_FREEING set, none is cached again).
	 * The load acquires: the flusher's decrement is its last touch of
	 * this hat, and hat_free_end frees the hat once it reads 0.
	 */
	while (vt_htable_rcu && rcu_pending_acquire(hat) != 0)
		htable_rcu_barrier();

	/* Exiting hat: no other thread can reach it any more. */
	while ((ht = VT_RACY_LOAD(hat->hat_ht_cached)) != NULL) {
		VT_RACY_STORE(hat->hat_ht_cached, ht->ht_next);
		htable_free(ht);
	}
	for (uint_t b = 0; b < hat->hat_num_hash; b++) {
		while ((ht = hat->hat_ht_hash[b]) != NULL) {
			hash_remove(hat, b, ht);
			htable_free(ht);
		}
	}
}

/* Port of unlink_ptp() (htable.c 2015).  Bucket mutex of old held on entry;
 * higher is held busy by old.
 *
 * Clear the PTP for old in its parent higher and drop the parent's valid
 * count; flush translations through it unless the hat is exiting.
 */
static void unlink_ptp(htable_t *higher, htable_t *old, uintptr_t vaddr)
{
	hat_t *hat = old->ht_hat;
	x86pte_t expect = MAKEPTP(old->ht_pfn, old->ht_level), found;

	ASSERT(bucket_held(bucket_of(old)));
	ASSERT(busy_of(higher) > 0 && valid_of(higher) > 0);
	ASSERT(valid_of(old) == 0);
	found = x86pte_cas(higher, htable_va2entry(vaddr, higher), expect, 0);
	if (found != expect)
		panic("unlink_ptp: bad PTP found=0x%" PRIx64 " expected=0x%"
		    PRIx64 " (ht_id %" PRIu64 ")", found, expect, old->ht_id);

	/*
	 * CPUs cache upper-level entries too, so invalidate an address the
	 * old table covered.  PORT: no VLP hats, so never a full reload.
	 */
	if ((hatflags_of(hat) & HAT_FREEING) == 0)
		hat_tlb_inval(hat, old->ht_vaddr);

	HTABLE_DEC(higher->ht_valid_cnt);
}

/* Port of link_ptp() (htable.c 2015).  Bucket mutex of new held on entry;
 * higher held busy by the caller (the hold passes to new).
 *
 * Install the PTP for new in its parent higher.
 * PORT: no VLP (or i386 PAE) top tables, so no cr3 reload is ever needed.
 */
static void link_ptp(htable_t *higher, htable_t *new, uintptr_t vaddr)
{
	x86pte_t ptp = MAKEPTP(new->ht_pfn, new->ht_level), found;

	ASSERT(bucket_held(bucket_of(new)));
	ASSERT(busy_of(higher) > 0);
	ASSERT(new->ht_level != (level_t)mmu.max_level);

	HTABLE_INC(higher->ht_valid_cnt);
	found = x86pte_cas(higher, htable_va2entry(vaddr, higher), 0, ptp);
	if ((found & ~PT_REF) != 0)
		panic("link_ptp: slot not empty, found=0x%" PRIx64, found);
}

/* Port of htable_release() (htable.c 2015).
 *
 * Drop a hold on ht.  If it was the last hold on an empty table that may
 * go, unhash and unlink it, free it, and repeat with its parent (whose
 * hold the table carried); releasing a shared table also releases the
 * table it borrowed from.
 *
 * Locks: none held on entry (may free memory).  Takes the bucket mutex of
 * each table in turn, DROPPING a child's bucket mutex before taking the
 * parent's (only one bucket mutex at a time).
 */
void htable_release(htable_t *ht)
{
	htable_t *shared, *higher;

	for (; ht != NULL; ht = shared) {
		uint_t hv;

		shared = NULL;
		for (;;) {
			hat_t *hat = ht->ht_hat;
			uintptr_t va = ht->ht_vaddr;
			level_t lvl = ht->ht_level;

			hv = HTABLE_HASH(hat, va, lvl);

			/* Usually somebody else still uses the table. */
			htable_enter(hv);
			ASSERT(busy_of(ht) > 0 && valid_of(ht) >= 0);
			if (busy_of(ht) > 1 || valid_of(ht) > 0)
				break;
			ASSERT(lockcnt_of(ht) == 0);

			if ((ht->ht_flags & HTABLE_SHARED_PFN) != 0) {
				/*
				 * Empty shared tables always go; the borrowed
				 * table loses a holder at the end.
				 */
				ASSERT(shared == NULL);
				shared = ht->ht_shares;
			} else if ((hatflags_of(hat) & HAT_FREEING) != 0) {
				/* An exiting hat is torn down in bulk later. */
				break;
			} else if (lvl >= (level_t)mmu.max_page_level &&
			    (va >= kernelbase || hat != kas.a_hat)) {
				/*
				 * Tables at or above max_page_level stay,
				 * except the kernel's below kernelbase.
				 * PORT: never the exception here: on amd64
				 * the kernel hat maps nothing below
				 * kernelbase once boot is over, and the
				 * simulated boot starts from a built kernel
				 * hat (hat_init).
				 */
				break;
			}
			/* PORT: a lock-free walker may have a hold by now. */
			if (!busy_kill(ht, 1)) {
				shared = NULL;
				break;
			}
			if (shared != NULL)
				HATSTAT_INC(hs_htable_unshared);

			/* Detach from the parent and the hash, then free. */
			ASSERT(ht->ht_parent != NULL);
			higher = ht->ht_parent;
			unlink_ptp(higher, ht, va);
			hash_remove(hat, hv, ht);
			htable_exit(hv);
			htable_free(ht);
			if (VT_INJECT(HTABLE_RELEASE_STALE))
				higher = ht->ht_parent;	/* mutant: freed */
			ht = higher;
		}

		ASSERT(busy_of(ht) >= 1);
		busy_add(ht, -1);
		htable_exit(hv);
	}
}

/* Port of htable_lookup() (htable.c 2015).  Takes and drops one bucket mutex.
 *
 * Find the table of hat at level covering vaddr; returns it with ht_busy
 * raised (release with htable_release), or NULL.
 * PORT: the VLP 4 GiB overflow check is gone with VLP hats.
 */
htable_t *htable_lookup(hat_t *hat, uintptr_t vaddr, level_t level)
{
	uintptr_t base = 0;
	htable_t *ht;
	uint_t hv;

	ASSERT(level >= 0 && level <= TOP_LEVEL(hat));
	if (level != TOP_LEVEL(hat))
		base = vaddr & LEVEL_MASK(level + 1);

	hv = HTABLE_HASH(hat, base, level);
	/* PORT: --htable-lookup rcu walks without the mutex (htable_rcu.c). */
	if (vt_htable_rcu) {
		int gave_up;

		ht = htable_lookup_rcu(hat, base, level, hv, &gave_up);
		if (ht != NULL || !gave_up)
			return ht;
	}
	htable_enter(hv);
	for (ht = hat->hat_ht_hash[hv]; ht != NULL; ht = ht->ht_next) {
		if (ht->ht_vaddr == base && ht->ht_level == level &&
		    ht->ht_hat == hat) {
			busy_add(ht, 1);
			break;
		}
	}
	if (ht == NULL && VT_INJECT(HTABLE_LOOKUP_LEAK))
		return NULL;	/* mutant: the miss keeps the mutex */
	htable_exit(hv);
	return ht;
}

/* Port of htable_acquire() (htable.c 2015).  Takes and drops ht's bucket
 * mutex.  The caller knows ht stays hashed (e.g. it holds the mlist lock
 * of a page ht maps).
 *
 * Add a hold on a known table.
 */
void htable_acquire(htable_t *ht)
{
	uint_t hv = bucket_of(ht);
	htable_t *p;

	htable_enter(hv);
	/* The kernel checks this under DEBUG; asserts are always on here. */
	for (p = ht->ht_hat->hat_ht_hash[hv]; p != NULL && p != ht;
	    p = p->ht_next)
		continue;
	ASSERT(p == ht);
	busy_add(ht, 1);
	htable_exit(hv);
}

/* Port of htable_create() (htable.c 2015).
 *
 * Like htable_lookup, but builds whatever is missing from the top level
 * down to level.  Returns the table with a hold.  A new table keeps the
 * hold on its parent (dropped when the table itself is freed).
 *
 * Locks: none held on entry.  For each level takes the bucket mutex; if
 * the table is missing it DROPS the mutex, allocates, RETAKES it and
 * searches again - when another thread created the table meanwhile, ours
 * is freed (after dropping the mutex) and theirs used.
 */
htable_t *htable_create(hat_t *hat, uintptr_t vaddr, level_t level,
    htable_t *shared)
{
	htable_t *ht = NULL, *higher = NULL, *new;
	level_t top = TOP_LEVEL(hat);

	if (level < 0 || level > top)
		panic("htable_create(): level %d out of range", level);

	/* From the top down. */
	for (level_t l = top; l >= level; l--) {
		uintptr_t base = (l == top) ? 0 : (vaddr & LEVEL_MASK(l + 1));
		uint_t h = HTABLE_HASH(hat, base, l);

		new = NULL;
try_again:
		htable_enter(h);
		if (new != NULL && VT_INJECT(HTABLE_CREATE_NO_RECHECK)) {
			ht = NULL;	/* mutant: no second look */
		} else if (l != top) {
			for (ht = hat->hat_ht_hash[h]; ht != NULL;
			    ht = ht->ht_next) {
				ASSERT(ht->ht_hat == hat);
				if (ht->ht_level == l && ht->ht_vaddr == base)
					break;
			}
		} else {
			ht = hat->hat_htable;
		}

		if (ht == NULL && new == NULL) {
			/* Missing: allocate without the mutex, then re-check. */
			htable_exit(h);
			new = htable_alloc(hat, base, l,
			    (l == level) ? shared : NULL);
			goto try_again;
		}

		if (ht == NULL) {
			/* Still missing: ours goes in, under its parent. */
			ht = new;
			if (higher != NULL) {
				ht->ht_parent = higher;
				link_ptp(higher, ht, base);
			}
			hash_insert(hat, h, ht);
			htable_exit(h);

			/*
			 * The hold on higher now belongs to ht; it is given
			 * back when ht is freed (release or steal).  A new
			 * sharer also pins the table it borrows from, so an
			 * empty ISM table cannot be stolen.
			 */
			higher = ht;
			if (shared != NULL && l == level) {
				(void) htable_lookup(shared->ht_hat,
				    shared->ht_vaddr, shared->ht_level);
				HATSTAT_INC(hs_htable_shared);
			}
			continue;
		}

		/* Found (perhaps on the re-check): use it. */
		if (l == level && shared != NULL && ht->ht_shares != NULL &&
		    ht->ht_shares != shared)
			panic("htable_create: table %" PRIu64 " shares from %"
			    PRIu64 ", wanted %" PRIu64, ht->ht_id,
			    ht->ht_shares->ht_id, shared->ht_id);
		busy_add(ht, 1);
		htable_exit(h);
		/* If we lost the race, our table goes back. */
		if (new)
			htable_free(new);
		if (higher)
			htable_release(higher);
		higher = ht;
	}
	return ht;
}

/* Port of htable_scan() (htable.c 2015).  Caller holds ht busy; no lock.
 *
 * From *vap (inside ht) toward eaddr, find the first valid entry of ht.
 * Returns it (a page or a PTP - the caller decides) and sets *vap to its
 * address; otherwise returns 0 with *vap at the first address not looked
 * at.
 * PORT: the kernel peeks at the low byte of each PTE (the valid bit) and
 * then loads the whole entry; we load each whole entry atomically (the MMU
 * writes them concurrently; a 1-byte read of an 8-byte atomic would be a
 * mixed-size access), then re-read the one found, like the kernel.
 * Exported because htable.h declares it.
 */
x86pte_t htable_scan(htable_t *ht, uintptr_t *vap, uintptr_t eaddr)
{
	level_t lvl = ht->ht_level;
	uintptr_t step = LEVEL_SIZE(lvl), va = *vap & LEVEL_MASK(lvl);
	uint_t nptes = HTABLE_NUM_PTES(ht), e;
	x86pte_t *ptes, found_pte = 0;

	ASSERT(ht->ht_vaddr <= va && va <= HTABLE_LAST_PAGE(ht));
	e = htable_va2entry(va, ht);
	ptes = x86pte_access_pagetable(ht, 0);
	while (!PTE_ISVALID(get_pte(&ptes[e]))) {
		va += step;
		if (va >= eaddr || ++e == nptes)
			break;
	}
	if (e != nptes && va < eaddr)
		found_pte = get_pte(&ptes[e]);
	x86pte_release_pagetable(ht);

	/* Stepping across the VA hole in the top table. */
	if (lvl == (level_t)mmu.max_level && mmu.hole_start <= va &&
	    va <= mmu.hole_end)
		va += mmu.hole_end - mmu.hole_start;

	*vap = va;
	return found_pte;
}

/* Port of htable_walk() (htable.c 2015).  No lock held; *htp (if any) is
 * held busy by the caller and is released or handed back.
 *
 * Find the first page mapped at or above *vaddr and below eaddr.  On
 * success returns its PTE, sets *vaddr and *htp (with a hold).  Otherwise
 * returns 0 with *vaddr = 0 and *htp = NULL.  Missing tables let the walk
 * skip whole ranges, as far as the largest page size in use allows.
 */
x86pte_t htable_walk(struct hat *hat, htable_t **htp, uintptr_t *vaddr,
    uintptr_t eaddr)
{
	htable_t *prev = *htp, *ht;
	uintptr_t va = *vaddr;
	level_t l, biggest;
	x86pte_t pte;

	/* A user walk stops at kernelbase. */
	ASSERT(va < eaddr);
	if (hat != kas.a_hat) {
		ASSERT(eaddr == HTABLE_WALK_TO_END || eaddr <= kernelbase);
		if (eaddr == HTABLE_WALK_TO_END)
			eaddr = kernelbase;
	}

	/* Most often the next page is in the table we were given. */
	if (prev != NULL) {
		ASSERT(busy_of(prev) > 0 && prev->ht_vaddr <= va);
		if (va <= HTABLE_LAST_PAGE(prev)) {
			pte = htable_scan(prev, &va, eaddr);
			if (PTE_ISPAGE(pte, prev->ht_level)) {
				*htp = prev;
				*vaddr = va;
				return pte;
			}
		}
		/* Not there: give it back and search from the top. */
		htable_release(prev);
	}

	/* The largest page size this hat can have mapped. */
	biggest = 0;
	if (hat->hat_ism_pgcnt > 0)
		biggest = (level_t)mmu.umax_page_level;
	else
		for (l = (level_t)mmu.max_page_level; l > 0 && biggest == 0; l--)
			if (VT_RACY_LOAD(hat->hat_pages_mapped[l]) != 0)
				biggest = l;

	while (va >= *vaddr && va < eaddr) {
		/* The lowest existing table that covers va. */
		for (l = 0; l <= TOP_LEVEL(hat); l++) {
			if ((ht = htable_lookup(hat, va, l)) == NULL) {
				/*
				 * No table here.  If no larger page can map
				 * va, skip to what the next entry one level
				 * up covers.
				 */
				ASSERT(l < TOP_LEVEL(hat));
				if (l < biggest)
					continue;
				va = NEXT_ENTRY_VA(va, l + 1);
				if (va >= eaddr)
					break;
				continue;
			}
			pte = htable_scan(ht, &va, eaddr);
			if (!PTE_ISPAGE(pte, l)) {
				htable_release(ht);
				break;
			}
			VERIFY(!IN_VA_HOLE(va));
			*htp = ht;
			*vaddr = va;
			return pte;
		}
	}

	*htp = NULL;
	*vaddr = 0;
	return 0;
}

/* Port of htable_getpte() (htable.c 2015).  Lookups take bucket mutexes.
 *
 * Find the lowest table at or below level that covers vaddr; return it
 * held, with the entry index and its current PTE, or NULL.
 */
htable_t *htable_getpte(struct hat *hat, uintptr_t vaddr, uint_t *entry,
    x86pte_t *pte, level_t level)
{
	ASSERT(level <= (level_t)mmu.max_page_level);

	for (level_t l = 0; l <= level; l++) {
		htable_t *ht = htable_lookup(hat, vaddr, l);
		uint_t e;

		if (ht == NULL)
			continue;
		e = htable_va2entry(vaddr, ht);
		if (pte != NULL)
			*pte = x86pte_get(ht, e);
		if (entry != NULL)
			*entry = e;
		return ht;
	}
	return NULL;
}

/* Port of htable_getpage() (htable.c 2015).  Lookups take bucket mutexes.
 *
 * Like htable_getpte, but only succeeds when a page is mapped at vaddr.
 */
htable_t *htable_getpage(struct hat *hat, uintptr_t vaddr, uint_t *entry)
{
	x86pte_t pte;
	uint_t e;
	htable_t *ht = htable_getpte(hat, vaddr, &e, &pte,
	    (level_t)mmu.max_page_level);

	if (ht == NULL)
		return NULL;
	if (entry != NULL)
		*entry = e;
	if (!PTE_ISPAGE(pte, ht->ht_level)) {
		htable_release(ht);
		ht = NULL;
	}
	return ht;
}

/* Port of htable_init() (htable.c 2015).  Boot, single threaded.
 *
 * Create the htable kmem cache (with htable_reap as its reclaim callback).
 * PORT: also creates what the kernel sizes at compile time - the bucket
 * mutex table (nlocks, a power of two, from --htable-locks) - and
 * initialises the reserve mutex, which the kernel leaves zero-filled.
 */
void htable_init(uint32_t nlocks)
{
	ASSERT(vt_is_pow2(nlocks));
	htable_mutex = vt_locktable_create("htable_mutex", nlocks);
	mutex_init(&htable_reserve_mutex, "htable_reserve_mutex",
	    MUTEX_DEFAULT, NULL);
	htable_reserve_pool = NULL;
	VT_POKE(htable_reserve_cnt, 0);
	VT_POKE(htable_dont_cache, 0);
	VT_POKE(active_ptables, 0);
	VT_POKE(ptable_cnt, 0);
	VT_POKE(htable_next_id, 0);
	VT_POKE(htable_steal_rotor, 0);
	htable_rcu_init();
	htable_cache = kmem_cache_create("htable_t", sizeof (htable_t), 0,
	    NULL, NULL, htable_reap, NULL,
	    vt_segkmem ? &hat_memload_arena : NULL, KMC_NOHASH);
}

/*
 * PORT: no kernel counterpart (the kernel never unloads its HAT).  Undo
 * htable_init after every hat is gone: empty the reserve, destroy the cache
 * and the mutexes.  Single threaded.
 */
void htable_fini(void)
{
	htable_t *ht;

	/* Every hat is gone, and with it its tables in the limbo. */
	htable_rcu_fini();
	VT_POKE(vt_htable_rcu, 0);
	while ((ht = htable_reserve_pool) != NULL) {
		htable_reserve_pool = ht->ht_next;
		kmem_cache_free(htable_cache, ht);
	}
	VT_POKE(htable_reserve_cnt, 0);
	kmem_cache_destroy(htable_cache);
	htable_cache = NULL;
	mutex_destroy(&htable_reserve_mutex);
	vt_locktable_destroy(htable_mutex);
	htable_mutex = NULL;
}

/* Port of htable_va2entry() (htable.c 2015).  No locks.
 *
 * Index within ht of the entry that maps va.
 */
uint_t htable_va2entry(uintptr_t va, htable_t *ht)
{
	ASSERT(ht->ht_vaddr <= va && va <= HTABLE_LAST_PAGE(ht));
	return (uint_t)((va >> LEVEL_SHIFT(ht->ht_level)) &
	    (HTABLE_NUM_PTES(ht) - 1));
}

/* Port of htable_e2va() (htable.c 2015).  No locks.
 *
 * First virtual address mapped by entry of ht; top-table entries past the
 * start of the VA hole land on the far side of it.
 */
uintptr_t htable_e2va(htable_t *ht, uint_t entry)
{
	uintptr_t va;

	ASSERT(entry < HTABLE_NUM_PTES(ht));
	va = ht->ht_vaddr + ((uintptr_t)entry << LEVEL_SHIFT(ht->ht_level));
	if (ht->ht_level == (level_t)mmu.max_level && va >= mmu.hole_start)
		va += 1 + (mmu.hole_end - mmu.hole_start);
	return va;
}

/* Port of x86pte_access_pagetable() (htable.c 2015).  No locks.
 *
 * Pointer to entry index of ht's page table.
 * PORT: the kpm case only - frames are always addressable, so no
 * preemption control, no per-CPU window and no hci_mutex; VLP tables do
 * not exist.
 */
static x86pte_t *x86pte_access_pagetable(htable_t *ht, uint_t index)
{
	ASSERT(ht->ht_pfn != PFN_INVALID);
	return (x86pte_t *)vt_frame_va(ht->ht_pfn) + index;
}

/* Port of x86pte_release_pagetable() (htable.c 2015).
 * PORT: nothing to undo with the kpm-style mapping above.
 */
static void x86pte_release_pagetable(htable_t *ht)
{
	(void) ht;
}

/* Port of x86pte_get() (htable.c 2015).  No locks.
 *
 * Read one entry atomically.
 */
x86pte_t x86pte_get(htable_t *ht, uint_t entry)
{
	x86pte_t v;

	ASSERT(entry < mmu.ptes_per_table);
	v = get_pte(x86pte_access_pagetable(ht, entry));
	x86pte_release_pagetable(ht);
	return v;
}

/* Port of x86pte_set() (htable.c 2015).  No lock needed by itself; callers
 * serialise consistent mappings with the page's mlist lock.
 *
 * Unconditionally install new (non-zero) at entry; returns the previous
 * entry.  When the frame stays the same, the REF/MOD bits already there
 * are kept (the simulated MMU may set them at any moment, hence the CAS
 * loop).  A large page cannot replace a PTP: then LPAGE_ERROR is returned
 * and nothing changes, so the caller can retry with smaller pages.  If the
 * old entry had been used (REF), translations of it are shot down.
 */
x86pte_t x86pte_set(htable_t *ht, uint_t entry, x86pte_t new, void *ptr)
{
	level_t lvl = ht->ht_level;
	x86pte_t mask = lvl == 0 ? PT_PADDR : PT_PADDR_LGPG;
	x86pte_t *ptep, cur, want, old;

	ASSERT(new != 0);	/* invalidation goes through x86pte_inval */
	ASSERT((ht->ht_flags & HTABLE_SHARED_PFN) == 0);
	ptep = ptr ? (x86pte_t *)ptr : x86pte_access_pagetable(ht, entry);

	do {
		cur = get_pte(ptep);
		want = new;
		if (PTE_ISVALID(new) && ((cur ^ new) & mask) == 0)
			want |= cur & (PT_MOD | PT_REF);

		/*
		 * Somebody installed exactly this already.
		 * PORT: the kernel flushes this CPU's TLB entry here; a
		 * worker thread has no TLB, so there is nothing to do.
		 */
		if (want == cur) {
			old = new;
			goto out;
		}

		/* A large page must not overwrite a pointer to a table. */
		if (lvl > 0 && PTE_ISVALID(cur) && !PTE_GET(cur, PT_PAGESIZE)) {
			old = LPAGE_ERROR;
			goto out;
		}
		old = cas_pte(ptep, cur, want);
	} while (old != cur);

	/*
	 * Shoot down the old translation if it may be cached.  The frame only
	 * changes under NOSYNC/NOCONSIST mappings, which are born with REF and
	 * MOD set, so a late REF/MOD write-back cannot be lost here.
	 */
	if (PTE_GET(old, PT_REF))
		hat_tlb_inval(ht->ht_hat, htable_e2va(ht, entry));
out:
	if (!ptr)
		x86pte_release_pagetable(ht);
	return old;
}

/* Port of x86pte_cas() (htable.c 2015).  No locks; used for PTPs under
 * the bucket mutex of the child table.
 *
 * Compare-and-swap one entry; returns what was found.  No TLB work: PTPs
 * are made with REF already set and never change otherwise.
 */
static x86pte_t x86pte_cas(htable_t *ht, uint_t entry, x86pte_t old,
    x86pte_t new)
{
	x86pte_t seen = cas_pte(x86pte_access_pagetable(ht, entry), old, new);

	x86pte_release_pagetable(ht);
	return seen;
}

/* Port of x86pte_inval() (htable.c 2015, five-argument form).  No lock
 * needed by itself; callers hold the page's mlist lock for consistent
 * mappings.
 *
 * Clear entry, but only if it still maps the frame named by expect
 * (expect 0: whatever it maps).  Returns the entry as it was; on a frame
 * mismatch that is the current entry, left unchanged.  The CAS loop absorbs
 * REF/MOD updates by the simulated MMU.  With tlb set, a translation that
 * was used is shot down.
 */
x86pte_t x86pte_inval(htable_t *ht, uint_t entry, x86pte_t expect,
    x86pte_t *pte_ptr, boolean_t tlb)
{
	x86pte_t *ptep, cur;

	ASSERT((ht->ht_flags & HTABLE_SHARED_PFN) == 0);
	ASSERT(ht->ht_level <= (level_t)mmu.max_page_level);
	ptep = pte_ptr ? pte_ptr : x86pte_access_pagetable(ht, entry);

	for (;;) {
		cur = get_pte(ptep);
		if (expect != 0 && ((cur ^ expect) & PT_PADDR) != 0)
			goto out;
		if (cas_pte(ptep, cur, 0) == cur ||
		    VT_INJECT(X86PTE_INVAL_SINGLE_CAS))	/* mutant: one try */
			break;
	}
	if (tlb && PTE_GET(cur, PT_REF | PT_MOD) &&
	    !VT_INJECT(X86PTE_INVAL_NO_SHOOTDOWN))	/* mutant: no flush */
		hat_tlb_inval(ht->ht_hat, htable_e2va(ht, entry));
out:
	if (!pte_ptr)
		x86pte_release_pagetable(ht);
	return cur;
}

/* Port of x86pte_update() (htable.c 2015).  No lock needed by itself.
 *
 * Replace entry with new only if it equals expect exactly; returns what was
 * found (== expect on success).  After a successful downgrade from
 * writable-clean to read-only, a write that slipped in through a stale
 * translation before the shootdown completed shows up as MOD: then write
 * permission is put back and the caller sees a failed update.
 */
x86pte_t x86pte_update(htable_t *ht, uint_t entry, x86pte_t expect,
    x86pte_t new)
{
	x86pte_t *ptep, seen;
	boolean_t wrprotect;

	ASSERT(new != 0 && (ht->ht_flags & HTABLE_SHARED_PFN) == 0);
	ASSERT(ht->ht_level <= (level_t)mmu.max_page_level);

	ptep = x86pte_access_pagetable(ht, entry);
	seen = cas_pte(ptep, expect, new);
	if (seen == expect) {
		hat_tlb_inval(ht->ht_hat, htable_e2va(ht, entry));

		wrprotect = PTE_GET(expect, PT_WRITABLE | PT_MOD) ==
		    PT_WRITABLE && PTE_GET(new, PT_WRITABLE | PT_MOD) == 0;
		/* Mutant x86pte-update-no-stale-check: never looks. */
		if (wrprotect && !VT_INJECT(X86PTE_UPDATE_NO_STALE_CHECK) &&
		    PTE_GET(get_pte(ptep), PT_MOD)) {
			do {
				seen = get_pte(ptep);
				seen = cas_pte(ptep, seen, seen | PT_WRITABLE);
			} while (!PTE_GET(seen, PT_WRITABLE));
		}
	}
	x86pte_release_pagetable(ht);
	return seen;
}

/* Port of x86pte_copy() (htable.c 2015, bare-metal version).  No locks.
 *
 * Copy count entries starting at entry from src to dest (hat_alloc copies
 * the kernel's top-level entries this way).  Not atomic as a whole, like
 * the kernel's bcopy; each entry is moved with atomic accesses.
 * PORT: both tables are reachable directly, so no second CPU window.
 */
void x86pte_copy(htable_t *src, htable_t *dest, uint_t entry, uint_t count)
{
	x86pte_t *from, *to;

	ASSERT(((src->ht_flags | dest->ht_flags) &
	    (HTABLE_VLP | HTABLE_SHARED_PFN)) == 0);
	ASSERT(entry + count <= mmu.ptes_per_table);

	to = x86pte_access_pagetable(dest, entry);
	from = x86pte_access_pagetable(src, entry);
	for (uint_t i = 0; i < count; i++)
		put_pte(&to[i], get_pte(&from[i]));
	x86pte_release_pagetable(src);
	x86pte_release_pagetable(dest);
}

/* Port of x86pte_zero() (htable.c 2015).  No locks.
 *
 * Clear count entries of a table nothing links to yet.
 * PORT: relaxed atomic stores instead of a block zero, because a frame may
 * still be visible to a simulated MMU that loaded a stale PTP to it.
 */
static void x86pte_zero(htable_t *dest, uint_t entry, uint_t count)
{
	x86pte_t *to;

	ASSERT(((dest->ht_flags) & (HTABLE_VLP | HTABLE_SHARED_PFN)) == 0);
	ASSERT(entry + count <= mmu.ptes_per_table);

	to = x86pte_access_pagetable(dest, entry);
	for (uint_t i = 0; i < count; i++)
		put_pte(&to[i], 0);
	x86pte_release_pagetable(dest);
}
