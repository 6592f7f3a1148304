/*
 * uvm_amap.c - port of NetBSD sys/uvm/uvm_amap.c v1.62 (2005-06-27): amap
 * allocation, extension, copy-on-write resolution, splitting, the per-page
 * reference array (ppref), wipe-out and swap-off, with the global amap list.
 * The uvm_amap_i.h functions are in uvm_amap_i.c.
 *
 * The kernel's simple_lock am_l is a kmutex (amap_lock/amap_unlock are
 * functions here).  Everything the seed does under a lock, or does on
 * purpose without one, is kept; each difference is marked PORT.
 *   PORT: UVMHIST logging is left out (the counters in vt_amapstats take
 *   its place).
 *   PORT: the amap pool is the host allocator with injected failures
 *   (vt_uvm_malloc); malloc_roundup follows kern_malloc.c's bucket sizes.
 */
#include "uvm_amap.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "uvm_anon.h"
#include "uvm_map_sim.h"
#include "../base/inject.h"

struct vt_uvm_faults vt_uvm_faults;
uint32_t vt_amap_fixes;
uint64_t vt_amap_live;
struct amapstats *vt_amapstats;
uint32_t vt_amapstats_n;

const char *const vt_amapstat_names[VT_AMAPSTAT_FIELDS] = {
#define VT_AMAPSTAT_NAME(f)	#f,
	VT_AMAPSTATS(VT_AMAPSTAT_NAME)
#undef VT_AMAPSTAT_NAME
};

/* The global list of amaps (amap_swap_off walks it) and its lock. */
static kmutex_t amap_list_lock;
static struct vm_amap *amap_list;	/* LIST_HEAD's lh_first; amap_list_lock */
static uint32_t amap_next_id;		/* atomics */

/* ------------------------------------------------------------ helpers */

void
amap_lock(struct vm_amap *amap)
{
	mutex_enter(&amap->am_l);
}

void
amap_unlock(struct vm_amap *amap)
{
	mutex_exit(&amap->am_l);
}

int
amap_lock_try(struct vm_amap *amap)
{
	return (mutex_tryenter(&amap->am_l));
}

bool
vt_uvm_fault_hit(uint32_t ppm)
{
	return (ppm != 0 && vt_thread_rand(curthread) % 1000000 < ppm);
}

/*
 * PORT: malloc(9) over power-of-two buckets (kmem caches "M_UVMAMAP-N",
 * whose quarantine and 0xdeadbeef fill make a use after free fail the same
 * way on every replay).  A 16-byte header keeps the bucket.  M_WAITOK
 * without M_CANFAIL never fails; M_NOWAIT and M_CANFAIL fail with
 * probability --amap-malloc-fail.  New memory is filled with a pattern, as
 * the kernel's is not zeroed.
 */
#define MALLOC_HDR	16
#define MALLOC_NBUCKET	14		/* 16 .. 128 KiB */
static kmem_cache_t *malloc_bucket[MALLOC_NBUCKET];
static const char *const malloc_bucket_name[MALLOC_NBUCKET] = {
	"M_UVMAMAP-16", "M_UVMAMAP-32", "M_UVMAMAP-64", "M_UVMAMAP-128",
	"M_UVMAMAP-256", "M_UVMAMAP-512", "M_UVMAMAP-1K", "M_UVMAMAP-2K",
	"M_UVMAMAP-4K", "M_UVMAMAP-8K", "M_UVMAMAP-16K", "M_UVMAMAP-32K",
	"M_UVMAMAP-64K", "M_UVMAMAP-128K",
};
static kmem_cache_t *amap_cache;	/* uvm_amap_pool */

void *
vt_uvm_malloc(size_t size, int flags)
{
	uint32_t b = 0;
	char *p;

	if ((flags & (M_NOWAIT | M_CANFAIL)) != 0 &&
	    vt_uvm_fault_hit(vt_uvm_faults.malloc_ppm))
		return (NULL);
	while (b < MALLOC_NBUCKET && ((size_t)16 << b) < size + MALLOC_HDR)
		b++;
	if (b == MALLOC_NBUCKET)
		panic("vt_uvm_malloc: %zu bytes is beyond the largest bucket",
		    size);
	p = kmem_cache_alloc(malloc_bucket[b], KM_SLEEP);
	*(uint32_t *)(void *)p = b;
	memset(p + MALLOC_HDR, 0xa5, size);
	return (p + MALLOC_HDR);
}

void
vt_uvm_free(void *p)
{
	char *h = (char *)p - MALLOC_HDR;
	uint32_t b = *(uint32_t *)(void *)h;

	ASSERT(b < MALLOC_NBUCKET);
	kmem_cache_free(malloc_bucket[b], h);
}

/* Port of malloc_roundup() (kern_malloc.c): the bucket a size lands in. */
size_t
malloc_roundup(size_t size)
{
	size_t b = 16;

	if (size > 65536)
		return ((size + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1));
	while (b < size)
		b <<= 1;
	return (b);
}

/* PORT: pool_get(&uvm_amap_pool): without PR_WAITOK it may fail. */
static struct vm_amap *
amap_pool_get(int prflags)
{
	struct vm_amap *am;

	if ((prflags & PR_WAITOK) == 0 &&
	    vt_uvm_fault_hit(vt_uvm_faults.pool_ppm))
		return (NULL);
	am = kmem_cache_alloc(amap_cache, KM_SLEEP);
	memset(am, 0, sizeof (*am));
	am->am_id = atomic_add_32_nv(&amap_next_id, 1);
	atomic_add_64(&vt_amap_live, 1);
	return (am);
}

static void
amap_pool_put(struct vm_amap *am)
{
	atomic_add_64(&vt_amap_live, -1);
	kmem_cache_free(amap_cache, am);
}

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
static void
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
static void
amap_list_remove(struct vm_amap *amap)
{
	mutex_enter(&amap_list_lock);
	list_remove(amap);
	mutex_exit(&amap_list_lock);
}

/* Port of pp_getreflen() (uvm_amap.c 2005).  ppref's amap locked. */
void
pp_getreflen(int *ppref, int offset, int *refp, int *lenp)
{
	if (ppref[offset] > 0) {
		/* A chunk of one slot: the count plus one. */
		*refp = ppref[offset] - 1;
		*lenp = 1;
	} else {
		/* Longer: minus (count plus one), then the length. */
		*refp = -ppref[offset] - 1;
		*lenp = ppref[offset + 1];
	}
}

/* Port of pp_setreflen() (uvm_amap.c 2005).  ppref's amap locked. */
void
pp_setreflen(int *ppref, int offset, int ref, int len)
{
	if (len > 1) {
		ppref[offset] = -(ref + 1);
		ppref[offset + 1] = len;
	} else if (len == 1) {
		ppref[offset] = ref + 1;
	}
}

/* ------------------------------------------------------ alloc / free */

/*
 * Port of amap_alloc1() (uvm_amap.c 2005): an amap with its three arrays,
 * am_anon not cleared.  The lock of the returned amap is initialised.
 */
static struct vm_amap *
amap_alloc1(int slots, int padslots, int waitf)
{
	struct vm_amap *amap;
	int totalslots;

	amap = amap_pool_get(waitf == M_WAITOK ? PR_WAITOK : 0);
	if (amap == NULL)
		return (NULL);

	totalslots = (int)(malloc_roundup((size_t)(slots + padslots) *
	    sizeof (int)) / sizeof (int));
	mutex_init(&amap->am_l, "amap", MUTEX_DEFAULT, NULL);
	amap->am_ref = 1;
	amap->am_flags = 0;
	amap->am_ppref = NULL;
	amap->am_maxslot = totalslots;
	amap->am_nslot = slots;
	amap->am_nused = 0;

	amap->am_slots = vt_uvm_malloc((size_t)totalslots * sizeof (int),
	    waitf);
	if (amap->am_slots == NULL)
		goto fail1;
	amap->am_bckptr = vt_uvm_malloc((size_t)totalslots * sizeof (int),
	    waitf);
	if (amap->am_bckptr == NULL)
		goto fail2;
	amap->am_anon = vt_uvm_malloc((size_t)totalslots *
	    sizeof (struct vm_anon *), waitf);
	if (amap->am_anon == NULL)
		goto fail3;
	return (amap);

fail3:
	vt_uvm_free(amap->am_bckptr);
fail2:
	vt_uvm_free(amap->am_slots);
fail1:
	mutex_destroy(&amap->am_l);
	amap_pool_put(amap);
	/*
	 * PORT: the uvm_extrapages hint to the page daemon is left out (no
	 * page daemon sizes its targets here).
	 */
	AMAPSTAT_INC(amap_alloc_fail);
	return (NULL);
}

/*
 * Port of amap_alloc() (uvm_amap.c 2005): a fresh amap for sz bytes, one
 * reference, returned unlocked and on amap_list.
 * Locks: takes amap_list_lock (amap_list_insert).
 *
 * The seed calls amap_list_insert() even when amap_alloc1 failed (a NULL
 * amap: finding alloc-null, doc/amap.md); --amap-fix alloc-null inserts
 * only a real amap.
 */
struct vm_amap *
amap_alloc(vaddr_t sz, vaddr_t padsz, int waitf)
{
	int padslots, slots;
	struct vm_amap *amap;

	AMAP_B2SLOT(slots, sz);
	AMAP_B2SLOT(padslots, padsz);

	amap = amap_alloc1(slots, padslots, waitf);
	if (amap != NULL) {
		memset(amap->am_anon, 0, (size_t)amap->am_maxslot *
		    sizeof (struct vm_anon *));
		AMAPSTAT_INC(amap_alloc);
	}
	if (amap != NULL || (vt_amap_fixes & VT_AMAP_FIX_ALLOC_NULL) == 0)
		amap_list_insert(amap);
	return (amap);
}

/*
 * Port of amap_free() (uvm_amap.c 2005).  The amap is unlocked, has no
 * references and no anons.
 */
void
amap_free(struct vm_amap *amap)
{
	ASSERT(amap->am_ref == 0 && amap->am_nused == 0);
	ASSERT((amap->am_flags & AMAP_SWAPOFF) == 0);
	ASSERT(!MUTEX_HELD(&amap->am_l));
	vt_uvm_free(amap->am_slots);
	vt_uvm_free(amap->am_bckptr);
	vt_uvm_free(amap->am_anon);
	if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE)
		vt_uvm_free(amap->am_ppref);
	mutex_destroy(&amap->am_l);
	AMAPSTAT_INC(amap_free);
	amap_pool_put(amap);
}

/* ---------------------------------------------------------- extend */

/*
 * PORT (--amap-fix extend-wipe only): with ppref given up (PPREF_NONE) a
 * partial unmap left its anons in the amap; before slots [from, from+n)
 * become part of the entry again, drop the anons they still hold.  amap
 * locked.
 */
static void
extend_wipe_stale(struct vm_amap *amap, int from, int n)
{
	if ((vt_amap_fixes & VT_AMAP_FIX_EXTEND_WIPE) == 0 ||
	    amap->am_ppref != PPREF_NONE)
		return;
	if (from < 0) {
		n += from;
		from = 0;
	}
	if (from + n > amap->am_nslot)
		n = amap->am_nslot - from;
	if (n > 0)
		amap_wiperange(amap, from, n);
}

/*
 * Port of amap_extend() (uvm_amap.c 2005): grow the amap of entry by
 * addsize bytes forwards or backwards (case 1: enough slots in use; case
 * 2: enough allocated; case 3: new arrays).  Returns 0, E2BIG (would reach
 * UVM_AMAP_LARGE) or ENOMEM.
 * Locks: the entry's map locked by the caller; takes the amap lock, drops
 * it around the case-3 allocations and retakes it (the amap has one
 * reference, through the locked map, so nothing else changes it: the
 * KASSERT re-checks am_maxslot).
 */
int
amap_extend(struct vm_map_entry *entry, vsize_t addsize, int flags)
{
	int slotoff = entry->aref.ar_pageoff;
	struct vm_amap *amap = entry->aref.ar_amap;
	int slotadd, slotmapped, slotneed, slotalloc, slotadded;
	int slotspace, slotadj, shift;
	int *newppref, *oldppref;
	int *newsl, *oldsl, *newbck, *oldbck, i;
	struct vm_anon **oldover, **newover;
	int mflag = (flags & AMAP_EXTEND_NOWAIT) ? M_NOWAIT :
	    (M_WAITOK | M_CANFAIL);
	bool fwd = (flags & AMAP_EXTEND_FORWARDS) != 0;

	/* Slots needed; ar_pageoff may leave unused slots before us. */
	amap_lock(amap);
	ASSERT(amap_refs(amap) == 1);
	AMAP_B2SLOT(slotmapped, entry->end - entry->start);
	AMAP_B2SLOT(slotadd, addsize);
	if (fwd) {
		slotneed = slotoff + slotmapped + slotadd;
		slotadj = 0;
		slotspace = 0;
	} else {
		slotneed = slotadd + slotmapped;
		slotadj = slotadd - slotoff;
		slotspace = amap->am_maxslot - slotmapped;
	}

	/* Case 1: the slots exist; only their references go up. */
	if (fwd) {
		if (amap->am_nslot >= slotneed) {
			extend_wipe_stale(amap, slotoff + slotmapped, slotadd);
			if (amap->am_ppref != NULL &&
			    amap->am_ppref != PPREF_NONE)
				amap_pp_adjref(amap, slotoff + slotmapped,
				    (vsize_t)slotadd, 1);
			amap_unlock(amap);
			AMAPSTAT_INC(extend_1f);
			return (0);
		}
	} else if (slotadj <= 0) {
		/* Backwards: the slots before ar_pageoff suffice. */
		entry->aref.ar_pageoff = slotoff - slotadd;
		slotoff = entry->aref.ar_pageoff;
		extend_wipe_stale(amap, slotoff, slotadd);
		if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE)
			amap_pp_adjref(amap, slotoff, (vsize_t)slotadd, 1);
		amap_unlock(amap);
		AMAPSTAT_INC(extend_1b);
		return (0);
	}

	/* Case 2: the slots are allocated; am_nslot grows over them. */
	if (amap->am_maxslot >= slotneed) {
		if (fwd) {
			extend_wipe_stale(amap, slotoff + slotmapped,
			    amap->am_nslot - (slotoff + slotmapped));
			if (amap->am_ppref != NULL &&
			    amap->am_ppref != PPREF_NONE) {
				if (slotoff + slotmapped < amap->am_nslot)
					amap_pp_adjref(amap,
					    slotoff + slotmapped,
					    (vsize_t)(amap->am_nslot -
					    (slotoff + slotmapped)), 1);
				pp_setreflen(amap->am_ppref, amap->am_nslot, 1,
				    slotneed - amap->am_nslot);
			}
			amap->am_nslot = slotneed;
			amap_unlock(amap);
			/* am_anon beyond am_nslot was cleared at alloc time. */
			AMAPSTAT_INC(extend_2f);
			return (0);
		}
		extend_wipe_stale(amap, 0, slotoff);
		extend_wipe_stale(amap, slotoff + slotmapped,
		    amap->am_nslot - (slotoff + slotmapped));
		if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE) {
			/* Move the counts of the used slots to the top. */
			memmove(amap->am_ppref + slotspace,
			    amap->am_ppref + slotoff,
			    (size_t)slotmapped * sizeof (int));
			/* The new front: unreferenced, then the added part. */
			pp_setreflen(amap->am_ppref, 0, 0, slotspace - slotadd);
			pp_setreflen(amap->am_ppref, slotspace - slotadd, 1,
			    slotadd);
		}
		/* Move the anons up and clear what they leave behind. */
		memmove(amap->am_anon + slotspace, amap->am_anon + slotoff,
		    (size_t)slotmapped * sizeof (struct vm_anon *));
		memset(amap->am_anon + slotoff, 0,
		    (size_t)(slotspace - slotoff) * sizeof (struct vm_anon *));
		/* Back pointers move too; the old places are don't-care. */
		memmove(amap->am_bckptr + slotspace, amap->am_bckptr + slotoff,
		    (size_t)slotmapped * sizeof (int));
		shift = slotspace - slotoff;
		for (i = 0; i < amap->am_nused; i++)
			amap->am_slots[i] = amap->am_slots[i] + shift;
		/* The whole allocation is now in use. */
		entry->aref.ar_pageoff = slotspace - slotadd;
		amap->am_nslot = amap->am_maxslot;
		amap_unlock(amap);
		AMAPSTAT_INC(extend_2b);
		return (0);
	}

	/*
	 * Case 3: new arrays, the contents copied over.  All are allocated
	 * before anything changes, so a failure leaves the amap as it was.
	 */
	amap_unlock(amap);	/* the allocations may sleep */

	if (slotneed >= UVM_AMAP_LARGE) {
		AMAPSTAT_INC(extend_e2big);
		return (E2BIG);
	}

	slotalloc = (int)(malloc_roundup((size_t)slotneed * sizeof (int)) /
	    sizeof (int));
	newppref = NULL;
	if (amap->am_ppref != NULL && amap->am_ppref != PPREF_NONE)
		newppref = vt_uvm_malloc((size_t)slotalloc * sizeof (int),
		    mflag);
	newsl = vt_uvm_malloc((size_t)slotalloc * sizeof (int), mflag);
	newbck = vt_uvm_malloc((size_t)slotalloc * sizeof (int), mflag);
	newover = vt_uvm_malloc((size_t)slotalloc * sizeof (struct vm_anon *),
	    mflag);
	if (newsl == NULL || newbck == NULL || newover == NULL) {
		if (newppref != NULL)
			vt_uvm_free(newppref);
		if (newsl != NULL)
			vt_uvm_free(newsl);
		if (newbck != NULL)
			vt_uvm_free(newbck);
		if (newover != NULL)
			vt_uvm_free(newover);
		AMAPSTAT_INC(extend_enomem);
		return (ENOMEM);
	}
	amap_lock(amap);
	ASSERT(amap->am_maxslot < slotneed);

	slotadded = slotalloc - amap->am_nslot;
	if (!fwd)
		slotspace = slotalloc - slotmapped;

	if (fwd)
		extend_wipe_stale(amap, slotoff + slotmapped,
		    amap->am_nslot - (slotoff + slotmapped));
	else {
		extend_wipe_stale(amap, 0, slotoff);
		extend_wipe_stale(amap, slotoff + slotmapped,
		    amap->am_nslot - (slotoff + slotmapped));
	}

	oldsl = amap->am_slots;
	shift = fwd ? 0 : slotspace - slotoff;
	for (i = 0; i < amap->am_nused; i++)
		newsl[i] = oldsl[i] + shift;
	amap->am_slots = newsl;

	oldover = amap->am_anon;
	if (fwd) {
		memcpy(newover, oldover, sizeof (struct vm_anon *) *
		    (size_t)amap->am_nslot);
		memset(newover + amap->am_nslot, 0,
		    sizeof (struct vm_anon *) * (size_t)slotadded);
	} else {
		memcpy(newover + slotspace, oldover + slotoff,
		    sizeof (struct vm_anon *) * (size_t)slotmapped);
		memset(newover, 0, sizeof (struct vm_anon *) *
		    (size_t)slotspace);
	}
	amap->am_anon = newover;

	oldbck = amap->am_bckptr;
	if (fwd)
		memcpy(newbck, oldbck, sizeof (int) * (size_t)amap->am_nslot);
	else
		memcpy(newbck + slotspace, oldbck + slotoff,
		    sizeof (int) * (size_t)slotmapped);
	amap->am_bckptr = newbck;

	oldppref = amap->am_ppref;
	if (newppref != NULL) {
		if (fwd) {
			memcpy(newppref, oldppref, sizeof (int) *
			    (size_t)amap->am_nslot);
			memset(newppref + amap->am_nslot, 0,
			    sizeof (int) * (size_t)slotadded);
		} else {
			memcpy(newppref + slotspace, oldppref + slotoff,
			    sizeof (int) * (size_t)slotmapped);
		}
		amap->am_ppref = newppref;
		if (fwd && slotoff + slotmapped < amap->am_nslot)
			amap_pp_adjref(amap, slotoff + slotmapped,
			    (vsize_t)(amap->am_nslot - (slotoff + slotmapped)),
			    1);
		if (fwd) {
			pp_setreflen(newppref, amap->am_nslot, 1,
			    slotneed - amap->am_nslot);
		} else {
			pp_setreflen(newppref, 0, 0, slotalloc - slotneed);
			pp_setreflen(newppref, slotalloc - slotneed, 1,
			    slotneed - slotmapped);
		}
	} else {
		if (amap->am_ppref != NULL)
			amap->am_ppref = PPREF_NONE;
	}

	amap->am_maxslot = slotalloc;
	if (fwd) {
		amap->am_nslot = slotneed;
	} else {
		amap->am_nslot = slotalloc;
		entry->aref.ar_pageoff = slotspace - slotadd;
	}

	amap_unlock(amap);
	vt_uvm_free(oldsl);
	vt_uvm_free(oldbck);
	vt_uvm_free(oldover);
	if (oldppref != NULL && oldppref != PPREF_NONE)
		vt_uvm_free(oldppref);
	if (fwd)
		AMAPSTAT_INC(extend_3f);
	else
		AMAPSTAT_INC(extend_3b);
	return (0);
}

/* ------------------------------------------------------- protection */

/*
 * Port of amap_share_protect() (uvm_amap.c 2005): pmap_page_protect every
 * resident page the entry's part of the amap holds, walking am_anon or
 * am_slots, whichever is shorter.
 * Locks: the entry's map and the amap locked by the caller;
 * pmap_page_protect takes page and HAT locks.  Reads each anon's an_page
 * without its an_lock, as the seed does (VT_RACY: a page daemon may free
 * the page meanwhile; protecting a frame that changed owner only costs its
 * new owner a refault).
 */
void
amap_share_protect(struct vm_map_entry *entry, vm_prot_t prot)
{
	int lcv, slot, slots, stop;
	struct vm_amap *amap = entry->aref.ar_amap;
	struct vm_anon *an;
	struct vm_page *pg;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAP_B2SLOT(slots, entry->end - entry->start);
	stop = entry->aref.ar_pageoff + slots;
	AMAPSTAT_INC(share_protect);

	if (slots < amap->am_nused) {
		for (lcv = entry->aref.ar_pageoff; lcv < stop; lcv++) {
			an = amap->am_anon[lcv];
			pg = an != NULL ? VT_RACY_LOAD(an->an_page) : NULL;
			if (pg != NULL)
				pmap_page_protect(pg, prot);
		}
		return;
	}
	for (lcv = 0; lcv < amap->am_nused; lcv++) {
		slot = amap->am_slots[lcv];
		an = amap->am_anon[slot];
		if (slot < entry->aref.ar_pageoff || slot >= stop)
			continue;
		pg = VT_RACY_LOAD(an->an_page);
		if (pg != NULL)
			pmap_page_protect(pg, prot);
	}
}

/* ---------------------------------------------------------- wipeout */

/*
 * Port of amap_wipeout() (uvm_amap.c 2005): the last reference is gone;
 * drop one reference of every anon (freeing those that reach zero), then
 * free the amap.  While amap_swap_off is paging in for this amap
 * (AMAP_SWAPOFF) it only unlocks: swap-off calls it again.
 * Locks: the amap locked on entry, released as side effect; takes
 * amap_list_lock (amap_list_remove) under it, then each an_lock in turn
 * with no amap lock held.
 */
void
amap_wipeout(struct vm_amap *amap)
{
	int lcv, slot, refs;
	struct vm_anon *anon;

	ASSERT(MUTEX_HELD(&amap->am_l));
	ASSERT(amap->am_ref == 0);

	if (__builtin_expect((amap->am_flags & AMAP_SWAPOFF) != 0, 0)) {
		AMAPSTAT_INC(wipeout_deferred);
		amap_unlock(amap);
		return;
	}
	if (VT_INJECT(AMAP_WIPEOUT_EARLY_UNLOCK)) {
		amap_unlock(amap);
		amap_list_remove(amap);
	} else {
		amap_list_remove(amap);
		amap_unlock(amap);
	}
	AMAPSTAT_INC(wipeout);

	for (lcv = 0; lcv < amap->am_nused; lcv++) {
		slot = amap->am_slots[lcv];
		anon = amap->am_anon[slot];
		if (anon == NULL || VT_RACY_LOAD(anon->an_ref) == 0)
			panic("amap_wipeout: corrupt amap");
		mutex_enter(&anon->an_lock);
		refs = anon->an_ref - 1;
		VT_POKE(anon->an_ref, refs);
		mutex_exit(&anon->an_lock);
		if (refs == 0)
			uvm_anfree(anon);
		/* PORT: the SPCF_SHOULDYIELD preemption check is a point. */
		vt_sched_point(VT_SP_YIELD, amap);
	}
	amap->am_nused = 0;
	amap_free(amap);
}

/* ------------------------------------------------------------- copy */

/*
 * Port of amap_copy() (uvm_amap.c 2005): make entry's NEEDSCOPY false, by
 * a fresh amap (none yet; large entries are first clipped to a chunk around
 * [startva, endva)), by taking the amap over (we hold its only reference),
 * or by copying our part of it.
 * Locks: the entry's map locked by the caller (as writer: the entry may be
 * clipped and changes); the current amap unlocked on entry.  Peeks at
 * am_ref without the amap lock (only our locked map can make it 1), then
 * takes the source amap lock and re-checks it; each anon's an_lock inside.
 * Takes amap_list_lock after dropping the source amap lock.
 */
void
amap_copy(struct vm_map *map, struct vm_map_entry *entry, int waitf,
    boolean_t canchunk, vaddr_t startva, vaddr_t endva)
{
	struct vm_amap *srcamap;
	struct vm_amap *amap;
	vaddr_t chunksize;
	int lcv, slots;
	struct vm_anon *an;

	ASSERT(vm_map_locked_p(map));

	/* No amap yet: make one, after clipping a large entry to a chunk. */
	if (entry->aref.ar_amap == NULL) {
		if (canchunk && atop(entry->end - entry->start) >=
		    UVM_AMAP_LARGE) {
			chunksize = (vaddr_t)UVM_AMAP_CHUNK << PAGE_SHIFT;
			startva = (startva / chunksize) * chunksize;
			endva = ((endva + chunksize - 1) / chunksize) *
			    chunksize;
			UVM_MAP_CLIP_START(map, entry, startva, NULL);
			/* endva may have wrapped round. */
			if (endva >= startva)
				UVM_MAP_CLIP_END(map, entry, endva, NULL);
			AMAPSTAT_INC(copy_chunked);
		}
		if (uvm_mapent_trymerge(map, entry, UVM_MERGE_COPYING))
			return;
		entry->aref.ar_pageoff = 0;
		entry->aref.ar_amap = amap_alloc(entry->end - entry->start, 0,
		    waitf);
		if (entry->aref.ar_amap != NULL) {
			entry->etype &= ~UVM_ET_NEEDSCOPY;
			AMAPSTAT_INC(copy_new);
		} else {
			AMAPSTAT_INC(copy_fail);
		}
		return;
	}

	/*
	 * The unlocked peek: 1 means our locked map holds the only
	 * reference, so it cannot change; more falls through to the locked
	 * re-check below.
	 */
	if (VT_RACY_LOAD(entry->aref.ar_amap->am_ref) == 1) {
		entry->etype &= ~UVM_ET_NEEDSCOPY;
		AMAPSTAT_INC(copy_takeover_peek);
		return;
	}

	AMAP_B2SLOT(slots, entry->end - entry->start);
	amap = amap_alloc1(slots, 0, waitf);
	if (amap == NULL) {
		AMAPSTAT_INC(copy_fail);
		return;
	}
	srcamap = entry->aref.ar_amap;
	amap_lock(srcamap);

	/*
	 * The count may have dropped while we allocated: if we are now the
	 * only reference, take the source over and discard the new amap.
	 */
	if (srcamap->am_ref == 1 && !VT_INJECT(AMAP_COPY_NO_RECHECK)) {
		entry->etype &= ~UVM_ET_NEEDSCOPY;
		amap->am_ref--;
		amap_free(amap);
		amap_unlock(srcamap);
		AMAPSTAT_INC(copy_takeover_locked);
		return;
	}

	for (lcv = 0; lcv < slots; lcv++) {
		an = srcamap->am_anon[entry->aref.ar_pageoff + lcv];
		amap->am_anon[lcv] = an;
		if (an == NULL)
			continue;
		mutex_enter(&an->an_lock);
		VT_POKE(an->an_ref, an->an_ref + 1);
		mutex_exit(&an->an_lock);
		amap->am_bckptr[lcv] = amap->am_nused;
		amap->am_slots[amap->am_nused] = lcv;
		amap->am_nused++;
	}
	memset(&amap->am_anon[lcv], 0, (size_t)(amap->am_maxslot - lcv) *
	    sizeof (struct vm_anon *));

	/*
	 * Drop our reference to the source: it was above one (checked under
	 * the lock), so it cannot reach zero here.
	 */
	VT_RACY_STORE(srcamap->am_ref, srcamap->am_ref - 1);
	if (srcamap->am_ref == 1 && (srcamap->am_flags & AMAP_SHARED) != 0)
		VT_RACY_STORE(srcamap->am_flags, srcamap->am_flags & ~AMAP_SHARED);
	if (srcamap->am_ppref != NULL && srcamap->am_ppref != PPREF_NONE)
		amap_pp_adjref(srcamap, entry->aref.ar_pageoff,
		    (entry->end - entry->start) >> PAGE_SHIFT, -1);
	amap_unlock(srcamap);

	amap_list_insert(amap);

	/* Install the copy. */
	entry->aref.ar_amap = amap;
	entry->aref.ar_pageoff = 0;
	entry->etype &= ~UVM_ET_NEEDSCOPY;
	AMAPSTAT_INC(amap_alloc);
	AMAPSTAT_INC(copy_copied);
}

/*
 * Port of amap_cow_now() (uvm_amap.c 2005): at fork of a wired entry,
 * give the child (entry) private copies of every anon it still shares.
 * A busy page is waited for and an allocation failure waited out; both
 * restart the scan from slot 0, as am_slots may be reordered while the
 * amap is unlocked.
 * Locks: parent and child maps locked by the caller and kept (even while
 * sleeping); takes the amap lock, then each anon's an_lock and the new
 * anon's (returned locked by uvm_analloc).  Drops the amap lock and sleeps
 * on a busy page with its an_lock (UVM_UNLOCK_AND_WAIT), or in uvm_wait
 * with neither, then retakes the amap lock and rescans.
 */
void
amap_cow_now(struct vm_map *map, struct vm_map_entry *entry)
{
	struct vm_page *npg, *pg;
	struct vm_anon *nanon, *anon;
	struct vm_amap *amap = entry->aref.ar_amap;
	int slot, lcv;

	ASSERT(vm_map_locked_p(map));
	AMAPSTAT_INC(cow_now);
ReStart:
	amap_lock(amap);
	for (lcv = 0; lcv < amap->am_nused; lcv++) {
		slot = amap->am_slots[lcv];
		anon = amap->am_anon[slot];
		mutex_enter(&anon->an_lock);
		pg = anon->an_page;

		/*
		 * PORT (--amap-fix cownow-restart only): after a restart an
		 * anon with one reference is one this loop already copied;
		 * its new page is not wired and may have been paged out
		 * meanwhile (finding cownow-restart, doc/amap.md).
		 */
		if ((vt_amap_fixes & VT_AMAP_FIX_COWNOW_RESTART) != 0 &&
		    anon->an_ref == 1) {
			mutex_exit(&anon->an_lock);
			continue;
		}

		/* The parent is wired: its pages are resident. */
		if (pg == NULL)
			panic("amap_cow_now: non-resident wired page in anon "
			    "%u (slot %d of %d, ref %d, swslot %d, map %u)",
			    anon->an_id, slot, amap->am_nslot, anon->an_ref,
			    anon->an_swslot, map->map_id);

		/*
		 * Shared and not loaned: the child needs its own copy.  (A
		 * loaned page is mapped read-only everywhere already.)
		 */
		if (anon->an_ref > 1 && pg->loan_count == 0) {
			if ((pg->flags & PG_BUSY) != 0) {
				pg->flags |= PG_WANTED;
				AMAPSTAT_INC(cow_now_busy_restart);
				amap_unlock(amap);
				uvm_unlock_and_wait(pg, &anon->an_lock);
				goto ReStart;
			}

			nanon = uvm_analloc();
			if (nanon != NULL)
				npg = uvm_pagealloc(NULL, 0, nanon, 0);
			else
				npg = NULL;
			if (nanon == NULL || npg == NULL) {
				/* Out of memory: wait and start over. */
				if (nanon != NULL) {
					nanon->an_ref--;
					mutex_exit(&nanon->an_lock);
					uvm_anfree(nanon);
				}
				mutex_exit(&anon->an_lock);
				amap_unlock(amap);
				AMAPSTAT_INC(cow_now_oom_restart);
				uvm_wait("cownowpage");
				goto ReStart;
			}

			uvm_pagecopy(pg, npg);
			VT_POKE(anon->an_ref, anon->an_ref - 1);
			amap->am_anon[slot] = nanon;

			/*
			 * The new page's owner was locked throughout, so no
			 * one can have wanted or released it.
			 */
			npg->flags &= ~(PG_BUSY | PG_FAKE);
			mutex_exit(&nanon->an_lock);
			AMAPSTAT_INC(cow_now_copies);
		}
		mutex_exit(&anon->an_lock);
	}
	amap_unlock(amap);
}

/* ------------------------------------------------------------ split */

/*
 * Port of amap_splitref() (uvm_amap.c 2005): a clip splits one reference
 * into two at offset bytes; ppref is established first, so the counts it
 * records are those before the extra reference.
 * Locks: origref's map locked by the caller; takes and drops the amap lock.
 */
void
amap_splitref(struct vm_aref *origref, struct vm_aref *splitref,
    vaddr_t offset)
{
	int leftslots;
	struct vm_amap *am = origref->ar_amap;

	AMAP_B2SLOT(leftslots, offset);
	if (leftslots == 0)
		panic("amap_splitref: split at zero offset");

	amap_lock(am);
	if (am->am_nslot - origref->ar_pageoff - leftslots <= 0)
		panic("amap_splitref: map size check failed");
	if (am->am_ppref == NULL)
		amap_pp_establish(am, (vaddr_t)origref->ar_pageoff);

	splitref->ar_amap = am;
	VT_RACY_STORE(am->am_ref, am->am_ref + 1);	/* not a share */
	splitref->ar_pageoff = origref->ar_pageoff + leftslots;
	amap_unlock(am);
	AMAPSTAT_INC(splitref);
}

/* ------------------------------------------------------------ ppref */

/*
 * Port of amap_pp_establish() (uvm_amap.c 2005): allocate am_ppref (no
 * wait; on failure mark it PPREF_NONE and do without), slots before offset
 * unreferenced, the rest at am_ref.  Amap locked by the caller.
 */
void
amap_pp_establish(struct vm_amap *amap, vaddr_t offset)
{
	ASSERT(MUTEX_HELD(&amap->am_l));
	amap->am_ppref = vt_uvm_malloc(sizeof (int) *
	    (size_t)amap->am_maxslot, M_NOWAIT);
	if (amap->am_ppref == NULL) {
		amap->am_ppref = PPREF_NONE;
		AMAPSTAT_INC(pp_establish_none);
		return;
	}
	memset(amap->am_ppref, 0, sizeof (int) * (size_t)amap->am_maxslot);
	pp_setreflen(amap->am_ppref, 0, 0, (int)offset);
	pp_setreflen(amap->am_ppref, (int)offset, amap->am_ref,
	    amap->am_nslot - (int)offset);
	AMAPSTAT_INC(pp_establish);
}

/*
 * Port of amap_pp_adjref() (uvm_amap.c 2005): add adjval to the counts of
 * slots [curslot, curslot+slotlen), splitting chunks at both ends and
 * merging the first changed chunk with the one before when they agree;
 * a range reaching zero is wiped (amap_wiperange).
 * Locks: map and amap locked by the caller; ppref usable (not PPREF_NONE).
 */
void
amap_pp_adjref(struct vm_amap *amap, int curslot, vsize_t slotlen, int adjval)
{
	int lcv, prevlcv, stopslot;
	int len, ref, prevlen, prevref, part;
	int *ppref;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAPSTAT_INC(pp_adjref);
	stopslot = curslot + (int)slotlen;
	ppref = amap->am_ppref;
	prevlcv = 0;

	/* Walk to curslot, splitting the chunk that straddles it. */
	for (lcv = 0; lcv < curslot; lcv += len) {
		pp_getreflen(ppref, lcv, &ref, &len);
		part = curslot - lcv;
		if (len > part) {
			pp_setreflen(ppref, lcv, ref, part);
			pp_setreflen(ppref, curslot, ref, len - part);
			len = part;
		}
		prevlcv = lcv;
	}
	if (lcv != 0) {
		pp_getreflen(ppref, prevlcv, &prevref, &prevlen);
	} else {
		/* No chunk before: make the merge test below fail. */
		prevlen = 0;
		prevref = -1;
	}

	if (lcv != curslot)
		panic("amap_pp_adjref: overshot target");

	/* Adjust the range, splitting at its end, merging at its start. */
	for (; lcv < stopslot; lcv += len) {
		pp_getreflen(ppref, lcv, &ref, &len);
		part = stopslot - lcv;
		if (len > part) {
			pp_setreflen(ppref, lcv, ref, part);
			pp_setreflen(ppref, stopslot, ref, len - part);
			len = part;
		}
		ref += adjval;
		if (ref < 0)
			panic("amap_pp_adjref: negative reference count");
		/* Merge with the chunk before if it now has the same count. */
		if (ref == prevref && prevlcv + prevlen == lcv)
			pp_setreflen(ppref, prevlcv, ref, prevlen + len);
		else
			pp_setreflen(ppref, lcv, ref, len);
		if (ref != 0)
			continue;
		amap_wiperange(amap, lcv, len);
	}
}

/*
 * Port of amap_wiperange() (uvm_amap.c 2005): take the anons of slots
 * [slotoff, slotoff+slots) out of the amap (which stays) and drop one
 * reference of each, freeing those that reach zero; walks am_anon or
 * am_slots, whichever is cheaper.
 * Locks: map and amap locked by the caller; each an_lock in turn.
 */
void
amap_wiperange(struct vm_amap *amap, int slotoff, int slots)
{
	int byanon, lcv, stop, curslot, ptr, slotend, refs;
	struct vm_anon *anon;

	ASSERT(MUTEX_HELD(&amap->am_l));
	AMAPSTAT_INC(wiperange);
	byanon = slots < amap->am_nused;
	if (byanon) {
		stop = slotoff + slots;
		lcv = slotoff;
		slotend = 0;
	} else {
		stop = amap->am_nused;
		lcv = 0;
		slotend = slotoff + slots;
	}

	while (lcv < stop) {
		if (byanon) {
			curslot = lcv;
			lcv++;
			if (amap->am_anon[curslot] == NULL)
				continue;	/* an empty slot */
		} else {
			curslot = amap->am_slots[lcv];
			if (curslot >= slotend || curslot < slotoff) {
				lcv++;
				continue;
			}
			stop--;		/* one fewer to look at: it goes */
		}
		anon = amap->am_anon[curslot];

		/* Out of the amap: the last used entry fills its place. */
		amap->am_anon[curslot] = NULL;
		ptr = amap->am_bckptr[curslot];
		if (ptr != amap->am_nused - 1) {
			amap->am_slots[ptr] = amap->am_slots[amap->am_nused - 1];
			amap->am_bckptr[amap->am_slots[ptr]] = ptr;
		}
		amap->am_nused--;

		if (VT_INJECT(AMAP_WIPERANGE_UNLOCKED_REF)) {
			refs = VT_RACY_LOAD(anon->an_ref) - 1;
			VT_RACY_STORE(anon->an_ref, refs);
		} else {
			mutex_enter(&anon->an_lock);
			refs = anon->an_ref - 1;
			VT_POKE(anon->an_ref, refs);
			mutex_exit(&anon->an_lock);
		}
		if (refs == 0)
			uvm_anfree(anon);
	}
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

/* ------------------------------------------------------ module state */

void
vt_amap_init(uint32_t nthreads)
{
	mutex_init(&amap_list_lock, "amap_list_lock", MUTEX_DEFAULT, NULL);
	amap_list = NULL;
	VT_POKE(amap_next_id, 0);
	VT_POKE(vt_amap_live, 0);
	vt_amapstats_n = nthreads;
	vt_amapstats = calloc(nthreads, sizeof (struct amapstats));
	if (vt_amapstats == NULL)
		vt_fail("harness", "out of memory for amap counters");
	amap_cache = kmem_cache_create("uvm_amap_pool", sizeof (struct vm_amap),
	    0, NULL, NULL, NULL, NULL, NULL, 0);
	for (uint32_t b = 0; b < MALLOC_NBUCKET; b++)
		malloc_bucket[b] = kmem_cache_create(malloc_bucket_name[b],
		    (size_t)16 << b, 0, NULL, NULL, NULL, NULL, NULL, 0);
}

void
vt_amap_fini(void)
{
	mutex_destroy(&amap_list_lock);
	kmem_cache_destroy(amap_cache);
	for (uint32_t b = 0; b < MALLOC_NBUCKET; b++)
		kmem_cache_destroy(malloc_bucket[b]);
	free(vt_amapstats);
	vt_amapstats = NULL;
	vt_amapstats_n = 0;
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

void
vt_amapstats_sum(uint64_t out[VT_AMAPSTAT_FIELDS])
{
	memset(out, 0, sizeof (uint64_t) * VT_AMAPSTAT_FIELDS);
	for (uint32_t t = 0; t < vt_amapstats_n; t++) {
		const uint64_t *v = (const uint64_t *)(const void *)
		    &vt_amapstats[t];

		for (int i = 0; i < VT_AMAPSTAT_FIELDS; i++)
			out[i] += v[i];
	}
}
