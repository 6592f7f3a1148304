/*
 * pagecache.c - the simulated file page cache (pagecache.h).
 *
 * Stand-ins for vm_page.c / a file system's getpage/putpage, written from
 * the contracts in the digest (4.2, 5.4, 5.5), plus the page daemon's
 * reclaim of one page.  Harness code except the kernel-named routines.
 *
 * Locking: see pagecache.h.  Page contents are real bytes in the frame
 * (vt_frame_va); they are written only by a holder of the page lock that
 * also holds whatever the caller uses to keep writers apart (the
 * scenario's range locks), and copied to and from the vnode's bytes only
 * while the page is held SE_EXCL.
 */
#include "pagecache.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>

#include "hat.h"
#include "../locks/locktable.h"

#define PH_LOCKS	64		/* ph_mutex table size */
#define VT_PAGE_POISON	0xa5		/* what a new frame holds */
#define SEGKPM_BASE	0xfffffe0000000000UL	/* dummy colouring VAs */

struct seg *segkmap;			/* never dereferenced */
struct vt_pagecache_stats vt_pcstat;

static struct vt_lock_class *ph_class;		/* "ph_mutex" */
static struct vt_lock_class *ilock_class;	/* "p_ilock", one per frame */
/* Per frame: on the cachelist (ph_mutex of its hash slot; VT_PEEK by reports). */
static uint8_t *pc_cachelist;
/* Per frame: i/o lock held (owner of SE_EXCL only). */
static uint8_t *pc_iolock;

#define PC_INC(f)	__atomic_add_fetch(&vt_pcstat.f, 1, __ATOMIC_RELAXED)

void
vt_pagecache_init(void)
{
	uint32_t n = 1;

	while (n < vt_npages)
		n <<= 1;
	ph_class = vt_locktable_create("ph_mutex", PH_LOCKS);
	ilock_class = vt_locktable_create("p_ilock", n);
	pc_cachelist = calloc(vt_npages, 1);
	pc_iolock = calloc(vt_npages, 1);
	if (pc_cachelist == NULL || pc_iolock == NULL)
		panic("vt_pagecache_init: out of host memory");
	memset(&vt_pcstat, 0, sizeof (vt_pcstat));
}

void
vt_pagecache_fini(void)
{
	if (ph_class == NULL)
		return;
	vt_locktable_destroy(ph_class);
	vt_locktable_destroy(ilock_class);
	ph_class = ilock_class = NULL;
	free(pc_cachelist);
	free(pc_iolock);
	pc_cachelist = pc_iolock = NULL;
}

kmutex_t *
vt_page_ilock(const page_t *pp)
{
	return (vt_locktable_lock(ilock_class, pp->p_pagenum));
}

static kmutex_t *
ph_mutex(const vnode_t *vp, uint64_t pg)
{
	return (vt_locktable_lock(ph_class, (uint64_t)vp->v_id * 31 + pg));
}

static uint64_t
page_index(const vnode_t *vp, u_offset_t off)
{
	uint64_t pg = off >> PAGESHIFT;

	if (pg >= vp->v_npages)
		panic("page of vnode %u at offset %#" PRIx64 ": beyond its %u "
		    "pages", vp->v_id, off, vp->v_npages);
	return (pg);
}

/*
 * Lock the page hashed at (vp, pg) as se; ph_mutex held on entry and on
 * return.  wait: if the page is busy, drops ph_mutex, waits for the page
 * lock, retakes ph_mutex and revalidates (the page may have been hashed
 * out and reused meanwhile).  Returns the page locked, or NULL (none
 * hashed there, or busy and !wait).
 */
static page_t *
lock_hashed(vnode_t *vp, uint64_t pg, se_t se, bool wait, kmutex_t *ph)
{
	page_t *pp;

	ASSERT(MUTEX_HELD(ph));
	for (;;) {
		pp = vp->v_pages[pg];
		if (pp == NULL)
			return (NULL);
		if (page_trylock(pp, se))
			return (pp);
		if (!wait)
			return (NULL);
		PC_INC(lookup_waits);
		mutex_exit(ph);
		page_lock(pp, se);
		mutex_enter(ph);
		if (vp->v_pages[pg] == pp)
			return (pp);
		page_unlock(pp);	/* hashed out meanwhile: look again */
	}
}

static page_t *
lookup_common(vnode_t *vp, u_offset_t off, se_t se, bool wait)
{
	uint64_t pg = page_index(vp, off);
	kmutex_t *ph = ph_mutex(vp, pg);
	page_t *pp;

	PC_INC(lookups);
	mutex_enter(ph);
	pp = lock_hashed(vp, pg, se, wait, ph);
	if (pp != NULL) {
		PC_INC(lookup_hits);
		pc_cachelist[pp->p_pagenum] = 0;	/* page_reclaim */
	}
	mutex_exit(ph);
	return (pp);
}

/* Stand-in for page_lookup().  Locks: see pagecache.h. */
page_t *
page_lookup(vnode_t *vp, u_offset_t off, se_t se)
{
	return (lookup_common(vp, off, se, true));
}

/* Stand-in for page_lookup_nowait(). */
page_t *
page_lookup_nowait(vnode_t *vp, u_offset_t off, se_t se)
{
	return (lookup_common(vp, off, se, false));
}

/*
 * Give back a frame that never became (or is no longer) a file page: its
 * identity is cleared, its lock dropped, the frame freed.  pp held
 * SE_EXCL on entry, not hashed; takes page_freelist.
 */
static void
frame_discard(page_t *pp)
{
	ASSERT(PAGE_EXCL(pp));
	VT_RACY_STORE(pp->p_vnode, (struct vnode *)NULL);
	VT_RACY_STORE(pp->p_offset, (u_offset_t)0);
	VT_RACY_STORE(pp->p_vpmref, (uint_t)0);
	hat_page_clrattr(pp, P_MOD | P_REF);
	pc_iolock[pp->p_pagenum] = 0;
	page_unlock(pp);
	vt_frame_free(pp);
}

/*
 * Stand-in for page_create_va() for one page (len == PAGESIZE).  Locks:
 * see pagecache.h.  PORT: the kernel's version walks several pages and
 * reserves memory first; one page and a yielding wait for a frame is all
 * vpm needs.  PORT: a page that appears in the hash first is returned
 * locked SE_EXCL instead of the new frame (the kernel's lookup-or-create).
 */
static page_t *
create_common(vnode_t *vp, u_offset_t off, uint_t flags, bool *created)
{
	uint64_t pg = page_index(vp, off);
	kmutex_t *ph = ph_mutex(vp, pg);
	page_t *pp, *np;

	*created = false;
	for (;;) {
		mutex_enter(ph);
		pp = lock_hashed(vp, pg, SE_EXCL, true, ph);
		mutex_exit(ph);
		if (pp != NULL) {
			PC_INC(create_races);
			pc_iolock[pp->p_pagenum] = 1;
			return (pp);
		}
		while ((np = vt_frame_alloc(VT_FRAME_DATA)) == NULL) {
			if (!(flags & PG_WAIT))
				return (NULL);
			vt_sched_point(VT_SP_YIELD, &freemem);
			(void) sched_yield();
		}
		/* A stale vpm may hold the old frame shared for a moment. */
		page_lock(np, SE_EXCL);
		VT_RACY_STORE(np->p_vnode, vp);
		VT_RACY_STORE(np->p_offset, off);
		memset(vt_frame_va(np->p_pagenum), VT_PAGE_POISON, PAGESIZE);
		pc_iolock[np->p_pagenum] = 1;
		mutex_enter(ph);
		if (vp->v_pages[pg] == NULL) {
			VT_RACY_STORE(vp->v_pages[pg], np);
			pc_cachelist[np->p_pagenum] = 0;
			mutex_exit(ph);
			PC_INC(creates);
			*created = true;
			return (np);
		}
		mutex_exit(ph);
		frame_discard(np);	/* lost the race: take the other one */
	}
}

page_t *
page_create_va(vnode_t *vp, u_offset_t off, size_t len, uint_t flags,
    struct seg *seg, caddr_t vaddr)
{
	bool created;

	ASSERT(len == PAGESIZE && (off & PAGEOFFSET) == 0);
	(void) len;
	(void) seg;
	(void) vaddr;
	return (create_common(vp, off, flags, &created));
}

/* Stand-in for page_io_unlock().  pp held SE_EXCL with its i/o lock. */
void
page_io_unlock(page_t *pp)
{
	ASSERT(PAGE_EXCL(pp));
	if (pc_iolock[pp->p_pagenum] == 0)
		panic("page_io_unlock: pfn %" PRIu64 " i/o lock not held",
		    pp->p_pagenum);
	pc_iolock[pp->p_pagenum] = 0;
}

/* Stand-in for page_tryupgrade(): SE_SHARED (the only holder) -> SE_EXCL. */
int
page_tryupgrade(page_t *pp)
{
	return (atomic_cas_32((volatile uint32_t *)&pp->p_selock, 1,
	    (uint32_t)-1) == 1);
}

/* Stand-in for page_downgrade(): SE_EXCL -> SE_SHARED. */
void
page_downgrade(page_t *pp)
{
	if (atomic_cas_32((volatile uint32_t *)&pp->p_selock, (uint32_t)-1,
	    1) != (uint32_t)-1)
		panic("page_downgrade: pfn %" PRIu64 " not held SE_EXCL",
		    pp->p_pagenum);
}

/*
 * Stand-in for page_release() (digest 4.2).  pp locked on entry, unlocked
 * on return; takes the ph_mutex of its slot.  PORT: "dispose" puts the
 * page on the simulated cachelist: it stays hashed (page_lookup reclaims
 * it) and the page daemon may evict it.
 */
int
page_release(page_t *pp, int checkmod)
{
	vnode_t *vp;
	kmutex_t *ph;

	if (VT_RACY_LOAD(pp->p_mapping) != NULL ||
	    (!PAGE_EXCL(pp) && !page_tryupgrade(pp))) {
		page_unlock(pp);
		PC_INC(rel_notrel);
		return (PGREL_NOTREL);
	}
	if (checkmod && hat_page_getattr(pp, P_MOD)) {
		page_unlock(pp);
		PC_INC(rel_mod);
		return (PGREL_MOD);
	}
	vp = pp->p_vnode;
	if (vp != NULL) {
		ph = ph_mutex(vp, pp->p_offset >> PAGESHIFT);
		mutex_enter(ph);
		pc_cachelist[pp->p_pagenum] = 1;
		mutex_exit(ph);
	}
	page_unlock(pp);
	PC_INC(rel_clean);
	return (PGREL_CLEAN);
}

bool
vt_page_on_cachelist(const page_t *pp)
{
	return (VT_PEEK(pc_cachelist[pp->p_pagenum]) != 0);
}

/*
 * Port of the x86 hat_kpm_mapin() (hat_i86.c): the frame's fixed address.
 * No locks.  PORT: the kpm address is the frame's host memory.
 */
caddr_t
hat_kpm_mapin(page_t *pp, struct kpme *kpme)
{
	(void) kpme;
	ASSERT(PAGE_LOCKED(pp));
	return ((caddr_t)vt_frame_va(pp->p_pagenum));
}

/* Port of the x86 hat_kpm_mapout(): nothing to undo.  No locks. */
void
hat_kpm_mapout(page_t *pp, struct kpme *kpme, caddr_t vaddr)
{
	(void) pp;
	(void) kpme;
	ASSERT(IS_KPM_ADDR(vaddr));
}

bool
vt_is_kpm_addr(const void *addr)
{
	const char *a = addr, *base = vt_frame_va(0);

	return (a >= base && a < base + vt_npages * MMU_PAGESIZE);
}

/* Stand-in for segkpm_create_va(): a dummy colouring address. */
caddr_t
segkpm_create_va(u_offset_t off)
{
	return ((caddr_t)(uintptr_t)(SEGKPM_BASE + (off & PAGEMASK)));
}

void
hat_setref(page_t *pp)
{
	hat_page_setattr(pp, P_REF);
}

void
hat_setrefmod(page_t *pp)
{
	hat_page_setattr(pp, P_REF | P_MOD);
}

/* Read the page of (vp, pg) from the vnode's bytes.  pp held SE_EXCL. */
static void
page_read_disk(vnode_t *vp, uint64_t pg, page_t *pp)
{
	ASSERT(PAGE_EXCL(pp));
	memcpy(vt_frame_va(pp->p_pagenum), vp->v_disk + pg * PAGESIZE,
	    PAGESIZE);
	PC_INC(getpage_reads);
}

/* Write pp back to the vnode's bytes if modified.  pp held SE_EXCL. */
static void
page_write_disk(vnode_t *vp, uint64_t pg, page_t *pp)
{
	ASSERT(PAGE_EXCL(pp));
	if (!hat_page_getattr(pp, P_MOD))
		return;
	hat_page_clrattr(pp, P_MOD);
	memcpy(vp->v_disk + pg * PAGESIZE, vt_frame_va(pp->p_pagenum),
	    PAGESIZE);
	PC_INC(writebacks);
}

/*
 * Hash pp out of (vp, pg) and free its frame: the end of page_destroy.
 * pp held SE_EXCL, clean; takes ph_mutex, what hat_pageunload takes, and
 * page_freelist.
 */
static void
page_evict(vnode_t *vp, uint64_t pg, page_t *pp)
{
	kmutex_t *ph = ph_mutex(vp, pg);

	ASSERT(PAGE_EXCL(pp));
	/*
	 * PORT: x86 hat_pageunload clears p_vpmref while the page is held
	 * SE_EXCL (digest 5.4); core/hat_i86.c's port predates vpm, so its
	 * vpm half is done here.  No segment maps file pages in this
	 * harness, so the HAT half only runs if the HAT is booted.
	 */
	if (kas.a_hat != NULL)
		(void) hat_pageunload(pp, HAT_FORCE_PGUNLOAD);
	VT_RACY_STORE(pp->p_vpmref, (uint_t)0);
	mutex_enter(ph);
	ASSERT(vp->v_pages[pg] == pp);
	VT_RACY_STORE(vp->v_pages[pg], (page_t *)NULL);
	pc_cachelist[pp->p_pagenum] = 0;
	mutex_exit(ph);
	frame_discard(pp);
	PC_INC(reclaims);
}

/*
 * VOP_GETPAGE of the simulated file system.  Locks: page locks (blocking
 * waits in page_lookup and page_create_va), ph_mutex, page_freelist.
 * PORT: no read-ahead, no errors (the pages always exist on "disk").
 */
int
VOP_GETPAGE(vnode_t *vp, u_offset_t off, size_t len, uint_t *protp,
    page_t *pl[], size_t plsz, struct seg *seg, caddr_t addr, enum seg_rw rw,
    struct cred *cr, void *ct)
{
	u_offset_t o = off & PAGEMASK, end = off + len;
	size_t n = 0;
	page_t *pp;
	bool created;

	(void) rw;
	(void) seg;
	(void) addr;
	(void) cr;
	(void) ct;
	PC_INC(getpages);
	if (protp != NULL)
		*protp = 0x7;
	for (; o < end && (n + 1) * PAGESIZE <= plsz; o += PAGESIZE) {
		if ((pp = page_lookup(vp, o, SE_SHARED)) == NULL) {
			pp = create_common(vp, o, PG_WAIT, &created);
			/* A page someone else created holds its data already. */
			if (created)
				page_read_disk(vp, o >> PAGESHIFT, pp);
			page_io_unlock(pp);
			page_downgrade(pp);
		}
		pl[n++] = pp;
	}
	pl[n] = NULL;
	return (0);
}

/*
 * VOP_PUTPAGE of the simulated file system.  Locks: each page SE_EXCL in
 * turn (page_lookup waits unless B_ASYNC), ph_mutex, and page_evict's
 * locks for B_INVAL/B_FREE.  PORT: synchronous even with B_ASYNC.
 */
int
VOP_PUTPAGE(vnode_t *vp, u_offset_t off, size_t len, int flags,
    struct cred *cr, void *ct)
{
	uint64_t pg, first = off >> PAGESHIFT, last;
	page_t *pp;

	(void) cr;
	(void) ct;
	PC_INC(putpages);
	last = len == 0 ? vp->v_npages : (off + len + PAGEOFFSET) >> PAGESHIFT;
	if (last > vp->v_npages)
		last = vp->v_npages;
	for (pg = first; pg < last; pg++) {
		pp = (flags & B_ASYNC) ?
		    page_lookup_nowait(vp, pg << PAGESHIFT, SE_EXCL) :
		    page_lookup(vp, pg << PAGESHIFT, SE_EXCL);
		if (pp == NULL)
			continue;
		page_write_disk(vp, pg, pp);
		if (flags & (B_INVAL | B_FREE))
			page_evict(vp, pg, pp);
		else
			page_unlock(pp);
	}
	return (0);
}

bool
vt_page_reclaim(vnode_t *vp, u_offset_t off)
{
	uint64_t pg = page_index(vp, off);
	page_t *pp = page_lookup_nowait(vp, off & PAGEMASK, SE_EXCL);

	if (pp == NULL)
		return (false);
	page_write_disk(vp, pg, pp);
	page_evict(vp, pg, pp);
	return (true);
}

int
uiomove(void *p, size_t n, enum uio_rw rw, uio_t *uio)
{
	struct iovec *iov = uio->uio_iov;

	if (uio->uio_iovcnt != 1 || n > iov->iov_len ||
	    (ssize_t)n > uio->uio_resid)
		return (EFAULT);
	if (rw == UIO_READ)
		memcpy(iov->iov_base, p, n);
	else
		memcpy(p, iov->iov_base, n);
	iov->iov_base += n;
	iov->iov_len -= n;
	uio->uio_resid -= (ssize_t)n;
	uio->uio_loffset += n;
	return (0);
}

void
kzero(void *p, size_t n)
{
	memset(p, 0, n);
}
