/*
 * vpm.h - the vnode page mapping (vpm) cache of illumos (vpm.c 2009, the
 * SEGKPM_SUPPORT path), ported onto the simulated page cache
 * (pagecache.h): its structures (digest 5.1-5.3), tunables, VPM_DEBUG
 * counters and entry points.
 *
 * Lock order (from the call sites): page lock -> vpm_mtx -> vpmq_mtx
 * (VPMAP_RMFREELIST) and vpm_mtx -> p_ilock; a queue's vpmq_mtx is held
 * while trying (never waiting for) a vpm_mtx and while taking p_ilock of
 * the new page in get_free_vpmap; the alloc queue's vpmq_mtx is held while
 * trying the release queue's.
 */
#ifndef VT_CORE_VPM_H
#define VT_CORE_VPM_H

#include <stdbool.h>
#include <stdint.h>

#include "pagecache.h"
#include "sys.h"
#include "vnode.h"

/* Constants (digest 5.3). */
#define VPMAP_MINCACHE	(64UL * 1024 * 1024)
#define VPMAP_MAXCACHE	(256UL * 1024 * 1024 * 1024)
#define VPMCACHE_LRU	0
#define VPMCACHE_RANDOM	1
#define VPM_FETCHPAGE	0x01
#define VPMMAXLEN	(128 * 1024)
#define MINVMAPS	3
#define VPMMAXPGS	(VPMMAXLEN / 4096)
#define MAXVMAPS	(VPMMAXPGS + 1)
#define VPMALLOCQ	0
#define VPMRELEQ	1
#define VPM_FREEQ_PAD	64

/* SM_* flags of vpm_sync_pages (seg_map.h, digest 5.5). */
#define SM_WRITE	0x01
#define SM_ASYNC	0x02
#define SM_FREE		0x04
#define SM_INVAL	0x08
#define SM_DONTNEED	0x10
#define SM_DESTROY	0x20

/* One cached page (digest 5.1). */
struct vpmap {
	kmutex_t	vpm_mtx;	/* protects the non-list fields */
	struct vnode	*vpm_vp;	/* vpm_mtx */
	/*
	 * Free-list links, NULL when on no queue: the queue's vpmq_mtx, and
	 * vpm_mtx to set them NULL or to link the vpmap in.  vpm_next is also
	 * tested under vpm_mtx alone (VPMAP_RMFREELIST): all its stores are
	 * VT_RACY_STORE.
	 */
	struct vpmap	*vpm_next;
	struct vpmap	*vpm_prev;
	u_offset_t	vpm_off;	/* vpm_mtx */
	page_t		*vpm_pp;	/* vpm_mtx */
	ushort_t	vpm_refcnt;	/* vpm_mtx */
	ushort_t	vpm_ndxflg;	/* queue it is on (VPMALLOCQ/RELEQ); vpm_mtx */
	ushort_t	vpm_free_ndx;	/* its freelist; immutable */
};

/* One queue, padded to a cache line (digest 5.2). */
union vpm_freeq {
	struct {
		struct vpmap	*vpmsq_free;	/* head; vpmsq_mtx */
		kmutex_t	vpmsq_mtx;
	} vpmfq;
	char	vpmq_pad[VPM_FREEQ_PAD > sizeof (kmutex_t) + 8 ?
	    VPM_FREEQ_PAD : 2 * VPM_FREEQ_PAD];
};
#define vpmq_free	vpmfq.vpmsq_free
#define vpmq_mtx	vpmfq.vpmsq_mtx

struct vpmfree {
	union vpm_freeq	vpm_freeq[2];
	/*
	 * Queue pointers, flipped with both queue mutexes held; read
	 * without a lock (VT_RACY).
	 */
	union vpm_freeq	*vpm_allocq;
	union vpm_freeq	*vpm_releq;
	kcondvar_t	vpm_free_cv;	/* with vpm_freeq[0].vpmq_mtx */
	/*
	 * Sleepers: incremented with both queue mutexes, decremented with
	 * vpm_freeq[0]'s, snapshot under the release queue's: VT_RACY.
	 */
	ushort_t	vpm_want;
};

/* Scatter/gather element (digest 5.3). */
typedef struct vmap {
	caddr_t		vs_addr;	/* NULL ends the list */
	size_t		vs_len;
	void		*vs_data;	/* &vpm->vpm_pp, or the page_t */
} vmap_t;

/* Tunables (set before vpm_init; immutable during a run). */
extern int	vpm_enable;
extern int	vpm_cache_enable;
extern long	vpm_cache_percent;
extern long	vpm_cache_size;		/* bytes, set by vpm_init */
extern int	vpm_nfreelist;
extern int	vpmd_freemsk;
extern int	vpm_cachemode;
extern int	kpm_enable;
extern int	max_ncpus;
/* PORT: --vpm-cache-pages N replaces the percentage sizing (0: percent). */
extern long	vt_vpm_cache_pages;
/* Candidate fix for the lost wakeup in free_vpmap (--vpm-fix signal). */
extern bool	vt_vpm_fix_signal;

/* VPM_MTBF knobs (--steals-mtbf, --contend-mtbf); 0 turns one off. */
extern int	steals_mtbf;
extern int	contend_mtbf;

/* VPM_DEBUG counters; relaxed atomics. */
#define VT_VPM_DEBUG_FIELDS(X) \
	X(vpmd_steals) X(vpmd_contend) X(vpmd_prevpagelocked) \
	X(vpmd_getpagefailed) X(vpmd_zerostart) X(vpmd_emptyfreelist) \
	X(vpmd_nofreevpms)
struct vpm_debug {
#define VT_VPM_DEBUG_DECL(f) uint64_t f;
	VT_VPM_DEBUG_FIELDS(VT_VPM_DEBUG_DECL)
#undef VT_VPM_DEBUG_DECL
	uint64_t	vt_flips;	/* harness: allocq/releq flips */
	uint64_t	vt_skips;	/* harness: vpm_mtx tryenter failures */
	uint64_t	vt_releq_busy;	/* harness: releq tryenter failures */
};
extern struct vpm_debug vpm_debug;

/* The cache, for the audit and the reports (world stopped). */
extern struct vpmap *vpmd_vpmap;
extern struct vpmfree *vpmd_free;
extern long	vt_vpm_npages;		/* vpmaps in vpmd_vpmap */
#define VPMP(id)	(&vpmd_vpmap[(id) - 1])
#define VPMID(vpm)	((uint_t)(((vpm) - vpmd_vpmap) + 1))
/* Hits and misses summed over the per-CPU slots (world stopped). */
void vt_vpm_hits_misses(uint64_t *hits, uint64_t *misses);

/* Port of vpm_init(); vt_vpm_fini frees what it made (boot thread). */
void vpm_init(void);
void vt_vpm_fini(void);

int vpm_map_pages(struct vnode *vp, u_offset_t off, size_t len, int fetchpage,
    vmap_t *vml, int nseg, int *newpage, enum seg_rw rw);
void vpm_unmap_pages(vmap_t vml[], enum seg_rw rw);
int vpm_sync_pages(struct vnode *vp, u_offset_t off, size_t len,
    uint_t flags);
int vpm_data_copy(struct vnode *vp, u_offset_t off, size_t len,
    struct uio *uio, int fetchpage, int *newpage, int zerostart,
    enum seg_rw rw);

#endif /* VT_CORE_VPM_H */
