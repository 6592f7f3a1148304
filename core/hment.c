/*
 * hment.c - userspace port of illumos i86pc/vm/hment.c, both seed
 * revisions in one file:
 *
 *   HMENT_REV_2007_AVL   (hment.c.2007-avl)   a hash of balanced trees,
 *                        2048 mlist/hash locks, USE_HAT_RESERVES() rule;
 *   HMENT_REV_2006_CHAIN (hment.c.2006-chain) a hash of singly linked
 *                        chains, 256 locks, hat_reserves_thread rule.
 *
 * The revision is fixed by hment_init() and every function below is one
 * port that branches on hment_revision only where the two seeds differ.
 *
 * What the file keeps track of: every page with more than one consistent
 * mapping carries a doubly linked list of hments (hm_next/hm_prev) headed by
 * p_mapping; a page with a single mapping stores it in the page_t itself
 * (p_embed = 1, p_mapping = the htable, p_mlentry = the PTE index).  Every
 * listed hment is also entered in one system-wide hash, keyed by the page
 * table's frame and the PTE index, so hment_remove() can find it without a
 * list walk.
 *
 * Locks (digest §3.1, §3.2):
 *   mlist_lock[]  (x86_hm_enter)   a page's p_mapping/p_embed/p_share/
 *                                  p_mlentry and its hments' list links;
 *   hash_lock[]   (HASH_MUTEX)     one hash bucket; taken inside the mlist
 *                                  lock, innermost, nothing nests in it;
 *   hment_reserve_mutex            the reserve pool; a leaf.
 * No allocation happens with an mlist lock held: hment_prepare() drops it
 * around hment_alloc()/hment_free().
 *
 * PORT: p_mapping and p_embed are read without the mlist lock by
 * hment_steal(), so every store to them goes through VT_RACY_STORE, also
 * the ones made under the lock.  hment_reserve_count is read without the
 * reserve mutex (hment_alloc, hment_free, hment_reserve, the adjust loop):
 * those reads use VT_RACY_LOAD and its stores VT_RACY_STORE.
 *
 * PORT: the 2006 revision runs on the same 2015 htable.c and 2014 hat_i86.c
 * code as the 2007 one (there is no 2006 htable.c seed): 2006's own
 * x86pte_invalidate_pfn, hat_demap and hat_switch_mutex are not modelled,
 * and only what hment.c itself decides (the hash chains, the 256/256 lock
 * tables by default, the hat_reserves_thread reserve rule) differs.
 *
 * PORT: Xen and 32-bit details of the seeds (none in these files beyond
 * the kmem cache flags) are left out.
 */
#include "hment.h"

#include "hat.h"
#include "../base/inject.h"

/*
 * Default sizes of the two seeds, for reference; the run-time values come
 * from hment_init() (the command line).  PORT: both lock tables and the hash
 * are run-time sized power-of-two tables instead of compile-time arrays.
 */
#define	HMENT_RESERVE_AMOUNT	200	/* the seeds' own estimate */
#define	HMENT_HASH_SIZE		(64 * 1024)
#define	MLIST_NUM_LOCK_2007	2048
#define	HASH_NUM_LOCK_2007	2048
#define	MLIST_NUM_LOCK_2006	256
#define	HASH_NUM_LOCK_2006	256

/* Revision in force; written only by hment_init()/hment_fini(). */
int		hment_revision = HMENT_REV_2007_AVL;

kmem_cache_t	*hment_cache;

/*
 * The reserve: a stack of spare hments linked through hm_next, refilled by
 * "donations" from ordinary allocations.  hment_reserve_amount is a tunable
 * (0 forces the steal path); set before a run.
 */
uint_t		hment_reserve_amount = HMENT_RESERVE_AMOUNT;
kmutex_t	hment_reserve_mutex;		/* protects the two below */
uint_t		hment_reserve_count;		/* racy reads: VT_RACY_* */
hment_t		*hment_reserve_pool;

/* The system-wide hash (HMENT_HASH_SIZE buckets); immutable after init. */
uint_t		hment_hash_entries = HMENT_HASH_SIZE;
struct hment_bucket *hment_table;

/* Hashed lock tables; created by hment_init(). */
struct vt_lock_class *mlist_lock;
struct vt_lock_class *hash_lock;

/*
 * 2006 reserve rule: the single thread allowed to dip into the reserves,
 * set and cleared by hati_reserves_enter()/hati_reserves_exit() (hat_i86.c,
 * under hat_reserves_lock) when a HAT operation recursed through kmem back
 * into the HAT, which happens with --segkmem on.  Tested here against
 * curthread: a thread sees only its own stores in that comparison, so the
 * reads are relaxed atomics without a schedule point.
 */
kthread_t	*hat_reserves_thread = NULL;

/*
 * Hash of a mapping: the page table's frame is mixed into the high bits so
 * that many tables mapping the same entry index (shared text) spread out.
 * 9 is the width of an entry index (0..511).
 */
#define	HMENT_HASH(pfn, entry) (uint32_t) \
	((((pfn) << 9) + (entry) + (pfn)) & (hment_hash_entries - 1))

/*
 * MLIST_MUTEX: the lock table entry of a page.  The pfn is folded with
 * itself shifted by 9 so that the 512 constituent pages of every large page
 * do not all land on the same lock.  (A function; no macro takes a lock.)
 */
#define	MLIST_MUTEX(pp)		vt_mlist_mutex(pp)
#define	HASH_MUTEX(idx)		vt_locktable_lock(hash_lock, (idx))

static hment_t *hment_steal(void);

/* Harness helper: HMENT_HASH for the audit and the tests. */
uint32_t
vt_hment_hash(pfn_t ptable_pfn, uint_t entry)
{
	return HMENT_HASH(ptable_pfn, entry);
}

/*
 * --mlist-locks page: every page has a lock of its own (the "spatial
 * overhead" the seed's comment on the lock hash weighs against hashing).
 * Set by hment_init() only.
 */
static bool mlist_per_page;

/*
 * Harness helper: MLIST_MUTEX(pp).  Takes no lock.
 * PORT: in per-page mode the lock is the one of pfn's slot in a table of
 * (at least) one lock per frame, indexed by pfn without folding, rather
 * than a member of page_t: the memory is the same (one kmutex_t per
 * page), --lockstat and the hash-spread report read it like the hashed
 * table, and only the cache-line neighbour differs (the next page's lock,
 * not the page's own p_mapping).  As with the hash, a large page's list is
 * guarded by the lock of the page the caller names (its leader).
 */
kmutex_t *
vt_mlist_mutex(const page_t *pp)
{
	if (mlist_per_page)
		return vt_locktable_lock(mlist_lock, pp->p_pagenum);
	return vt_locktable_lock(mlist_lock,
	    pp->p_pagenum + (pp->p_pagenum >> 9));
}

/* Port of hment_compare() (hment.c 2007). */
/*
 * Any total order works for the tree; it only needs to be stable.
 * PORT: the AVL tree becomes a <bsd/sys/tree.h> red-black tree, and the first
 * key is the table's ht_id rather than its address, so that bucket contents
 * and walk order are the same from run to run (DESIGN §6 determinism).
 */
static int
hment_compare(const hment_t *h1, const hment_t *h2)
{
	uint64_t id1 = h1->hm_htable->ht_id;
	uint64_t id2 = h2->hm_htable->ht_id;

	if (id1 != id2) {
		return id1 < id2 ? -1 : 1;
	}
	if (h1->hm_entry != h2->hm_entry) {
		return h1->hm_entry < h2->hm_entry ? -1 : 1;
	}
	if (h1->hm_pfn != h2->hm_pfn) {
		return h1->hm_pfn < h2->hm_pfn ? -1 : 1;
	}
	return 0;
}

/*
 * PORT: libbsd 0.11's RB_GENERATE_STATIC marks the generated functions
 * `__unused`, which its cdefs.h leaves undefined (it clashes with Linux
 * struct members); supply the attribute just for this expansion.
 */
#ifndef __unused
#define	__unused __attribute__((__unused__))
#define	VT_HMENT_UNDEF_UNUSED
#endif
RB_GENERATE_STATIC(hment_tree, hment, hm_hashlink, hment_compare)
#ifdef VT_HMENT_UNDEF_UNUSED
#undef __unused
#undef VT_HMENT_UNDEF_UNUSED
#endif

/*
 * Clear an hment's tree links.  The 2007 seed copies a static all-zero
 * avl_node_t over hm_hashlink; the port zeroes the RB links the same way.
 */
static void
hment_clear_hashlink(hment_t *hm)
{
	memset(&hm->hm_hashlink, 0, sizeof (hm->hm_hashlink));
}

/* Port of hment_put_reserve() (hment.c 2007/2006). */
/*
 * Push hm onto the reserve stack.
 * Locks: takes and drops hment_reserve_mutex (a leaf); the caller may hold
 * nothing or any HAT lock.
 * PORT: the HATSTAT bump comes after the mutex is dropped rather than before
 * it is taken; the counter is per thread, so the order is immaterial.
 */
static void
hment_put_reserve(hment_t *hm)
{
	mutex_enter(&hment_reserve_mutex);
	hm->hm_next = hment_reserve_pool;
	hment_reserve_pool = hm;
	VT_RACY_STORE(hment_reserve_count, hment_reserve_count + 1);
	mutex_exit(&hment_reserve_mutex);
	HATSTAT_INC(hs_hm_put_reserve);
}

/* Port of hment_get_reserve() (hment.c 2007/2006). */
/*
 * Pop one hment from the reserve stack, or NULL if it is empty.  The stack
 * is only refilled by donations from user-mapping allocations, so a long
 * run of reserve-only allocations could in theory drain it.
 * Locks: takes and drops hment_reserve_mutex.
 */
static hment_t *
hment_get_reserve(void)
{
	hment_t *hm;

	HATSTAT_INC(hs_hm_get_reserve);
	mutex_enter(&hment_reserve_mutex);
	if (hment_reserve_count == 0) {
		hm = NULL;
	} else {
		hm = hment_reserve_pool;
		hment_reserve_pool = hm->hm_next;
		VT_RACY_STORE(hment_reserve_count, hment_reserve_count - 1);
	}
	mutex_exit(&hment_reserve_mutex);
	return hm;
}

/*
 * 2006: the reserves may be used at boot, by the reserves thread, or while
 * panicking.  (2007 uses USE_HAT_RESERVES() from hat.h instead.)
 */
static int
hment_2006_use_reserves(void)
{
	return VT_RACY_LOAD(use_boot_reserve) != 0 ||
	    curthread == VT_PEEK(hat_reserves_thread) || panicstr != NULL;
}

/* Port of hment_alloc() (hment.c 2007/2006). */
/*
 * Get an hment.  Order of attempts: kmem (donating extra successes to the
 * reserve while it is below hment_reserve_amount) unless the reserves are
 * in use; then the reserve if the reserves are in use; then stealing a
 * mapping if stealing is allowed post boot; then the reserve regardless;
 * then panic.
 * Locks: called with no mlist or bucket lock held (hment_prepare drops its
 * mlist lock first); takes hment_reserve_mutex inside the reserve helpers
 * and, through hment_steal(), one mlist lock at a time.
 */
static hment_t *
hment_alloc(void)
{
	int km_flag = (VT_RACY_LOAD(can_steal_post_boot) != 0) ? KM_NOSLEEP :
	    KM_SLEEP;
	hment_t	*hm = NULL;
	int use_reserves;

	/*
	 * PORT: the 2006 seed samples its rule once on entry; the 2007 one
	 * evaluates USE_HAT_RESERVES() afresh at each test below.
	 */
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		use_reserves = hment_2006_use_reserves();
	} else {
		use_reserves = USE_HAT_RESERVES();
	}
	/* PORT: counts what only HAT recursion (--segkmem on) makes happen. */
	if (use_reserves && !VT_PEEK(use_boot_reserve))	/* no schedule point */
		HATSTAT_INC(vt_hm_reserve_mode);

	/*
	 * Normal case: kmem.  While the reserve is short, keep allocating and
	 * hand each success to the reserve; the first one we keep ends it.
	 */
	HATSTAT_INC(hs_hm_alloc);
	if (use_reserves == 0) {
		for (;;) {
			hm = kmem_cache_alloc(hment_cache, km_flag);
			if (hment_revision == HMENT_REV_2006_CHAIN) {
				if (VT_RACY_LOAD(hment_reserve_count) >=
				    hment_reserve_amount || hm == NULL ||
				    panicstr != NULL ||
				    curthread == VT_PEEK(hat_reserves_thread)) {
					break;
				}
			} else if (hm == NULL || USE_HAT_RESERVES() ||
			    VT_RACY_LOAD(hment_reserve_count) >=
			    hment_reserve_amount) {
				break;
			}
			hment_put_reserve(hm);
		}
	}

	/*
	 * kmem gave us nothing: reserves, stealing, reserves, panic.
	 * PORT: for 2007 the reserve-mode test below (and the loop above
	 * being skipped) needs a nested load that needs an hment, i.e. maps
	 * a page that is mapped already.  The nested loads of a running
	 * kernel map fresh pages (segkmem's slabs, vmem's span pages), whose
	 * one mapping is embedded in the page_t, so after boot only a panic
	 * gets here in reserve mode, in the kernel as here (--segkmem on:
	 * vt_hm_reserve_mode stays 0 with the 2007 hment).
	 */
	if (hm == NULL) {
		if (hment_revision == HMENT_REV_2006_CHAIN ? use_reserves :
		    USE_HAT_RESERVES()) {
			hm = hment_get_reserve();
		}

		/* Take one from a user mapping of some shared page. */
		if (hm == NULL && VT_RACY_LOAD(can_steal_post_boot) != 0) {
			hm = hment_steal();
		}

		/* Last resort before giving up. */
		if (hm == NULL) {
			hm = hment_get_reserve();
		}
		if (hm == NULL) {
			panic("hment_alloc(): no reserve, couldn't steal");
		}
	}

	/* Hand it out blank. */
	hm->hm_pfn = PFN_INVALID;
	hm->hm_htable = NULL;
	hm->hm_entry = 0;
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		hm->hm_hashnext = NULL;
	} else {
		hment_clear_hashlink(hm);
	}
	hm->hm_prev = hm->hm_next = NULL;
	return hm;
}

/* Port of hment_free() (hment.c 2007/2006). */
/*
 * Give back an hment.  It goes to the reserve when the reserve is short or
 * when the caller may not call into kmem (2007: USE_HAT_RESERVES(); 2006:
 * the reserves thread); otherwise to kmem, after which 2007 also trims any
 * reserve surplus (2006 leaves that to hati_reserves_exit).
 * Locks: no mlist or bucket lock held; takes hment_reserve_mutex.
 */
void
hment_free(hment_t *hm)
{
	/*
	 * The seeds' DEBUG kernels scribble over the hment so that a racing
	 * user faults; asserts are always on here, so the port always does.
	 */
	memset(hm, 0, sizeof (*hm));
	HATSTAT_INC(hs_hm_free);
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		if (curthread == VT_PEEK(hat_reserves_thread) ||
		    VT_RACY_LOAD(hment_reserve_count) < hment_reserve_amount) {
			hment_put_reserve(hm);
		} else {
			kmem_cache_free(hment_cache, hm);
		}
		return;
	}
	if (USE_HAT_RESERVES() ||
	    VT_RACY_LOAD(hment_reserve_count) < hment_reserve_amount) {
		hment_put_reserve(hm);
		return;
	}
	kmem_cache_free(hment_cache, hm);
	hment_adjust_reserve();		/* 2007 only */
}

/* Port of x86_hm_held() (hment.c 2007/2006). */
/*
 * True if the caller holds pp's mlist lock.  Before hment_init() has built
 * the lock table only the boot thread runs, so locking is moot.
 * PORT: the 2006 seed's locks were static arrays that always existed and it
 * has no such test; with run-time tables both revisions need it.
 */
int
x86_hm_held(page_t *pp)
{
	ASSERT(pp != NULL);
	if (mlist_lock == NULL) {
		return 1;
	}
	return MUTEX_HELD(MLIST_MUTEX(pp));
}

/* Port of x86_hm_enter() (hment.c 2007/2006). */
/* Takes pp's mlist lock (no-op before hment_init; see x86_hm_held). */
void
x86_hm_enter(page_t *pp)
{
	ASSERT(pp != NULL);
	if (mlist_lock != NULL) {
		mutex_enter(MLIST_MUTEX(pp));	/* hashed: shared by pages */
	}
}

/* Port of x86_hm_exit() (hment.c 2007/2006). */
/* Drops pp's mlist lock (no-op before hment_init; see x86_hm_held). */
void
x86_hm_exit(page_t *pp)
{
	ASSERT(pp != NULL);
	if (mlist_lock != NULL) {
		mutex_exit(MLIST_MUTEX(pp));	/* hashed: shared by pages */
	}
}

/* Port of hment_insert() (hment.c 2007/2006). */
/*
 * Link a filled-in hment at the head of pp's list and enter it in the hash.
 * Locks: pp's mlist lock held on entry and return; takes and drops the
 * bucket's hash_lock inside it.
 */
static void
hment_insert(hment_t *hm, page_t *pp)
{
	uint_t idx = HMENT_HASH(hm->hm_htable->ht_pfn, hm->hm_entry);

	ASSERT(x86_hm_held(pp));
	ASSERT(pp->p_embed == 0);

	/* Onto the front of the page's list. */
	pp->p_share++;
	hm->hm_next = pp->p_mapping;
	if (pp->p_mapping != NULL) {
		((hment_t *)pp->p_mapping)->hm_prev = hm;
	}
	VT_RACY_STORE(pp->p_mapping, (void *)hm);

	/* Into the bucket named by the table's frame and the entry. */
	if (!VT_INJECT(HMENT_INSERT_NO_HASH_LOCK))	/* mutant: no lock */
		mutex_enter(HASH_MUTEX(idx));	/* inside the mlist lock */
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		hm->hm_hashnext = hment_table[idx].hb_chain;
		hment_table[idx].hb_chain = hm;
	} else if (RB_INSERT(hment_tree, &hment_table[idx].hb_tree, hm) !=
	    NULL) {
		/* avl_add() panics on a duplicate; so does the port. */
		panic("hment_insert(): duplicate hment pfn=0x%llx "
		    "ht_id=%llu entry=0x%x bucket=0x%x",
		    (unsigned long long)hm->hm_pfn,
		    (unsigned long long)hm->hm_htable->ht_id,
		    hm->hm_entry, idx);
	}
	if (!VT_INJECT(HMENT_INSERT_NO_HASH_LOCK))
		mutex_exit(HASH_MUTEX(idx));
}

/* Port of hment_prepare() (hment.c 2007/2006). */
/*
 * Get ready to record a mapping of pp at (ht, entry).  Returns the hment
 * hment_assign() will need, or NULL when none is needed.  Four situations:
 *   - pp has no mapping yet: the new one will be embedded (no hment);
 *   - pp's embedded mapping is this very (ht, entry): a refault;
 *   - pp has a different embedded mapping: move it into an hment first
 *     (promotion), then get one more hment for the new mapping;
 *   - pp already has a list: one hment for the new mapping.
 * Allocating and freeing happen with the mlist lock dropped, and while it is
 * dropped other threads may map or unmap pp, so every situation is decided
 * afresh after the lock is retaken; any of them may be met in turn.
 * Locks: pp's mlist lock held on entry and on return; drops and retakes it
 * around each hment_alloc()/hment_free(), and re-examines p_mapping/p_embed/
 * p_mlentry after every retake.
 */
hment_t *
hment_prepare(htable_t *ht, uint_t entry, page_t *pp)
{
	hment_t *hm = NULL;	/* allocated by us, not yet used */

	ASSERT(x86_hm_held(pp));
	for (;;) {
		/* No mapping at all (the common case): embed, no hment. */
		if (pp->p_mapping == NULL) {
			ASSERT(pp->p_embed == 0);
			ASSERT(pp->p_share == 0);
			if (hm == NULL) {
				break;
			}
			/* Allocated one for nothing: give it back, retry. */
			goto free_and_continue;
		}

		/* One embedded mapping. */
		if (pp->p_embed != 0) {
			ASSERT(pp->p_mapping != NULL);	/* the htable */

			/*
			 * Faulting again on the mapping that is embedded:
			 * nothing to promote, nothing to allocate.
			 */
			if (pp->p_mapping == ht && pp->p_mlentry == entry) {
				if (hm == NULL) {
					break;
				}
				goto free_and_continue;
			}

			/*
			 * A second mapping is coming: if we hold an hment,
			 * move the embedded mapping into it and list it.
			 */
			if (hm != NULL) {
				hm->hm_pfn = pp->p_pagenum;
				hm->hm_htable = pp->p_mapping;
				hm->hm_entry = pp->p_mlentry;
				VT_RACY_STORE(pp->p_mapping, NULL);
				pp->p_share = 0;
				VT_RACY_STORE(pp->p_embed, 0);
				hment_insert(hm, pp);
			}

			/*
			 * Whether or not that just consumed our hment, we
			 * need one (more) for the new mapping.
			 */
			goto allocate_and_continue;
		}

		/* Already a list: we just need one hment to add. */
		if (hm != NULL) {
			break;
		}
		if (VT_INJECT(HMENT_PREPARE_NO_RECHECK)) {
			/* Mutant: trusts the list is still there. */
			x86_hm_exit(pp);
			hm = hment_alloc();
			x86_hm_enter(pp);
			break;
		}
allocate_and_continue:
		if (VT_INJECT(HMENT_PREPARE_ALLOC_LOCKED)) {
			hm = hment_alloc();	/* mutant: under the lock */
			continue;
		}
		x86_hm_exit(pp);		/* never allocate under it */
		hm = hment_alloc();
		x86_hm_enter(pp);		/* state may have changed */
		continue;

free_and_continue:
		/* Release the unneeded hment (unlocked) and look again. */
		x86_hm_exit(pp);		/* never free under it */
		hment_free(hm);
		hm = NULL;
		x86_hm_enter(pp);		/* state may have changed */
	}
	ASSERT(x86_hm_held(pp));
	return hm;
}

/* Port of hment_assign() (hment.c 2007/2006). */
/*
 * Record the mapping of pp at (ht, entry), in the state hment_prepare()
 * left: embedded when pp has no mapping, else listed using hm.
 * Locks: pp's mlist lock held on entry and return (hash_lock inside).
 */
void
hment_assign(htable_t *ht, uint_t entry, page_t *pp, hment_t *hm)
{
	ASSERT(x86_hm_held(pp));

	/* First mapping: keep it in the page_t itself. */
	if (pp->p_mapping == NULL) {
		ASSERT(hm == NULL);
		ASSERT(pp->p_embed == 0);
		ASSERT(pp->p_share == 0);
		VT_RACY_STORE(pp->p_embed, 1);
		VT_RACY_STORE(pp->p_mapping, (void *)ht);
		pp->p_mlentry = entry;
		return;
	}

	/* hment_prepare() has already promoted any embedded mapping. */
	ASSERT(pp->p_embed == 0);
	ASSERT(hm != NULL);
	hm->hm_pfn = pp->p_pagenum;
	hm->hm_htable = ht;
	hm->hm_entry = entry;
	hment_insert(hm, pp);
}

/* Port of hment_walk() (hment.c 2007/2006). */
/*
 * Iterate over pp's mappings: pass prev = NULL first, then the previous
 * return value; returns NULL at the end.  An embedded mapping comes back as
 * HMENT_EMBEDDED.  *ht and *entry are set for each mapping returned.
 * Locks: pp's mlist lock held by the caller throughout the walk.
 */
hment_t *
hment_walk(page_t *pp, htable_t **ht, uint_t *entry, hment_t *prev)
{
	hment_t *hm = NULL;

	ASSERT(x86_hm_held(pp));

	/* Embedded: a walk of exactly one step. */
	if (pp->p_embed != 0) {
		if (prev != NULL) {
			ASSERT(prev == HMENT_EMBEDDED);
			return NULL;
		}
		*ht = pp->p_mapping;
		*entry = pp->p_mlentry;
		return HMENT_EMBEDDED;
	}

	/*
	 * A list (or nothing).  PORT: the seed's assertion that prev is not
	 * HMENT_EMBEDDED sits where prev is NULL; here it guards the step.
	 */
	if (prev == NULL) {
		hm = pp->p_mapping;
	} else {
		ASSERT(prev != HMENT_EMBEDDED);
		hm = prev->hm_next;
	}
	if (hm != NULL) {
		*ht = hm->hm_htable;
		*entry = hm->hm_entry;
	}
	return hm;
}

/* Port of hment_remove() (hment.c 2007/2006). */
/*
 * Take the mapping of pp at (ht, entry) off pp's mapping list.  Returns the
 * hment it lived in, for the caller to hment_free() once the mlist lock is
 * dropped, or NULL when the mapping was embedded.  Panics if a listed
 * mapping is missing from the hash.
 * Locks: pp's mlist lock held on entry and return; takes and drops the
 * bucket's hash_lock inside it.
 */
hment_t *
hment_remove(page_t *pp, htable_t *ht, uint_t entry)
{
	hment_t dummy, *hm, *prev = NULL;
	pfn_t pfn = pp->p_pagenum;
	uint_t idx;

	ASSERT(x86_hm_held(pp));

	/* The lone embedded mapping. */
	if (pp->p_embed != 0) {
		ASSERT(ht == (htable_t *)pp->p_mapping);
		ASSERT(entry == pp->p_mlentry);
		ASSERT(pp->p_share == 0);
		VT_RACY_STORE(pp->p_mapping, NULL);
		pp->p_mlentry = 0;
		VT_RACY_STORE(pp->p_embed, 0);
		return NULL;
	}

	/* A listed mapping: look it up in the hash and unhash it. */
	ASSERT(pp->p_share != 0);
	idx = HMENT_HASH(ht->ht_pfn, entry);
	mutex_enter(HASH_MUTEX(idx));		/* inside the mlist lock */
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		for (hm = hment_table[idx].hb_chain; hm != NULL;
		    hm = hm->hm_hashnext) {
			if (hm->hm_htable == ht && hm->hm_entry == entry &&
			    hm->hm_pfn == pfn) {
				break;
			}
			prev = hm;
		}
	} else {
		dummy.hm_htable = ht;
		dummy.hm_entry = (uint16_t)entry;
		dummy.hm_pfn = pfn;
		hm = RB_FIND(hment_tree, &hment_table[idx].hb_tree, &dummy);
	}
	/*
	 * PORT: the message names the page by pfn and the table by ht_id
	 * instead of printing their addresses (deterministic output).
	 */
	if (hm == NULL) {
		panic("hment_remove() missing in hash table pfn=0x%llx, "
		    "ht_id=%llu, entry=0x%x hash index=0x%x",
		    (unsigned long long)pfn, (unsigned long long)ht->ht_id,
		    entry, idx);
	}
	if (VT_INJECT(HMENT_REMOVE_EARLY_UNLOCK))	/* mutant: one step early */
		mutex_exit(HASH_MUTEX(idx));
	if (hment_revision == HMENT_REV_2007_AVL) {
		RB_REMOVE(hment_tree, &hment_table[idx].hb_tree, hm);
	} else if (prev == NULL) {
		hment_table[idx].hb_chain = hm->hm_hashnext;
	} else {
		prev->hm_hashnext = hm->hm_hashnext;
	}
	if (!VT_INJECT(HMENT_REMOVE_EARLY_UNLOCK))
		mutex_exit(HASH_MUTEX(idx));

	/* Unlink it from the page's list. */
	if (hm->hm_next != NULL) {
		hm->hm_next->hm_prev = hm->hm_prev;
	}
	if (hm->hm_prev == NULL) {
		VT_RACY_STORE(pp->p_mapping, (void *)hm->hm_next);
	} else {
		hm->hm_prev->hm_next = hm->hm_next;
	}
	pp->p_share--;

	if (hment_revision == HMENT_REV_2006_CHAIN) {
		hm->hm_hashnext = NULL;
	} else {
		hment_clear_hashlink(hm);
	}
	hm->hm_prev = hm->hm_next = NULL;
	return hm;
}

/* Port of hment_reserve() (hment.c 2007/2006). */
/*
 * Fill the reserve up to hment_reserve_amount + count from kmem (without
 * sleeping; stops quietly when kmem says no).
 * Locks: none held on entry; takes hment_reserve_mutex per hment.
 */
void
hment_reserve(uint_t count)
{
	uint_t want = count + hment_reserve_amount;
	hment_t *hm;

	while (VT_RACY_LOAD(hment_reserve_count) < want) {
		hm = kmem_cache_alloc(hment_cache, KM_NOSLEEP);
		if (hm == NULL) {
			return;
		}
		hment_put_reserve(hm);
	}
}

/* Port of hment_adjust_reserve() (hment.c 2007/2006). */
/*
 * Trim the reserve back to hment_reserve_amount after a spell of heavy use.
 * 2007 stops while USE_HAT_RESERVES() holds and frees straight to kmem;
 * 2006 asserts it is not the reserves thread and frees via hment_free().
 * Locks: none held on entry; takes hment_reserve_mutex per hment.
 */
void
hment_adjust_reserve(void)
{
	hment_t *hm;

	if (hment_revision == HMENT_REV_2006_CHAIN) {
		while (VT_RACY_LOAD(hment_reserve_count) >
		    hment_reserve_amount) {
			ASSERT(curthread != VT_PEEK(hat_reserves_thread));
			hm = hment_get_reserve();
			if (hm == NULL) {
				return;
			}
			hment_free(hm);
		}
		return;
	}

	while (VT_RACY_LOAD(hment_reserve_count) > hment_reserve_amount &&
	    !USE_HAT_RESERVES()) {
		hm = hment_get_reserve();
		if (hm == NULL) {
			return;
		}
		kmem_cache_free(hment_cache, hm);
	}
}

/* The rotor of hment_steal(); see there.  Racy: VT_RACY_LOAD/STORE. */
static page_t *last_page = NULL;

/* Port of hment_init() (hment.c 2007/2006). */
/*
 * Build the hment cache, the hash, the lock tables and the reserve mutex for
 * the given revision.  Sizes are powers of two, already validated.
 * PORT: the seeds take no arguments (compile-time sizes, 2048 or 256 locks,
 * 64K buckets); here revision and sizes come from the command line.  The
 * reserve mutex, statically zeroed in the kernel, is initialised here.
 * Locks: none; boot only (single threaded).
 */
void
hment_init(int revision, uint32_t hash_size, uint32_t mlist_locks,
    uint32_t hash_locks)
{
	uint_t i;

	ASSERT(revision == HMENT_REV_2007_AVL ||
	    revision == HMENT_REV_2006_CHAIN);
	ASSERT(vt_is_pow2(hash_size));
	ASSERT(mlist_locks == VT_HAT_MLIST_PER_PAGE ||
	    vt_is_pow2(mlist_locks));
	ASSERT(vt_is_pow2(hash_locks));
	ASSERT(hment_cache == NULL);

	hment_revision = revision;
	hment_hash_entries = hash_size;

	/* The kernel's arena; with --segkmem on the cache grows slabs in kas. */
	hment_cache = kmem_cache_create("hment_t", sizeof (hment_t), 0,
	    NULL, NULL, NULL, NULL, vt_segkmem ? &hat_memload_arena : NULL,
	    KMC_NOHASH | KMC_NODEBUG);

	hment_table = kmem_zalloc(hment_hash_entries * sizeof (*hment_table),
	    KM_SLEEP);

	mlist_per_page = (mlist_locks == VT_HAT_MLIST_PER_PAGE);
	if (mlist_per_page) {
		/* One per frame, rounded up to the table's power of two. */
		mlist_locks = 1;
		while (mlist_locks < vt_npages)
			mlist_locks <<= 1;
	}
	mlist_lock = vt_locktable_create("mlist_lock", mlist_locks);
	hash_lock = vt_locktable_create("hash_lock", hash_locks);

	/* 2007 trees must be created; 2006 chains are empty when zeroed. */
	if (hment_revision == HMENT_REV_2007_AVL) {
		for (i = 0; i < hment_hash_entries; i++) {
			RB_INIT(&hment_table[i].hb_tree);
		}
	}

	mutex_init(&hment_reserve_mutex, "hment_reserve_mutex",
	    MUTEX_DEFAULT, NULL);
	VT_POKE(hment_reserve_count, 0);
	hment_reserve_pool = NULL;
	VT_POKE(last_page, NULL);
}

/*
 * Harness: undo hment_init() (tests, between runs).  Every hment still in
 * the hash or the reserve goes back to kmem; pages whose lists still name
 * them must not be used afterwards.
 * Locks: none; no worker may be running.
 */
void
hment_fini(void)
{
	hment_t *hm, *next;
	uint_t i;

	if (hment_cache == NULL) {
		return;
	}

	for (i = 0; i < hment_hash_entries; i++) {
		if (hment_revision == HMENT_REV_2006_CHAIN) {
			for (hm = hment_table[i].hb_chain; hm != NULL;
			    hm = next) {
				next = hm->hm_hashnext;
				kmem_cache_free(hment_cache, hm);
			}
			hment_table[i].hb_chain = NULL;
		} else {
			RB_FOREACH_SAFE(hm, hment_tree,
			    &hment_table[i].hb_tree, next) {
				RB_REMOVE(hment_tree,
				    &hment_table[i].hb_tree, hm);
				kmem_cache_free(hment_cache, hm);
			}
		}
	}
	while ((hm = hment_reserve_pool) != NULL) {
		hment_reserve_pool = hm->hm_next;
		kmem_cache_free(hment_cache, hm);
	}
	VT_POKE(hment_reserve_count, 0);
	mutex_destroy(&hment_reserve_mutex);

	kmem_free(hment_table, hment_hash_entries * sizeof (*hment_table));
	hment_table = NULL;
	vt_locktable_destroy(mlist_lock);
	mlist_lock = NULL;
	mlist_per_page = false;
	vt_locktable_destroy(hash_lock);
	hash_lock = NULL;
	kmem_cache_destroy(hment_cache);
	hment_cache = NULL;
	VT_POKE(last_page, NULL);
	hment_revision = HMENT_REV_2007_AVL;
}

/* Port of hment_mapcnt() (hment.c 2007/2006). */
/*
 * Count the mappings of pp: its own (embedded or listed), plus, for each
 * larger page size pp belongs to, the mappings of that size recorded on the
 * large page's leader.  Consistent only if the caller keeps the lists
 * stable, since each list is locked only while it is counted.
 * Locks: none held on entry; takes and drops pp's mlist lock, then each
 * leader's mlist lock in turn (never two at once).
 */
uint_t
hment_mapcnt(page_t *pp)
{
	uint_t cnt, szc;
	page_t *larger;
	hment_t *hm;

	x86_hm_enter(pp);
	if (pp->p_mapping == NULL) {
		cnt = 0;
	} else if (pp->p_embed != 0) {
		cnt = 1;
	} else {
		cnt = pp->p_share;
	}
	x86_hm_exit(pp);

	/* Mappings of the large pages that contain pp. */
	for (szc = 1; szc <= pp->p_szc; szc++) {
		larger = PP_GROUPLEADER(pp, szc);
		if (larger == pp) {
			continue;	/* already counted above */
		}

		x86_hm_enter(larger);
		if (larger->p_mapping == NULL) {
			/* nothing mapped at this size */
		} else if (larger->p_embed != 0) {
			if (((htable_t *)larger->p_mapping)->ht_level ==
			    (level_t)szc) {
				cnt++;
			}
		} else {
			for (hm = larger->p_mapping; hm != NULL;
			    hm = hm->hm_next) {
				if (hm->hm_htable->ht_level == (level_t)szc) {
					cnt++;
				}
			}
		}
		x86_hm_exit(larger);
	}
	return cnt;
}

/*
 * Candidate fix for the finding "hment_steal vs. address-space teardown"
 * (README; --hat-fix hment-steal-victim).  Not in either seed.
 * hati_page_unmap() drops the mlist lock before htable_release(), and
 * htable_purge_hat() frees a HAT_FREEING hat's tables whatever their
 * ht_busy, so a hat torn down in that window leaves the stealer releasing
 * a freed table.  The fix pins the victim's hat the way htable_steal()
 * does: HAT_VICTIM, set under hat_list_lock only if the hat is neither
 * exiting nor already somebody's victim, makes hat_free_start() wait on
 * hat_list_cv until the steal is complete.
 * Locks: pp's mlist lock held on entry and return (the hment keeps the
 * hat alive: hat_free_end runs only after every hment is unloaded); takes
 * and drops hat_list_lock (new order edge mlist_lock -> hat_list_lock;
 * nothing takes an mlist lock under hat_list_lock).
 */
static bool
hment_steal_pin(hat_t *hat)
{
	bool pinned = false;

	mutex_enter(&hat_list_lock);
	if ((VT_RACY_LOAD(hat->hat_flags) & (HAT_FREEING | HAT_VICTIM)) == 0) {
		VT_RACY_STORE(hat->hat_flags,
		    (uint16_t)(VT_RACY_LOAD(hat->hat_flags) | HAT_VICTIM));
		pinned = true;
	}
	mutex_exit(&hat_list_lock);
	return pinned;
}

/*
 * Unpin a hat pinned by hment_steal_pin() and wake hat_free_start().
 * Locks: none held on entry; takes and drops hat_list_lock.
 */
static void
hment_steal_unpin(hat_t *hat)
{
	mutex_enter(&hat_list_lock);
	ASSERT((VT_RACY_LOAD(hat->hat_flags) & HAT_VICTIM) != 0);
	VT_RACY_STORE(hat->hat_flags,
	    (uint16_t)(VT_RACY_LOAD(hat->hat_flags) & ~HAT_VICTIM));
	cv_broadcast(&hat_list_cv);
	mutex_exit(&hat_list_lock);
}

/* Port of hment_steal() (hment.c 2007/2006). */
/*
 * Find a page with a list of hments, unload one of its user mappings (in a
 * table that is neither busy nor holding locked entries) and keep its
 * hment.  The scan starts where the previous steal stopped (last_page), to
 * spread the damage, and gives up after one full lap.
 * PORT: last_page is shared by all threads without a lock in the kernel;
 * here it is read and written with VT_RACY_LOAD/STORE.  The pre-lock test of
 * p_mapping/p_embed and the ht_hat/ht_busy/ht_lock_cnt tests (the mlist lock
 * does not protect those) are VT_RACY_LOADs too.
 * Locks: none held on entry; takes one page's mlist lock at a time and
 * drops it if nothing there is usable.  When a victim is found the lock is
 * handed to hati_page_unmap(), which drops it; returns with no lock held.
 */
static hment_t *
hment_steal(void)
{
	page_t *last = VT_RACY_LOAD(last_page);
	page_t *pp = last;
	hment_t *hm = NULL, *hm2;
	htable_t *ht = NULL;
	hat_t *victim = NULL;
	uint_t found_one = 0;

	HATSTAT_INC(hs_hm_steals);
	if (pp == NULL) {
		last = pp = page_first();
	}

	while (found_one == 0) {
		HATSTAT_INC(hs_hm_steal_exam);
		pp = page_next(pp);
		if (pp == NULL) {
			pp = page_first();
		}

		/* Back where we started: nothing to steal. */
		if (pp == last) {
			return NULL;
		}

		/* Only pages with hment lists are worth locking. */
		if (VT_RACY_LOAD(pp->p_mapping) == NULL ||
		    VT_RACY_LOAD(pp->p_embed) != 0) {
			continue;
		}

		/* Under the lock, look for a mapping we may unload. */
		x86_hm_enter(pp);
		if (pp->p_embed == 0) {
			for (hm = pp->p_mapping; hm != NULL; hm = hm->hm_next) {
				ht = hm->hm_htable;
				victim = VT_RACY_LOAD(ht->ht_hat);
				/* PORT: counted (kmapper's kernel hments). */
				if (victim == kas.a_hat) {
					HATSTAT_INC(vt_hm_steal_kas);
					continue;
				}
				if (VT_RACY_LOAD(ht->ht_busy) == 0 &&
				    VT_RACY_LOAD(ht->ht_lock_cnt) == 0) {
					/* PORT: --hat-fix hment-steal-victim. */
					if ((vt_hat_fix &
					    VT_HAT_FIX_HMENT_STEAL_VICTIM) != 0 &&
					    !hment_steal_pin(victim)) {
						continue;
					}
					found_one = 1;
					break;
				}
			}
		}
		if (found_one == 0) {
			x86_hm_exit(pp);
		}
	}

	/* Unload it; hati_page_unmap() drops pp's mlist lock for us. */
	hm2 = hati_page_unmap(pp, ht, hm->hm_entry);
	ASSERT(hm2 == hm);
	if ((vt_hat_fix & VT_HAT_FIX_HMENT_STEAL_VICTIM) != 0) {
		hment_steal_unpin(victim);
	}
	VT_RACY_STORE(last_page, pp);
	return hm;
}

/*
 * Harness: call fn for every hment in bucket idx of the revision in force
 * (tree order for 2007, chain order for 2006).
 * Locks: none taken; the world must be stopped (audit) or single threaded.
 */
void
vt_hment_bucket_foreach(uint32_t idx, vt_hment_visit_t fn, void *arg)
{
	hment_t *hm, *next;

	ASSERT(idx < hment_hash_entries);
	if (hment_revision == HMENT_REV_2006_CHAIN) {
		for (hm = hment_table[idx].hb_chain; hm != NULL; hm = next) {
			next = hm->hm_hashnext;
			fn(hm, idx, arg);
		}
		return;
	}
	RB_FOREACH_SAFE(hm, hment_tree, &hment_table[idx].hb_tree, next) {
		fn(hm, idx, arg);
	}
}
