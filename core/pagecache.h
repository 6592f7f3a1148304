/*
 * pagecache.h - the simulated file page cache under the vpm port: the page
 * hash of each vnode, page_lookup (SE_SHARED / SE_EXCL), page_create_va
 * with the i/o lock, page_release, VOP_GETPAGE / VOP_PUTPAGE over the
 * vnode's backing bytes, hat_kpm_mapin/mapout, p_ilock, the page daemon's
 * reclaim (hat_pageunload clears p_vpmref, digest 5.4), and a uio.
 *
 * Stand-ins keep the kernel's contract as the digest (4.2, 5.4, 5.5)
 * gives it; the rest is harness code (vt_ names).
 *
 * Locking (order: page lock -> ph_mutex -> page_freelist; p_ilock is a
 * leaf taken with a page lock or a vpm_mtx held):
 *   ph_mutex[] (lock table "ph_mutex", hashed by vnode and offset) - the
 *       v_pages[] slots and the cachelist mark of the pages hashed there.
 *   p_ilock (lock table "p_ilock", one per frame) - p_vpmref.
 *   p_selock - the page lock; the i/o lock mark belongs to its EXCL holder.
 */
#ifndef VT_CORE_PAGECACHE_H
#define VT_CORE_PAGECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "page.h"
#include "sys.h"
#include "vnode.h"

#define PAGEOFFSET	MMU_PAGEOFFSET
#define PAGEMASK	MMU_PAGEMASK

/* page_create_va flags (digest 4.2). */
#define PG_EXCL		0x1
#define PG_WAIT		0x2

/* page_release results. */
#define PGREL_NOTREL	1
#define PGREL_CLEAN	2
#define PGREL_MOD	3

/* VOP_PUTPAGE flags (sys/buf.h, digest 5.5). */
#define B_ASYNC		0x000400
#define B_DONTNEED	0x002000
#define B_FREE		0x008000
#define B_INVAL		0x010000
#define B_TRUNC		0x100000

enum seg_rw { S_OTHER = 0, S_READ = 1, S_WRITE = 2 };

/* Opaque stand-ins the interfaces carry for shape (always NULL here). */
struct seg;
struct cred;
struct kpme;
extern struct seg *segkmap;
#define CRED()	((struct cred *)NULL)

/* Boot and tear down (boot thread; the machine exists). */
void vt_pagecache_init(void);
void vt_pagecache_fini(void);

/* PPMTX(pp): the page's p_ilock. */
kmutex_t *vt_page_ilock(const page_t *pp);
#define PPMTX(pp)	(vt_page_ilock(pp))

/*
 * Stand-in for page_lookup(): the page of (vp, off) locked as se, or NULL.
 * Takes the ph_mutex; if the page is busy, drops it, waits for the page
 * lock and revalidates the page's identity under the ph_mutex again.
 * Takes the page off the cachelist.
 */
page_t *page_lookup(vnode_t *vp, u_offset_t off, se_t se);
/* Stand-in for page_lookup_nowait(): as above, NULL if the page is busy. */
page_t *page_lookup_nowait(vnode_t *vp, u_offset_t off, se_t se);
/*
 * Stand-in for page_create_va(): one page of (vp, off), SE_EXCL with its
 * i/o lock held; a new frame is filled with a poison pattern (the kernel
 * does not clear it).  If the page exists by the time it hashes the new
 * one in, it returns that one instead, locked the same way.  PG_WAIT waits
 * for a free frame; without it NULL when none.  Takes ph_mutex and
 * page_freelist.
 */
page_t *page_create_va(vnode_t *vp, u_offset_t off, size_t len, uint_t flags,
    struct seg *seg, caddr_t vaddr);
void page_io_unlock(page_t *pp);	/* SE_EXCL held, i/o lock held */
int page_tryupgrade(page_t *pp);	/* SE_SHARED held by the caller */
void page_downgrade(page_t *pp);	/* SE_EXCL held */
/*
 * Stand-in for page_release(): pp locked (any mode) on entry, unlocked on
 * return.  An unmapped page that can be held exclusively goes to the
 * cachelist (PGREL_CLEAN) unless checkmod and modified (PGREL_MOD).
 */
int page_release(page_t *pp, int checkmod);
/* True if pp is on the cachelist (reports; ph_mutex or world stopped). */
bool vt_page_on_cachelist(const page_t *pp);

/* kpm (digest 5.4): every frame is addressed at its fixed kpm address. */
caddr_t hat_kpm_mapin(page_t *pp, struct kpme *kpme);
void hat_kpm_mapout(page_t *pp, struct kpme *kpme, caddr_t vaddr);
bool vt_is_kpm_addr(const void *addr);
#define IS_KPM_ADDR(a)	(vt_is_kpm_addr(a))
caddr_t segkpm_create_va(u_offset_t off);

/* hat_setref / hat_setrefmod: the ref (and mod) bits of p_nrm. */
void hat_setref(page_t *pp);
void hat_setrefmod(page_t *pp);

/*
 * VOP_GETPAGE: pages of [off, off+len) (at most plsz bytes) SE_SHARED in
 * pl[], NULL-terminated; missing ones are created and read from the
 * vnode's bytes.  VOP_PUTPAGE: write the modified pages of [off, off+len)
 * (len 0: the whole file) back, each held SE_EXCL meanwhile; B_ASYNC
 * skips busy pages, B_INVAL/B_FREE evict them afterwards.  0 or an errno.
 */
int VOP_GETPAGE(vnode_t *vp, u_offset_t off, size_t len, uint_t *protp,
    page_t *pl[], size_t plsz, struct seg *seg, caddr_t addr, enum seg_rw rw,
    struct cred *cr, void *ct);
int VOP_PUTPAGE(vnode_t *vp, u_offset_t off, size_t len, int flags,
    struct cred *cr, void *ct);

/*
 * The page daemon on one page: page_lookup_nowait(SE_EXCL), write it back
 * if modified, hat_pageunload (which clears p_vpmref), hash it out and free
 * the frame.  Returns true if the page was evicted.  Takes the page lock,
 * ph_mutex, page_freelist and what hat_pageunload takes.
 */
bool vt_page_reclaim(vnode_t *vp, u_offset_t off);

/* Counters (relaxed atomics; read after the run). */
struct vt_pagecache_stats {
	uint64_t	lookups, lookup_hits, lookup_waits, creates, create_races;
	uint64_t	getpages, getpage_reads, putpages, writebacks, reclaims;
	uint64_t	rel_clean, rel_mod, rel_notrel;
};
extern struct vt_pagecache_stats vt_pcstat;

/* A simulated uio (one iovec is all vpm_data_copy's callers use). */
enum uio_rw { UIO_READ = 0, UIO_WRITE = 1 };
struct iovec {
	caddr_t		iov_base;
	size_t		iov_len;
};
typedef struct uio {
	struct iovec	*uio_iov;
	int		uio_iovcnt;
	u_offset_t	uio_loffset;	/* file offset, advanced by uiomove */
	ssize_t		uio_resid;
} uio_t;
/* Stand-in for uiomove(): copy n bytes between p and the uio.  0 or EFAULT. */
int uiomove(void *p, size_t n, enum uio_rw rw, uio_t *uio);
void kzero(void *p, size_t n);

#endif /* VT_CORE_PAGECACHE_H */
