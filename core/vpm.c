/*
 * vpm.c - port of the illumos vpm cache and interfaces (vpm.c 2009, the
 * SEGKPM_SUPPORT path; structures in vpm.h).
 *
 * Every function keeps the seed's name, locks, retry labels and re-checks;
 * differences carry PORT notes.  The VPM_DEBUG counters and the VPM_MTBF
 * test knobs are always compiled in; the knobs are off unless asked for
 * (steals_mtbf / contend_mtbf 0 behave like the non-DEBUG build).
 *
 * Unlocked accesses the seed makes on purpose go through the racy macros:
 * the queue pointers vpm_allocq/vpm_releq and vpm_want (see vpm.h),
 * vpm_next (tested under vpm_mtx alone), p_vpmref (cleared under p_ilock
 * while another thread holds the page lock), and the identity of a
 * previous page (p_vnode, p_offset, p_state) read before it is locked.
 */
#include "vpm.h"

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/inject.h"
#include "../locks/locktable.h"

int	vpm_enable = 1;
int	vpm_cache_enable = 1;
long	vpm_cache_percent = 12;
long	vpm_cache_size;
int	vpm_nfreelist = 0;
int	vpmd_freemsk = 0;
int	vpm_cachemode = VPMCACHE_LRU;
int	kpm_enable = 1;
int	max_ncpus = 1;
long	vt_vpm_cache_pages;
long	vt_vpm_npages;
bool	vt_vpm_fix_signal;

int	steals_mtbf;
int	contend_mtbf;
static uint32_t steals;		/* VPM_MTBF counters; relaxed atomics */
static uint32_t contend;

struct vpm_debug vpm_debug;

#define VPM_S_PAD	64
/* Per-CPU rotor and hit counters; each slot is touched by its CPU only. */
union vpm_cpu {
	struct {
		int	vcpu_free_ndx;
		ulong_t	vcpu_hits;
		ulong_t	vcpu_misses;
	} vcpu;
	char vpm_pad[VPM_S_PAD];
};
static union vpm_cpu *vpmd_cpu;
#define vfree_ndx	vcpu.vcpu_free_ndx

struct vpmap *vpmd_vpmap;
struct vpmfree *vpmd_free;
static struct vt_lock_class *vpm_mtx_class;	/* "vpm_mtx" */
static struct vt_lock_class *vpmq_mtx_class;	/* "vpmq_mtx" */

#define VPMAPMTX(vpm)		(&(vpm)->vpm_mtx)
#define VPMAP2VMF(vpm)		(&vpmd_free[((vpm) - vpmd_vpmap) & vpmd_freemsk])
#define VPMAP2VMF_NDX(vpm)	((ushort_t)(((vpm) - vpmd_vpmap) & vpmd_freemsk))

/*
 * VPM_DEBUG(x) and VPM_MTBF(v, f).  PORT: the counters are relaxed atomics
 * (the seed's are plain int increments, DEBUG only); f == 0 means the knob
 * is off (VPM_MTBF is 1, as without DEBUG).
 */
#define VPM_DEBUG(x)	((void) __atomic_add_fetch(&vpm_debug.x, 1, \
	__ATOMIC_RELAXED))
static inline int
VPM_MTBF(uint32_t *v, int f)
{
	if (f == 0)
		return (1);
	return ((__atomic_add_fetch(v, 1, __ATOMIC_RELAXED) & (uint32_t)f) !=
	    (uint32_t)f);
}

/* highbit(x): 1-based index of the most significant set bit (digest 5.5). */
static int
highbit(ulong_t x)
{
	int h = 0;

	while (x != 0) {
		h++;
		x >>= 1;
	}
	return (h);
}

/*
 * Port of vpm_init() (vpm.c 2009).  Boot thread; initialises every vpm_mtx
 * and vpmq_mtx.  PORT: vt_vpm_cache_pages, when set, gives the cache size
 * in pages and bypasses the VPMAP_MINCACHE clamp (64 MiB is 16384 pages,
 * far more than a stress run wants); the seed's cmn_err warning goes to
 * stderr.  PORT: no prefetch_smap_w (a cache hint).
 */
void
vpm_init(void)
{
	long npages;
	struct vpmap *vpm;
	struct vpmfree *vpmflp;
	int i, ndx;

	if (!kpm_enable)
		vpm_enable = 0;
	if (!vpm_enable || !vpm_cache_enable)
		return;

	vpm_cache_size = (long)mmu_ptob((physmem * (uint64_t)vpm_cache_percent)
	    / 100);
	if (vpm_cache_size < (long)VPMAP_MINCACHE)
		vpm_cache_size = (long)VPMAP_MINCACHE;
	if (vpm_cache_size > (long)VPMAP_MAXCACHE)
		vpm_cache_size = (long)VPMAP_MAXCACHE;
	if (vt_vpm_cache_pages != 0)
		vpm_cache_size = (long)mmu_ptob(vt_vpm_cache_pages);

	if (vpm_nfreelist == 0) {
		vpm_nfreelist = max_ncpus;
	} else if (vpm_nfreelist < 0 || vpm_nfreelist > 2 * max_ncpus) {
		fprintf(stderr, "WARNING: vpmap create : number of freelist "
		    "vpm_nfreelist %d using %d\n", vpm_nfreelist, max_ncpus);
		vpm_nfreelist = 2 * max_ncpus;
	}
	if ((vpm_nfreelist & (vpm_nfreelist - 1)) != 0)
		vpm_nfreelist = 1 << highbit((ulong_t)vpm_nfreelist);
	vpmd_freemsk = vpm_nfreelist - 1;

	vpmd_cpu = kmem_zalloc(sizeof (union vpm_cpu) * (size_t)max_ncpus,
	    KM_SLEEP);
	ndx = 0;
	for (i = 0; i < max_ncpus; i++) {
		vpmd_cpu[i].vfree_ndx = ndx;
		ndx = (ndx + 1) & vpmd_freemsk;
	}

	vpm_mtx_class = vt_lockclass_named("vpm_mtx");
	vpmq_mtx_class = vt_lockclass_named("vpmq_mtx");
	vpmd_free = kmem_zalloc((size_t)vpm_nfreelist * sizeof (struct vpmfree),
	    KM_SLEEP);
	for (i = 0; i < vpm_nfreelist; i++) {
		vpmflp = &vpmd_free[i];
		vt_mutex_init_class(&vpmflp->vpm_freeq[0].vpmq_mtx,
		    vpmq_mtx_class, (uint32_t)(2 * i));
		vt_mutex_init_class(&vpmflp->vpm_freeq[1].vpmq_mtx,
		    vpmq_mtx_class, (uint32_t)(2 * i + 1));
		cv_init(&vpmflp->vpm_free_cv, NULL, CV_DEFAULT, NULL);
		vpmflp->vpm_allocq = &vpmflp->vpm_freeq[VPMALLOCQ];
		vpmflp->vpm_releq = &vpmflp->vpm_freeq[VPMRELEQ];
	}

	npages = (long)mmu_btop(vpm_cache_size);
	vt_vpm_npages = npages;
	vpmd_vpmap = kmem_zalloc(sizeof (struct vpmap) * (size_t)npages,
	    KM_SLEEP);
	/* Backwards, as the seed does (its prefetch runs that way). */
	for (vpm = &vpmd_vpmap[npages - 1]; vpm >= vpmd_vpmap; vpm--) {
		union vpm_freeq *releq;
		struct vpmap *vpmapf;

		vpm->vpm_vp = NULL;
		vpm->vpm_off = 0;
		vpm->vpm_pp = NULL;
		vpm->vpm_refcnt = 0;
		vt_mutex_init_class(&vpm->vpm_mtx, vpm_mtx_class,
		    (uint32_t)(vpm - vpmd_vpmap));
		vpm->vpm_free_ndx = VPMAP2VMF_NDX(vpm);

		vpmflp = VPMAP2VMF(vpm);
		releq = vpmflp->vpm_releq;
		vpmapf = releq->vpmq_free;
		if (vpmapf == NULL) {
			releq->vpmq_free = vpm;
			vpm->vpm_next = vpm->vpm_prev = vpm;
		} else {
			vpm->vpm_next = vpmapf;
			vpm->vpm_prev = vpmapf->vpm_prev;
			vpmapf->vpm_prev = vpm;
			vpm->vpm_prev->vpm_next = vpm;
			releq->vpmq_free = vpm->vpm_next;
		}
		vpm->vpm_ndxflg = VPMRELEQ;	/* every vpmap starts on the releq */
	}
}

/* Undo vpm_init (boot thread, no vpmap in use). */
void
vt_vpm_fini(void)
{
	long i;

	if (vpmd_vpmap != NULL) {
		for (i = 0; i < vt_vpm_npages; i++)
			mutex_destroy(&vpmd_vpmap[i].vpm_mtx);
		kmem_free(vpmd_vpmap, 0);
	}
	if (vpmd_free != NULL) {
		for (i = 0; i < vpm_nfreelist; i++) {
			mutex_destroy(&vpmd_free[i].vpm_freeq[0].vpmq_mtx);
			mutex_destroy(&vpmd_free[i].vpm_freeq[1].vpmq_mtx);
			cv_destroy(&vpmd_free[i].vpm_free_cv);
		}
		kmem_free(vpmd_free, 0);
	}
	if (vpmd_cpu != NULL)
		kmem_free(vpmd_cpu, 0);
	vpmd_vpmap = NULL;
	vpmd_free = NULL;
	vpmd_cpu = NULL;
	vt_vpm_npages = 0;
	vpm_cache_size = 0;
	memset(&vpm_debug, 0, sizeof (vpm_debug));
	__atomic_store_n(&steals, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&contend, 0, __ATOMIC_RELAXED);
}

void
vt_vpm_hits_misses(uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	for (int i = 0; vpmd_cpu != NULL && i < max_ncpus; i++) {
		*hits += vpmd_cpu[i].vcpu.vcpu_hits;
		*misses += vpmd_cpu[i].vcpu.vcpu_misses;
	}
}

/*
 * Port of the VPMAP_RMFREELIST() macro (vpm.c 2009), as a function: take
 * vpm off the queue vpm_ndxflg names, if it is on one.  vpm_mtx held on
 * entry and on return; takes and drops that queue's vpmq_mtx.
 */
static void
vpmap_rmfreelist(struct vpmap *vpm)
{
	union vpm_freeq *freeq;
	struct vpmfree *vpmflp;

	ASSERT(MUTEX_HELD(VPMAPMTX(vpm)));
	if (VT_RACY_LOAD(vpm->vpm_next) == NULL)
		return;
	vpmflp = &vpmd_free[vpm->vpm_free_ndx];
	freeq = &vpmflp->vpm_freeq[vpm->vpm_ndxflg];
	if (!VT_INJECT(VPM_RMFREELIST_UNLOCKED))
		mutex_enter(&freeq->vpmq_mtx);
	if (freeq->vpmq_free != vpm) {
		VT_RACY_STORE(vpm->vpm_prev->vpm_next, vpm->vpm_next);
		vpm->vpm_next->vpm_prev = vpm->vpm_prev;
	} else if (vpm == vpm->vpm_next) {
		freeq->vpmq_free = NULL;
	} else {
		freeq->vpmq_free = vpm->vpm_next;
		VT_RACY_STORE(vpm->vpm_prev->vpm_next, vpm->vpm_next);
		vpm->vpm_next->vpm_prev = vpm->vpm_prev;
	}
	if (!VT_INJECT(VPM_RMFREELIST_UNLOCKED))
		mutex_exit(&freeq->vpmq_mtx);
	VT_RACY_STORE(vpm->vpm_next, (struct vpmap *)NULL);
	vpm->vpm_prev = NULL;
}

/*
 * Port of get_freelndx() (vpm.c 2009).  No locks: the rotor slot belongs
 * to the calling CPU.
 */
static int
get_freelndx(int mode)
{
	int ndx;

	ASSERT(CPU->cpu_seqid < (uint32_t)max_ncpus);
	ndx = vpmd_cpu[CPU->cpu_seqid].vfree_ndx & vpmd_freemsk;
	switch (mode) {
	case VPMCACHE_LRU:
	default:
		vpmd_cpu[CPU->cpu_seqid].vfree_ndx++;
		break;
	}
	return (ndx);
}

/*
 * The previous page of a vpmap being reused: drop its p_vpmref and release
 * it (the "Disassociate the previous page" block of get_free_vpmap).
 * vpm_mtx held on entry and on return; tries pp's page lock (SE_SHARED),
 * takes pp's p_ilock, and page_release's locks.
 */
static void
vpm_disassociate(struct vpmap *vpm, page_t *pp)
{
	kmutex_t *pmtx = PPMTX(pp);

	ASSERT(MUTEX_HELD(VPMAPMTX(vpm)));
	if (page_trylock(pp, SE_SHARED)) {
		/* Locked: make sure it is still our page, else it was stolen. */
		mutex_enter(pmtx);
		if ((VT_RACY_LOAD(pp->p_state) & P_FREE) ||
		    vpm->vpm_vp != VT_RACY_LOAD(pp->p_vnode) ||
		    vpm->vpm_off != VT_RACY_LOAD(pp->p_offset) ||
		    VT_RACY_LOAD(pp->p_vpmref) != VPMID(vpm)) {
			mutex_exit(pmtx);
			page_unlock(pp);
		} else {
			if (!VT_INJECT(GET_FREE_VPMAP_KEEP_VPMREF))
				VT_RACY_STORE(pp->p_vpmref, (uint_t)0);
			mutex_exit(pmtx);
			(void) page_release(pp, 1);
		}
	} else {
		/* Cannot lock it: clear p_vpmref if it is still ours and go. */
		mutex_enter(pmtx);
		if (VT_RACY_LOAD(pp->p_vpmref) == VPMID(vpm) &&
		    !VT_INJECT(GET_FREE_VPMAP_KEEP_VPMREF))
			VT_RACY_STORE(pp->p_vpmref, (uint_t)0);
		mutex_exit(pmtx);
		VPM_DEBUG(vpmd_prevpagelocked);
	}
}

/*
 * Port of get_free_vpmap() (vpm.c 2009).  Find a vpmap on the free lists
 * for newpage (locked at least SE_SHARED by the caller), or the one
 * another thread gave it meanwhile.  Returns with that vpmap's vpm_mtx
 * held (the caller bumps vpm_refcnt).
 * Locks: takes and drops vpmq_mtx of alloc and release queues (the
 * release queue's only by tryenter while the alloc queue's is held, else
 * enter/exit after dropping it); tries vpm_mtx of vpmaps while holding the
 * alloc queue's mutex; takes newpage's p_ilock under vpm_mtx; may sleep on
 * vpm_free_cv (drops vpm_freeq[1]'s mutex, sleeps with vpm_freeq[0]'s,
 * drops both, revalidates everything from retry_queue); waits for vpm_mtx
 * of the vpmap newpage already names, revalidates vpm_pp.
 * PORT: delay(hz >> 2) after a flip is a yield; page_locked is never set
 * (as in the seed), so it never runs.
 */
static struct vpmap *
get_free_vpmap(page_t *newpage)
{
	struct vpmfree *vpmflp;
	kmutex_t *vmtx;
	struct vpmap *vpm, *first;
	union vpm_freeq *allocq, *releq;
	page_t *pp = NULL;
	int end_ndx, page_locked = 0;
	int free_ndx;

	free_ndx = get_freelndx(vpm_cachemode);
	end_ndx = free_ndx;
	vpmflp = &vpmd_free[free_ndx];

retry_queue:
	allocq = VT_RACY_LOAD(vpmflp->vpm_allocq);
	mutex_enter(&allocq->vpmq_mtx);

	if ((vpm = allocq->vpmq_free) == NULL) {

skip_queue:
		/* Empty or skipped: did the queues flip meanwhile? */
		if (VT_RACY_LOAD(vpmflp->vpm_allocq) != allocq) {
			mutex_exit(&allocq->vpmq_mtx);
			goto retry_queue;
		}
		releq = VT_RACY_LOAD(vpmflp->vpm_releq);
		if (!mutex_tryenter(&releq->vpmq_mtx)) {
			/* Let the holder of the release queue run, then retry. */
			VPM_DEBUG(vt_releq_busy);
			mutex_exit(&allocq->vpmq_mtx);
			mutex_enter(&releq->vpmq_mtx);
			mutex_exit(&releq->vpmq_mtx);
			goto retry_queue;
		}
		if (releq->vpmq_free == NULL) {
			VPM_DEBUG(vpmd_emptyfreelist);
			/* This list is empty: try the next one before sleeping. */
			free_ndx = (free_ndx + 1) & vpmd_freemsk;
			if (free_ndx != end_ndx) {
				mutex_exit(&releq->vpmq_mtx);
				mutex_exit(&allocq->vpmq_mtx);
				vpmflp = &vpmd_free[free_ndx];
				goto retry_queue;
			}
			/* Every list is empty: sleep on this one. */
			VT_RACY_STORE(vpmflp->vpm_want,
			    (ushort_t)(VT_RACY_LOAD(vpmflp->vpm_want) + 1));
			mutex_exit(&vpmflp->vpm_freeq[1].vpmq_mtx);
			cv_wait(&vpmflp->vpm_free_cv,
			    &vpmflp->vpm_freeq[0].vpmq_mtx);
			VT_RACY_STORE(vpmflp->vpm_want,
			    (ushort_t)(VT_RACY_LOAD(vpmflp->vpm_want) - 1));
			mutex_exit(&vpmflp->vpm_freeq[0].vpmq_mtx);
			vpmflp = &vpmd_free[free_ndx];
			VPM_DEBUG(vpmd_nofreevpms);
			goto retry_queue;
		} else {
			/* Something on the release queue: flip and retry. */
			VT_RACY_STORE(vpmflp->vpm_allocq, releq);
			VT_RACY_STORE(vpmflp->vpm_releq, allocq);
			VPM_DEBUG(vt_flips);
			mutex_exit(&allocq->vpmq_mtx);
			mutex_exit(&releq->vpmq_mtx);
			if (page_locked) {
				vt_sched_point(VT_SP_YIELD, vpmflp);
				(void) sched_yield();
				page_locked = 0;
			}
			goto retry_queue;
		}
	} else {
		int gotnewvpm;
		kmutex_t *pmtx;
		uint_t vpmref;

		first = vpm;
next_vpmap:
		vmtx = VPMAPMTX(vpm);
		if (!mutex_tryenter(vmtx)) {
			/* Someone is reclaiming this one: next vpmap or queue. */
			VPM_DEBUG(vt_skips);
			if ((vpm = vpm->vpm_next) == first)
				goto skip_queue;
			else
				goto next_vpmap;
		}

		/* Give this vpmap to newpage unless it already has one. */
		pmtx = PPMTX(newpage);
		gotnewvpm = 0;
		mutex_enter(pmtx);
		if ((vpmref = VT_RACY_LOAD(newpage->p_vpmref)) == 0) {
			VT_RACY_STORE(newpage->p_vpmref, VPMID(vpm));
			gotnewvpm = 1;
		} else {
			VPM_DEBUG(vpmd_contend);
			mutex_exit(vmtx);
		}
		mutex_exit(pmtx);

		if (gotnewvpm) {
			/* Take vpm off the alloc queue (moving the head if first). */
			if (first == vpm) {
				ASSERT(first == allocq->vpmq_free);
				allocq->vpmq_free = vpm->vpm_next;
			}
			if (allocq->vpmq_free == vpm) {
				allocq->vpmq_free = NULL;	/* the last one */
			} else {
				VT_RACY_STORE(vpm->vpm_prev->vpm_next,
				    vpm->vpm_next);
				vpm->vpm_next->vpm_prev = vpm->vpm_prev;
			}
			mutex_exit(&allocq->vpmq_mtx);
			vpm->vpm_prev = NULL;
			VT_RACY_STORE(vpm->vpm_next, (struct vpmap *)NULL);

			/* Disassociate the previous page (p_vpmref is a mapping). */
			if ((pp = vpm->vpm_pp) != NULL &&
			    vpm->vpm_vp == VT_RACY_LOAD(pp->p_vnode) &&
			    vpm->vpm_off == VT_RACY_LOAD(pp->p_offset))
				vpm_disassociate(vpm, pp);

			vpm->vpm_pp = newpage;
			vpm->vpm_vp = VT_RACY_LOAD(newpage->p_vnode);
			vpm->vpm_off = VT_RACY_LOAD(newpage->p_offset);
		} else {
			int steal = !VPM_MTBF(&steals, steals_mtbf);

			/*
			 * newpage has a vpmap already: lock it and check it
			 * still caches newpage (p_vpmref cannot change while
			 * we hold the page lock and its vpm_mtx).
			 */
			mutex_exit(&allocq->vpmq_mtx);
			vpm = VPMP(vpmref);
			vmtx = VPMAPMTX(vpm);
			mutex_enter(vmtx);
			if ((steal && vpm->vpm_refcnt == 0) ||
			    vpm->vpm_pp != newpage) {
				/* Stolen: clear p_vpmref and retry. */
				pmtx = PPMTX(newpage);
				mutex_enter(pmtx);
				if (VT_RACY_LOAD(newpage->p_vpmref) == vpmref)
					VT_RACY_STORE(newpage->p_vpmref,
					    (uint_t)0);
				mutex_exit(pmtx);
				mutex_exit(vmtx);
				VPM_DEBUG(vpmd_steals);
				goto retry_queue;
			} else if (vpm->vpm_refcnt == 0) {
				vpmap_rmfreelist(vpm);
			}
		}
		return (vpm);
	}
}

/*
 * Port of free_vpmap() (vpm.c 2009).  vpm_mtx held on entry and on return
 * (vpm_refcnt just dropped to 0).  Takes and drops the release queue's
 * vpmq_mtx, then (only if a sleeper was seen) vpm_freeq[0]'s to signal.
 * PORT: with vt_vpm_fix_signal (--vpm-fix signal) a sleeper is also woken
 * when the release queue was not empty (the candidate fix for the lost
 * wakeup described in doc/vpm.md).
 */
static void
free_vpmap(struct vpmap *vpm)
{
	struct vpmfree *vpmflp;
	struct vpmap *vpmfreelist;
	union vpm_freeq *releq;
	int want;

	ASSERT(MUTEX_HELD(VPMAPMTX(vpm)));
	if (vpm->vpm_refcnt != 0)
		panic("free_vpmap");

	vpmflp = &vpmd_free[vpm->vpm_free_ndx];
	/* The queues may flip before we get the lock: harmless. */
	releq = VT_RACY_LOAD(vpmflp->vpm_releq);
	if (releq == &vpmflp->vpm_freeq[0])
		vpm->vpm_ndxflg = 0;
	else
		vpm->vpm_ndxflg = 1;
	if (VT_INJECT(FREE_VPMAP_WRONG_NDXFLG))
		vpm->vpm_ndxflg ^= 1;
	mutex_enter(&releq->vpmq_mtx);
	vpmfreelist = releq->vpmq_free;
	if (vpmfreelist == NULL) {
		releq->vpmq_free = vpm;
		vpm->vpm_prev = vpm;
		VT_RACY_STORE(vpm->vpm_next, vpm);
		/* Snapshot vpm_want (set under both queue mutexes) first. */
		want = VT_RACY_LOAD(vpmflp->vpm_want);
		mutex_exit(&releq->vpmq_mtx);
	} else {
		VT_RACY_STORE(vpm->vpm_next, vpmfreelist);
		vpm->vpm_prev = vpmfreelist->vpm_prev;
		vpmfreelist->vpm_prev = vpm;
		VT_RACY_STORE(vpm->vpm_prev->vpm_next, vpm);
		want = vt_vpm_fix_signal ? VT_RACY_LOAD(vpmflp->vpm_want) : 0;
		mutex_exit(&releq->vpmq_mtx);
	}
	/* Re-check under vpm_freeq[0]'s mutex: another may have signalled. */
	if (want && !VT_INJECT(FREE_VPMAP_NO_SIGNAL)) {
		mutex_enter(&vpmflp->vpm_freeq[0].vpmq_mtx);
		if (VT_RACY_LOAD(vpmflp->vpm_want))
			cv_signal(&vpmflp->vpm_free_cv);
		mutex_exit(&vpmflp->vpm_freeq[0].vpmq_mtx);
	}
}

/*
 * Port of get_vpmap() (vpm.c 2009).  pp locked (at least SE_SHARED) by
 * the caller.  Returns pp's vpmap with vpm_refcnt bumped and no lock held.
 * Locks: vpm_mtx of the vpmap p_vpmref names (waits), then p_ilock or the
 * queue's vpmq_mtx (vpmap_rmfreelist); else get_free_vpmap's.
 */
static struct vpmap *
get_vpmap(page_t *pp)
{
	struct vpmap *vpm = NULL;
	kmutex_t *vmtx;
	kmutex_t *pmtx;
	unsigned int refid;

	ASSERT(pp != NULL && PAGE_LOCKED(pp));

	if (VPM_MTBF(&contend, contend_mtbf) &&
	    (refid = VT_RACY_LOAD(pp->p_vpmref)) != 0) {
		vpm = VPMP(refid);
		vmtx = VPMAPMTX(vpm);
		mutex_enter(vmtx);
		/* With the page lock and vpm_mtx, p_vpmref cannot change. */
		if (vpm->vpm_pp != pp && !VT_INJECT(GET_VPMAP_NO_RECHECK)) {
			/* Stale (the page was stolen): clear it. */
			pmtx = PPMTX(pp);
			mutex_enter(pmtx);
			if (VT_RACY_LOAD(pp->p_vpmref) == refid)
				VT_RACY_STORE(pp->p_vpmref, (uint_t)0);
			mutex_exit(pmtx);
			mutex_exit(vmtx);
			vpm = NULL;
		} else if (vpm->vpm_refcnt == 0) {
			vpmap_rmfreelist(vpm);
		}
	}
	if (vpm == NULL) {
		vpm = get_free_vpmap(pp);	/* returns with vpm_mtx held */
		vmtx = VPMAPMTX(vpm);
		vpmd_cpu[CPU->cpu_seqid].vcpu.vcpu_misses++;
	} else {
		vpmd_cpu[CPU->cpu_seqid].vcpu.vcpu_hits++;
	}

	vpm->vpm_refcnt++;
	mutex_exit(vmtx);
	return (vpm);
}

/*
 * Port of vpm_pagecreate() (vpm.c 2009).  Find or create the pages of
 * [baseoff, baseoff+len): found ones SE_SHARED, created ones SE_EXCL (the
 * i/o lock dropped); each gets its vpmap.  Returns with the pages locked.
 * Locks: page_lookup's and page_create_va's, get_vpmap's.
 */
static int
vpm_pagecreate(struct vnode *vp, u_offset_t baseoff, size_t len,
    vmap_t vml[], int nseg, int *newpage)
{
	page_t *pp = NULL;
	caddr_t base;
	u_offset_t off = baseoff;
	int i;

	ASSERT(nseg >= MINVMAPS && nseg <= MAXVMAPS);
	(void) nseg;
	for (i = 0; len > 0; len -= PAGESIZE, i++) {
		struct vpmap *vpm;

		if ((pp = page_lookup(vp, off, SE_SHARED)) == NULL) {
			base = segkpm_create_va(off);
			if ((pp = page_create_va(vp, off, PAGESIZE, PG_WAIT,
			    segkmap, base)) == NULL)
				panic("segmap_pagecreate_vpm: page_create failed");
			if (newpage != NULL)
				*newpage = 1;
			page_io_unlock(pp);
		}

		if (vpm_cache_enable) {
			vpm = get_vpmap(pp);
			vml[i].vs_data = (void *)&vpm->vpm_pp;
		} else {
			vml[i].vs_data = (void *)pp;
			VT_RACY_STORE(pp->p_vpmref, (uint_t)0);
		}
		vml[i].vs_addr = hat_kpm_mapin(pp, 0);
		vml[i].vs_len = PAGESIZE;
		off += PAGESIZE;
	}
	vml[i].vs_data = NULL;
	vml[i].vs_addr = NULL;
	return (0);
}

/*
 * Port of vpm_map_pages() (vpm.c 2009).  Map the pages of [off, off+len)
 * (rounded to pages, at most VPMMAXPGS and nseg-1 of them) into vml[],
 * locked SE_SHARED (created ones SE_EXCL when !fetchpage).  Locks: page
 * locks (waits in page_lookup); drops every page lock it took before
 * VOP_GETPAGE (which takes them again); get_vpmap's.
 */
int
vpm_map_pages(struct vnode *vp, u_offset_t off, size_t len, int fetchpage,
    vmap_t *vml, int nseg, int *newpage, enum seg_rw rw)
{
	u_offset_t baseoff;
	uint_t prot;
	caddr_t base;
	page_t *pp, *pplist[MAXVMAPS];
	struct vpmap *vpm;
	int i, error = 0;
	size_t tlen;

	ASSERT(nseg >= MINVMAPS && nseg <= MAXVMAPS);
	baseoff = off & PAGEMASK;
	vml[0].vs_data = NULL;
	vml[0].vs_addr = NULL;

	tlen = ((off + len + PAGEOFFSET) & PAGEMASK) - baseoff;
	if (tlen > VPMMAXPGS * PAGESIZE)
		tlen = VPMMAXPGS * PAGESIZE;
	/* One vml[] entry ends the list. */
	if (tlen > (size_t)(nseg - 1) * PAGESIZE)
		tlen = (size_t)(nseg - 1) * PAGESIZE;
	len = tlen;

	if (vp->v_type == VBLK)
		vp = common_specvp(vp);

	if (!fetchpage)
		return (vpm_pagecreate(vp, baseoff, len, vml, nseg, newpage));

	for (i = 0; len > 0; len -= PAGESIZE, i++, pplist[i] = NULL) {
		pp = page_lookup(vp, baseoff, SE_SHARED);
		/*
		 * Missing, not in the vpm cache, or a write to a page not yet
		 * referenced and modified: let VOP_GETPAGE get them all.
		 */
		if (pp == NULL ||
		    (vpm_cache_enable && VT_RACY_LOAD(pp->p_vpmref) == 0) ||
		    (rw == S_WRITE && hat_page_getattr(pp, P_MOD | P_REF) !=
		    (P_MOD | P_REF))) {
			int j;

			if (pp != NULL)
				page_unlock(pp);
			for (j = 0; j < i; j++)
				page_unlock(pplist[j]);
			baseoff = off & PAGEMASK;
			base = segkpm_create_va(baseoff);
			error = VOP_GETPAGE(vp, baseoff, tlen, &prot, pplist,
			    tlen, segkmap, base, rw, CRED(), NULL);
			if (error) {
				VPM_DEBUG(vpmd_getpagefailed);
				pplist[0] = NULL;
			}
			break;
		} else {
			pplist[i] = pp;
			baseoff += PAGESIZE;
		}
	}

	if (error) {
		for (i = 0; pplist[i] != NULL; i++) {
			page_unlock(pplist[i]);
			pplist[i] = NULL;
		}
		vml[0].vs_addr = NULL;
		vml[0].vs_data = NULL;
		return (error);
	}

	for (i = 0; pplist[i] != NULL; i++) {
		if (vpm_cache_enable) {
			vpm = get_vpmap(pplist[i]);
			vml[i].vs_data = (void *)&vpm->vpm_pp;
		} else {
			vml[i].vs_data = (void *)pplist[i];
			VT_RACY_STORE(pplist[i]->p_vpmref, (uint_t)0);
		}
		vml[i].vs_addr = hat_kpm_mapin(pplist[i], 0);
		vml[i].vs_len = PAGESIZE;
	}
	vml[i].vs_data = NULL;
	vml[i].vs_addr = NULL;
	return (0);
}

/*
 * Port of vpm_unmap_pages() (vpm.c 2009).  Mark each page referenced (and
 * modified for S_WRITE), unlock it and drop its vpmap's reference,
 * freeing the vpmap at zero.  Locks: drops each page lock; takes vpm_mtx
 * (and free_vpmap's locks under it); without the cache, page_release's.
 */
void
vpm_unmap_pages(vmap_t vml[], enum seg_rw rw)
{
	int i;
	struct vpmap *vpm;
	kmutex_t *mtx;
	page_t *pp;

	for (i = 0; vml[i].vs_data != NULL; i++) {
		ASSERT(IS_KPM_ADDR(vml[i].vs_addr));
		if (vpm_cache_enable)
			pp = *((page_t **)vml[i].vs_data);
		else
			pp = (page_t *)vml[i].vs_data;

		/* vpm pages take no faults, so set ref/mod here. */
		if (rw == S_WRITE) {
			if (!VT_INJECT(VPM_UNMAP_NO_SETMOD))
				hat_setrefmod(pp);
			else
				hat_setref(pp);
		} else {
			ASSERT(rw == S_READ);
			hat_setref(pp);
		}

		if (vpm_cache_enable) {
			vpm = (struct vpmap *)(void *)((char *)vml[i].vs_data -
			    offsetof(struct vpmap, vpm_pp));
			hat_kpm_mapout(pp, 0, vml[i].vs_addr);
			page_unlock(pp);
			mtx = VPMAPMTX(vpm);
			mutex_enter(mtx);
			if (--vpm->vpm_refcnt == 0)
				free_vpmap(vpm);
			mutex_exit(mtx);
		} else {
			hat_kpm_mapout(pp, 0, vml[i].vs_addr);
			(void) page_release(pp, 1);
		}
		vml[i].vs_data = NULL;
		vml[i].vs_addr = NULL;
	}
}

/*
 * Port of vpm_data_copy() (vpm.c 2009).  Map the pages of [off, off+len),
 * uiomove through them, zero the start of the first page (zerostart) and
 * the uncopied tail of created pages, unmap.  Locks: vpm_map_pages' and
 * vpm_unmap_pages'; returns holding none.
 */
int
vpm_data_copy(struct vnode *vp, u_offset_t off, size_t len, struct uio *uio,
    int fetchpage, int *newpage, int zerostart, enum seg_rw rw)
{
	int error;
	struct vmap vml[MINVMAPS];
	enum uio_rw uiorw;
	int npages = 0;

	uiorw = (rw == S_WRITE) ? UIO_WRITE : UIO_READ;
	error = vpm_map_pages(vp, off, (uint_t)len, fetchpage, vml, MINVMAPS,
	    &npages, rw);
	if (newpage != NULL)
		*newpage = npages;
	if (!error) {
		int i, pn, slen = (int)len;
		int pon = (int)(off & PAGEOFFSET);

		if (!fetchpage && zerostart) {
			kzero(vml[0].vs_addr, (uint_t)pon);
			VPM_DEBUG(vpmd_zerostart);
		}
		for (i = 0; !error && slen > 0 && vml[i].vs_addr != NULL; i++) {
			pn = (int)MIN((size_t)slen, PAGESIZE - (size_t)pon);
			error = uiomove(vml[i].vs_addr + pon, (size_t)pn, uiorw,
			    uio);
			slen -= pn;
			pon = 0;
		}
		/* New pages: zero what the copy did not reach. */
		if (!fetchpage && npages &&
		    uio->uio_loffset < ((off + len + PAGEOFFSET) & PAGEMASK)) {
			int nzero;

			pon = (int)(uio->uio_loffset & PAGEOFFSET);
			nzero = (int)PAGESIZE - pon;
			i = (int)((uio->uio_loffset - (off & PAGEMASK)) /
			    PAGESIZE);
			kzero(vml[i].vs_addr + pon, (uint_t)nzero);
		}
		vpm_unmap_pages(vml, rw);
	}
	return (error);
}

/*
 * Port of vpm_sync_pages() (vpm.c 2009).  Flush [off, off+len) with
 * VOP_PUTPAGE when flags ask for more than SM_DONTNEED.  Locks:
 * VOP_PUTPAGE's (page locks SE_EXCL in turn).
 */
int
vpm_sync_pages(struct vnode *vp, u_offset_t off, size_t len, uint_t flags)
{
	int bflags = 0;
	int error = 0;
	size_t psize = (len + PAGEOFFSET) & PAGEMASK;

	if (vp->v_type == VBLK)
		vp = common_specvp(vp);

	if ((flags & ~SM_DONTNEED) != 0) {
		if (flags & SM_ASYNC)
			bflags |= B_ASYNC;
		if (flags & SM_INVAL)
			bflags |= B_INVAL;
		if (flags & SM_DESTROY)
			bflags |= (B_INVAL | B_TRUNC);
		if (flags & SM_FREE)
			bflags |= B_FREE;
		if (flags & SM_DONTNEED)
			bflags |= B_DONTNEED;
		error = VOP_PUTPAGE(vp, off, psize, bflags, CRED(), NULL);
	}
	return (error);
}
