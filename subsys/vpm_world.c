/*
 * vpm_world.c - the vpm workload (vpm_subsys.h): files on simulated vnodes,
 * readers and writers going through vpm_data_copy with a uio, a syncer
 * calling vpm_sync_pages, a page daemon evicting pages.
 *
 * Every byte a reader copies is compared with the reference copy of the
 * page (what the writers wrote, in the order the range locks gave them);
 * a difference fails the run as `vpm-data`.  Writers write the pattern of
 * (file, offset, version) and apply to the reference exactly what
 * vpm_data_copy promises: the copied bytes, plus zeroes before the start
 * (zerostart) and after the end of a created page.
 *
 * Harness code, not a port: it plays the file system's read/write paths
 * (range lock, then vpm) and the page daemon.  Lock order used here:
 * range locks (ascending) -> the port's locks.
 */
#include "vpm_subsys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/pagecache.h"
#include "../core/vpm.h"

struct vt_vpm_world vt_vpm_world;

/* role_state of a reader or writer: its buffers. */
struct vpm_worker_state {
	uint8_t		buf[2 * MMU_PAGESIZE];
};

void
vt_vpm_world_build(uint32_t nfiles, uint32_t npages)
{
	struct vt_vpm_world *vw = &vt_vpm_world;

	vw->vw_nfiles = nfiles;
	vw->vw_files = calloc(nfiles, sizeof (*vw->vw_files));
	if (vw->vw_files == NULL)
		panic("vt_vpm_world_build: out of host memory");
	for (uint32_t f = 0; f < nfiles; f++) {
		struct vt_vpm_file *vf = &vw->vw_files[f];

		vf->vf_vp = vt_vn_create(f + 1, npages);
		vf->vf_rl = calloc(npages, sizeof (krwlock_t));
		vf->vf_ref = malloc((size_t)npages * MMU_PAGESIZE);
		vf->vf_ver = calloc(npages, sizeof (uint32_t));
		if (vf->vf_rl == NULL || vf->vf_ref == NULL ||
		    vf->vf_ver == NULL)
			panic("vt_vpm_world_build: out of host memory");
		for (uint32_t p = 0; p < npages; p++)
			rw_init(&vf->vf_rl[p], NULL, 0, NULL);
		for (uint64_t x = 0; x < (uint64_t)npages * MMU_PAGESIZE; x++)
			vf->vf_ref[x] = vt_vpm_pattern(f + 1, x, 0);
		memcpy(vf->vf_vp->v_disk, vf->vf_ref,
		    (size_t)npages * MMU_PAGESIZE);
	}
}

void
vt_vpm_world_destroy(void)
{
	struct vt_vpm_world *vw = &vt_vpm_world;

	for (uint32_t f = 0; f < vw->vw_nfiles; f++) {
		struct vt_vpm_file *vf = &vw->vw_files[f];
		vnode_t *vp = vf->vf_vp;

		for (uint32_t p = 0; p < vp->v_npages; p++) {
			if (vp->v_pages[p] != NULL &&
			    !vt_page_reclaim(vp, (u_offset_t)p << PAGESHIFT))
				panic("vpm teardown: file %u page %u is still "
				    "locked", vp->v_id, p);
			rw_destroy(&vf->vf_rl[p]);
		}
		vt_vn_destroy(vp);
		free(vf->vf_rl);
		free(vf->vf_ref);
		free(vf->vf_ver);
	}
	free(vw->vw_files);
	memset(vw, 0, sizeof (*vw));
}

/*
 * A reader or writer may hold two vpmaps (vpm_data_copy maps up to
 * MINVMAPS - 1 pages) and sleep for a third: with fewer vpmaps than such
 * workers plus one, every one of them can hold one and sleep.
 */
int
vt_vpm_world_setup(const struct vt_config *c, char *err, size_t errlen)
{
	const struct vt_vpm_opts *o = vt_vpm_opts_c(c);
	uint32_t users = vt_config_role_count(c, "reader") +
	    vt_config_role_count(c, "writer");

	if (vpm_cache_enable && vt_vpm_npages <= (long)users) {
		snprintf(err, errlen, "--vpm-cache-pages %ld with %u readers "
		    "and writers: each may hold a vpmap while waiting for "
		    "another, so the cache needs at least %u", vt_vpm_npages,
		    users, users + 1);
		return (-1);
	}
	vt_vpm_world_build(o->vnodes, o->file_pages);
	return (0);
}

void
vt_vpm_world_teardown(void)
{
	vt_vpm_world_destroy();
}

void
vt_vpm_worker_init(struct vt_worker *w)
{
	w->role_state = calloc(1, sizeof (struct vpm_worker_state));
	if (w->role_state == NULL)
		panic("vt_vpm_worker_init: out of host memory");
}

void
vt_vpm_worker_fini(struct vt_worker *w)
{
	free(w->role_state);
	w->role_state = NULL;
}

static struct vt_vpm_file *
pick_file(struct vt_worker *w)
{
	return (&vt_vpm_world.vw_files[vt_worker_rand_below(w,
	    vt_vpm_world.vw_nfiles)]);
}

static void
uio_setup(uio_t *uio, struct iovec *iov, void *buf, size_t len,
    u_offset_t off)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	uio->uio_iov = iov;
	uio->uio_iovcnt = 1;
	uio->uio_loffset = off;
	uio->uio_resid = (ssize_t)len;
}

static void
data_fail(const struct vt_vpm_file *vf, u_offset_t x, uint8_t got)
{
	vt_fail("vpm-data", "file %u offset %#" PRIx64 " (page %" PRIu64
	    " version %u): read %#x, the writers wrote %#x (vpm cache %s)",
	    vf->vf_vp->v_id, x, x >> PAGESHIFT, vf->vf_ver[x >> PAGESHIFT],
	    got, vf->vf_ref[x], vpm_cache_enable ? "on" : "off");
}

/*
 * The segmap-style use: vpm_map_pages, check the bytes in place through
 * the kpm addresses while the pages stay mapped, vpm_unmap_pages.  The
 * caller holds the pages' range locks; takes vpm's locks.
 */
static void
map_and_check(const struct vt_vpm_file *vf, u_offset_t off, size_t len)
{
	vmap_t vml[MINVMAPS];
	u_offset_t x = off;
	size_t pon = off & PAGEOFFSET;
	int error, i;

	error = vpm_map_pages(vf->vf_vp, off, len, 1, vml, MINVMAPS, NULL,
	    S_READ);
	if (error != 0)
		vt_fail("vpm-data", "vpm_map_pages(S_READ) of file %u [%#"
		    PRIx64 ", +%zu) returned %d", vf->vf_vp->v_id, off, len,
		    error);
	for (i = 0; vml[i].vs_addr != NULL && x < off + len; i++, pon = 0) {
		const uint8_t *a = (const uint8_t *)vml[i].vs_addr;

		for (; pon < PAGESIZE && x < off + len; pon++, x++)
			if (a[pon] != vf->vf_ref[x])
				data_fail(vf, x, a[pon]);
	}
	if (x != off + len)
		vt_fail("vpm-data", "vpm_map_pages(S_READ) of file %u [%#"
		    PRIx64 ", +%zu) mapped only %d pages", vf->vf_vp->v_id,
		    off, len, i);
	vpm_unmap_pages(vml, S_READ);
}

/*
 * Read [off, off+len) (one or two pages) through vpm_data_copy and check
 * every byte.  Takes the pages' range locks as RW_READER (ascending), and
 * vpm's locks.
 */
void
vt_vpm_reader_op(struct vt_worker *w)
{
	struct vpm_worker_state *st = w->role_state;
	struct vt_vpm_file *vf = pick_file(w);
	vnode_t *vp = vf->vf_vp;
	uint64_t size = (uint64_t)vp->v_npages * MMU_PAGESIZE;
	u_offset_t off = vt_worker_rand_below(w, size);
	size_t len = 1 + vt_worker_rand_below(w, vt_worker_chance(w, 70) ?
	    2 * MMU_PAGESIZE - (off & PAGEOFFSET) - 1 :
	    MMU_PAGESIZE - (off & PAGEOFFSET));
	uint64_t p0, p1;
	struct iovec iov;
	uio_t uio;
	int error;

	if (off + len > size)
		len = size - off;
	p0 = off >> PAGESHIFT;
	p1 = (off + len - 1) >> PAGESHIFT;
	for (uint64_t p = p0; p <= p1; p++)
		rw_enter(&vf->vf_rl[p], RW_READER);
	if (vt_worker_chance(w, 50)) {
		map_and_check(vf, off, len);
		goto out;
	}
	uio_setup(&uio, &iov, st->buf, len, off);
	error = vpm_data_copy(vp, off, len, &uio, 1, NULL, 0, S_READ);
	if (error != 0)
		vt_fail("vpm-data", "vpm_data_copy(S_READ) of file %u [%#" PRIx64
		    ", +%zu) returned %d", vp->v_id, off, len, error);
	if (uio.uio_resid != 0)
		vt_fail("vpm-data", "vpm_data_copy(S_READ) of file %u [%#" PRIx64
		    ", +%zu) left %zd bytes uncopied", vp->v_id, off, len,
		    uio.uio_resid);
	for (size_t i = 0; i < len; i++)
		if (st->buf[i] != vf->vf_ref[off + i])
			data_fail(vf, off + i, st->buf[i]);
out:
	for (uint64_t p = p1 + 1; p-- > p0; )
		rw_exit(&vf->vf_rl[p]);
	vt_vpm_event(w, VT_VPM_OP_READ, vp->v_id, off, 0, (int64_t)len);
}

/*
 * Write one page, whole (create path), part of it (fetch path), or part
 * of it with zerostart on the create path; update the reference the way
 * vpm_data_copy promises.  Takes the page's range lock as RW_WRITER, and
 * vpm's locks.
 */
void
vt_vpm_writer_op(struct vt_worker *w)
{
	struct vpm_worker_state *st = w->role_state;
	struct vt_vpm_file *vf = pick_file(w);
	vnode_t *vp = vf->vf_vp;
	uint64_t pg = vt_worker_rand_below(w, vp->v_npages);
	u_offset_t base = pg << PAGESHIFT, off;
	uint8_t *ref = vf->vf_ref + base;
	uint32_t mode = (uint32_t)vt_worker_rand_below(w, 3), ver;
	size_t a = 0, b = MMU_PAGESIZE;
	struct iovec iov;
	int newpage = 0, error;
	uio_t uio;

	if (mode != 0) {
		a = vt_worker_rand_below(w, MMU_PAGESIZE);
		b = a + 1 + vt_worker_rand_below(w, MMU_PAGESIZE - a);
	}
	off = base + a;
	rw_enter(&vf->vf_rl[pg], RW_WRITER);
	ver = ++vf->vf_ver[pg];
	for (size_t i = a; i < b; i++)
		st->buf[i - a] = vt_vpm_pattern(vp->v_id, base + i, ver);
	uio_setup(&uio, &iov, st->buf, b - a, off);
	error = vpm_data_copy(vp, off, b - a, &uio, mode == 1, &newpage,
	    mode == 2, S_WRITE);
	if (error != 0 || uio.uio_resid != 0)
		vt_fail("vpm-data", "vpm_data_copy(S_WRITE) of file %u [%#"
		    PRIx64 ", +%zu) returned %d, %zd bytes left", vp->v_id, off,
		    b - a, error, uio.uio_resid);
	memcpy(ref + a, st->buf, b - a);
	if (mode == 2) {
		memset(ref, 0, a);			/* zerostart */
		if (newpage)
			memset(ref + b, 0, MMU_PAGESIZE - b);	/* new page's tail */
	}
	rw_exit(&vf->vf_rl[pg]);
	vt_vpm_event(w, VT_VPM_OP_WRITE, vp->v_id, off, mode,
	    (int64_t)newpage);
}

/* vpm_sync_pages of a random range with random flags.  Page locks only. */
void
vt_vpm_syncer_op(struct vt_worker *w)
{
	static const uint_t flags[] = { SM_WRITE, SM_ASYNC, SM_INVAL,
	    SM_FREE, SM_DONTNEED, SM_WRITE | SM_FREE, SM_DESTROY };
	struct vt_vpm_file *vf = pick_file(w);
	vnode_t *vp = vf->vf_vp;
	uint64_t pg = vt_worker_rand_below(w, vp->v_npages);
	size_t len = (size_t)(1 + vt_worker_rand_below(w, 4)) * MMU_PAGESIZE;
	uint_t fl = flags[vt_worker_rand_below(w, sizeof (flags) /
	    sizeof (flags[0]))];
	int error;

	error = vpm_sync_pages(vp, pg << PAGESHIFT, len, fl);
	vt_vpm_event(w, VT_VPM_OP_SYNC, vp->v_id, pg << PAGESHIFT, fl, error);
}

/* The page daemon: evict a random cached page if it is not busy. */
void
vt_vpm_pageout_op(struct vt_worker *w)
{
	struct vt_vpm_file *vf = pick_file(w);
	vnode_t *vp = vf->vf_vp;
	uint64_t pg = vt_worker_rand_below(w, vp->v_npages);
	bool ev = vt_page_reclaim(vp, pg << PAGESHIFT);

	vt_vpm_event(w, VT_VPM_OP_RECLAIM, vp->v_id, pg << PAGESHIFT, 0, ev);
	if (!ev)
		vt_worker_yield();
}
