/*
 * page.h - the simulated physical machine: page_t frames, page-table frame
 * memory, frame owner tags, freemem/throttlefree, page locks.
 *
 * Frames are numbered 0..npages-1 (pfn == index into `pages`).  Every frame
 * has 4 KiB of real memory at vt_frame_va(pfn) (mmap'd, zero-filled lazily),
 * so page tables are real 512-entry PTE arrays drawn from the same pool as
 * data pages.  Each frame carries an owner tag, so a stale PTP pointing at a
 * freed frame or at a data page is detectable.
 */
#ifndef VT_CORE_PAGE_H
#define VT_CORE_PAGE_H

#include "sys.h"
#include "hat_pte.h"

struct vnode;

typedef struct page {
	u_offset_t	p_offset;	/* identity in p_vnode; SE_EXCL to change, stores relaxed (vpm reads it unlocked) */
	struct vnode	*p_vnode;	/* as p_offset (core/pagecache.c) */
	int32_t		p_selock;	/* page lock: >0 readers, -1 writer; atomics */
	uint_t		p_vpmref;	/* VPMID of the vpmap caching it, 0: none; p_ilock (PPMTX), relaxed atomics (cleared SE_EXCL without it) */
	uchar_t		p_szc;		/* page size code; lowered by hat_page_demote (page SE_EXCL + root's mlist lock), raised by the harness with the leader SE_EXCL */
	uchar_t		p_state;	/* P_FREE...; frame allocator lock (stores relaxed: vpm's unlocked reads) */
	uchar_t		p_nrm;		/* P_REF/P_MOD/P_RO; atomic or (hat_page_setattr) */
	uchar_t		p_embed;	/* mlist lock; racy read in hment_steal (VT_RACY) */
	void		*p_mapping;	/* mlist lock; racy read in hment_steal (VT_RACY) */
	pfn_t		p_pagenum;	/* immutable */
	uint_t		p_share;	/* hment count; mlist lock */
	uint_t		p_mlentry;	/* embedded mapping's PTE index; mlist lock */
	/*
	 * PORT: stands for IS_VMODSORT(pp->p_vnode) (the HAT world's library
	 * pages have no vnode): set for them under --vmodsort on by the boot
	 * thread, cleared when the frame is freed; read-only meanwhile.
	 */
	uchar_t		p_vmodsort;
} page_t;

#define P_FREE		0x80
#define P_MOD		0x01
#define P_REF		0x02
#define P_RO		0x04
#define PP_ISFREE(pp)	((pp)->p_state & P_FREE)
/* The page's REF/MOD/RO bits (advisory reads, no schedule point). */
#define PP_GENERIC_ATTR(pp)	(VT_PEEK((pp)->p_nrm) & (P_MOD | P_REF | P_RO))
#define PP_ISMOD(pp)		(VT_PEEK((pp)->p_nrm) & P_MOD)
#define PP_ISREF(pp)		(VT_PEEK((pp)->p_nrm) & P_REF)
#define PP_ISRO(pp)		(VT_PEEK((pp)->p_nrm) & P_RO)

/* Frame owner tags (vt_frame_tag[pfn]); relaxed atomics. */
enum vt_frame_tag {
	VT_FRAME_FREE = 0,
	VT_FRAME_DATA = 1,		/* a data page handed to a scenario */
	VT_FRAME_PT = 2,		/* + level: page table of level 0..3 */
	VT_FRAME_NTAGS = VT_FRAME_PT + 4
};

extern page_t	*pages;			/* pages[pfn] */
extern pgcnt_t	vt_npages;		/* number of frames */
extern uint8_t	*vt_frame_tag;		/* per frame; relaxed atomics */
/*
 * Per frame: bumped each time the frame is freed, so a TLB entry that
 * captured it at fill time knows whether the frame is still the one it
 * translated to (core/tlb.c).  Relaxed atomics.
 */
extern uint32_t	*vt_frame_gen;
/*
 * Per frame, the contents of a data page modelled by versions: wver counts
 * the writes simulated CPUs made through a mapping (vt_frame_write), cver
 * is the version the page daemon last wrote back (vt_mmu_writeback).  A
 * page with wver != cver is dirty and must have P_MOD once the HAT has
 * synced its mappings' MOD bits into the page_t.  Both reset when the
 * frame is freed.  Relaxed atomics, no schedule point.
 */
extern uint32_t	*vt_frame_wver;
extern uint32_t	*vt_frame_cver;
extern uint64_t	freemem;		/* free frames; atomics / VT_RACY */
extern uint64_t	throttlefree;		/* ptable_alloc fails at or below it; immutable */
extern uint64_t	physmem;		/* == vt_npages */

/* Create the machine: npages frames, all free.  throttle: throttlefree. */
void vt_machine_init(pgcnt_t npages, uint64_t throttle);
void vt_machine_fini(void);

/* Memory of frame pfn (512 PTEs or 4 KiB of data). */
void *vt_frame_va(pfn_t pfn);

/*
 * Frame allocator (the free list; its own mutex "page_freelist").
 * vt_frame_alloc: NULL if no free frame.  The caller sets the tag.
 * vt_frame_alloc_run: n contiguous frames aligned to n (setup time only,
 * for large pages); NULL if impossible.
 */
page_t *vt_frame_alloc(enum vt_frame_tag tag);
page_t *vt_frame_alloc_run(pgcnt_t n, enum vt_frame_tag tag);
void vt_frame_free(page_t *pp);
static inline enum vt_frame_tag
vt_frame_tag_get(pfn_t pfn)
{
	return ((enum vt_frame_tag)VT_RACY_LOAD(vt_frame_tag[pfn]));
}

page_t *page_numtopp_nolock(pfn_t pfn);	/* NULL if out of range */
static inline pfn_t page_pptonum(page_t *pp) { return (pp->p_pagenum); }
page_t *page_first(void);
page_t *page_next(page_t *pp);		/* wraps to the first page */
uint_t page_get_pagecnt(uint_t szc);
/* Size code helpers (amd64 numbers). */
#define PAGE_BSZS_SHIFT(szc)	(LEVEL_SHIFT(szc) - MMU_PAGESHIFT)
#define SZCPAGES(szc)		((pgcnt_t)1 << PAGE_BSZS_SHIFT(szc))
#define PP_GROUPLEADER(pp, szc) \
	(&(pp)[-(int64_t)((pp)->p_pagenum & (SZCPAGES(szc) - 1))])

/* Page locks (SE_SHARED / SE_EXCL), blocking through schedule points. */
typedef enum { SE_SHARED = 0, SE_EXCL = 1 } se_t;
int page_trylock(page_t *pp, se_t se);
void page_lock(page_t *pp, se_t se);
void page_unlock(page_t *pp);
#define PAGE_LOCKED(pp)	(VT_PEEK((pp)->p_selock) != 0)
#define PAGE_SHARED(pp)	(VT_PEEK((pp)->p_selock) > 0)
#define PAGE_EXCL(pp)	(VT_PEEK((pp)->p_selock) < 0)

/* p_nrm updates (atomic or, like the kernel's). */
/*
 * A simulated CPU writes to frame pfn through a translation: called while
 * the translation is still usable (under the CPU's tlb_lock on a hit,
 * during the walk that set PT_MOD), so a completed shootdown orders it.
 */
static inline void
vt_frame_write(pfn_t pfn)
{
	(void) __atomic_fetch_add(&vt_frame_wver[pfn], 1, __ATOMIC_RELAXED);
}

void hat_page_setattr(page_t *pp, uint_t flag);
void hat_page_clrattr(page_t *pp, uint_t flag);
/* Write-protect every mapping of pp (core/hat_sync.c); pp locked. */
void hati_page_clrwrt(page_t *pp);
uint_t hat_page_getattr(page_t *pp, uint_t flag);

#endif /* VT_CORE_PAGE_H */
