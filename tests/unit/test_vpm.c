/*
 * test_vpm.c - the vpm port on one thread: data read and written through
 * vpm_data_copy is what was written, a reclaimed page leaves a stale
 * vpmap that the next reuse handles, vpm_nfreelist rounds up (3 -> 4) and
 * falls back with the seed's warning (64 on 2 CPUs -> 4), the cache can be
 * disabled; then the vpm audit is clean, and for every check in
 * VT_VPM_CHECKS we damage the state in the smallest way that breaks that
 * invariant, expect the audit to name exactly that check first, put the
 * state back and expect a clean audit again.  A check without a damage
 * case fails the test.
 *
 * Single threaded: the boot thread is the only thread, so the audit's
 * "world stopped" precondition holds trivially.
 */
#include "../../subsys/vpm_subsys.h"

#include <stdio.h>
#include <string.h>

#include "../../core/pagecache.h"
#include "../../core/vpm.h"
#include "../tap.h"

#define NPAGES	1024
#define NFILES	2
#define FPAGES	4

static int covered[VT_VPM_NCHECKS];

static void
boot(int cache, long cache_pages, int nfreelist, int ncpus)
{
	vt_machine_init(NPAGES, 8);
	vt_pagecache_init();
	max_ncpus = ncpus;
	vpm_enable = kpm_enable = 1;
	vpm_cache_enable = cache;
	vt_vpm_cache_pages = cache_pages;
	vpm_nfreelist = nfreelist;
	steals_mtbf = contend_mtbf = 0;
	vpm_init();
	vt_vpm_world_build(NFILES, FPAGES);
}

static void
shutdown(void)
{
	vt_vpm_world_destroy();
	vt_vpm_fini();
	vt_pagecache_fini();
	vt_machine_fini();
}

/* Read [off, off+len) of file f and compare with the reference. */
static int
read_ok(uint32_t f, u_offset_t off, size_t len)
{
	struct vt_vpm_file *vf = &vt_vpm_world.vw_files[f];
	static uint8_t buf[2 * MMU_PAGESIZE];
	struct iovec iov = { (caddr_t)buf, len };
	uio_t uio = { &iov, 1, off, (ssize_t)len };

	if (vpm_data_copy(vf->vf_vp, off, len, &uio, 1, NULL, 0, S_READ) != 0 ||
	    uio.uio_resid != 0)
		return (0);
	return (memcmp(buf, vf->vf_ref + off, len) == 0);
}

/*
 * Write bytes [a, b) of page pg of file f with a new version, fetchpage
 * as given, zerostart on the create path; update the reference as the
 * writer role does.  Returns *newpage.
 */
static int
write_page(uint32_t f, uint32_t pg, size_t a, size_t b, int fetch)
{
	struct vt_vpm_file *vf = &vt_vpm_world.vw_files[f];
	static uint8_t buf[MMU_PAGESIZE];
	u_offset_t base = (u_offset_t)pg << PAGESHIFT;
	struct iovec iov = { (caddr_t)buf, b - a };
	uio_t uio = { &iov, 1, base + a, (ssize_t)(b - a) };
	uint32_t ver = ++vf->vf_ver[pg];
	int newpage = 0;

	for (size_t i = a; i < b; i++)
		buf[i - a] = vt_vpm_pattern(f + 1, base + i, ver);
	if (vpm_data_copy(vf->vf_vp, base + a, b - a, &uio, fetch, &newpage,
	    !fetch, S_WRITE) != 0)
		tap_ok(0, "vpm_data_copy(S_WRITE) failed");
	memcpy(vf->vf_ref + base + a, buf, b - a);
	if (!fetch) {
		memset(vf->vf_ref + base, 0, a);
		if (newpage)
			memset(vf->vf_ref + base + b, 0, MMU_PAGESIZE - b);
	}
	return (newpage);
}

static const char *
audit_first(void)
{
	static struct vt_audit_result r;

	memset(&r, 0, sizeof (r));
	return (vt_vpm_audit(&r) == 0 ? "clean" : r.check);
}

/* Expect check c first, count it, and a clean audit after restore(). */
static void
expect(enum vt_vpm_check c, const char *what)
{
	const char *got = audit_first();

	tap_ok(strcmp(got, vt_vpm_checks[c].name) == 0,
	    "%s: audit names %s (got %s)", what, vt_vpm_checks[c].name, got);
	if (strcmp(got, vt_vpm_checks[c].name) == 0)
		covered[c]++;
}

static void
expect_clean(const char *what)
{
	const char *got = audit_first();

	tap_ok(strcmp(got, "clean") == 0, "%s: audit clean (got %s)", what,
	    got);
}

/* A cached page of file 0 with a vpmap, or NULL. */
static page_t *
cached_page(void)
{
	vnode_t *vp = vt_vpm_world.vw_files[0].vf_vp;

	for (uint32_t p = 0; p < vp->v_npages; p++)
		if (vp->v_pages[p] != NULL && vp->v_pages[p]->p_vpmref != 0)
			return (vp->v_pages[p]);
	return (NULL);
}

static void
damage_cases(void)
{
	page_t *pp = cached_page();
	struct vpmap *v, *h = NULL;
	uint_t ref;
	uint8_t *b;
	int q;

	if (!tap_ok(pp != NULL, "a cached page has a vpmap"))
		return;

	/* vpm-freelist: the other queue in vpm_ndxflg. */
	v = VPMP(pp->p_vpmref);
	v->vpm_ndxflg ^= 1;
	expect(VT_VPM_CHECK_FREELIST, "vpm_ndxflg names the wrong queue");
	v->vpm_ndxflg ^= 1;
	expect_clean("vpm_ndxflg restored");

	/* vpm-queue: a broken prev link on a queue of two or more. */
	for (int l = 0; l < vpm_nfreelist && h == NULL; l++)
		for (q = 0; q < 2 && h == NULL; q++) {
			struct vpmap *x = vpmd_free[l].vpm_freeq[q].vpmq_free;

			if (x != NULL && x->vpm_next != x)
				h = x;
		}
	if (tap_ok(h != NULL, "a free queue holds two vpmaps")) {
		struct vpmap *save = h->vpm_next->vpm_prev;

		h->vpm_next->vpm_prev = h->vpm_next;
		expect(VT_VPM_CHECK_QUEUE, "a prev link points to itself");
		h->vpm_next->vpm_prev = save;
		expect_clean("link restored");
	}

	/* vpm-pageref: p_vpmref names another vpmap. */
	ref = pp->p_vpmref;
	pp->p_vpmref = ref == 1 ? 2 : 1;
	expect(VT_VPM_CHECK_PAGEREF, "p_vpmref names another vpmap");
	pp->p_vpmref = ref;
	expect_clean("p_vpmref restored");

	/* vpm-want: a sleeper counted that is not asleep. */
	vpmd_free[0].vpm_want = 1;
	expect(VT_VPM_CHECK_WANT, "vpm_want 1 without a sleeper");
	vpmd_free[0].vpm_want = 0;
	expect_clean("vpm_want restored");

	/* vpm-free-cached: a hashed page that is a free frame. */
	pp->p_state |= P_FREE;
	expect(VT_VPM_CHECK_FREE_CACHED, "a cached page marked free");
	pp->p_state &= (uchar_t)~P_FREE;
	expect_clean("p_state restored");

	/* vpm-rest: a page left locked. */
	pp->p_selock = 1;
	expect(VT_VPM_CHECK_REST, "a cached page left SE_SHARED");
	pp->p_selock = 0;
	expect_clean("page lock restored");

	/* vpm-contents: one byte of a cached page changed. */
	b = vt_frame_va(pp->p_pagenum);
	b[100] ^= 0x5a;
	expect(VT_VPM_CHECK_CONTENTS, "a byte of a cached page flipped");
	b[100] ^= 0x5a;
	expect_clean("byte restored");
}

int
main(void)
{
	vnode_t *vp;
	page_t *pp;
	uint_t id;
	int ok;

	/* Cache on, 6 vpmaps over 2 freelists, one CPU. */
	boot(1, 6, 2, 1);
	tap_ok(vpm_nfreelist == 2 && vt_vpm_npages == 6,
	    "vpm_init: 2 freelists, 6 vpmaps");
	expect_clean("after vpm_init");
	ok = 1;
	for (uint32_t f = 0; f < NFILES; f++)
		for (uint32_t p = 0; p < FPAGES; p++)
			ok &= read_ok(f, (u_offset_t)p << PAGESHIFT, 300 + p);
	tap_ok(ok, "reads of 8 pages through a 6-vpmap cache see the data");
	tap_ok(read_ok(0, MMU_PAGESIZE - 10, 20), "a read across two pages");
	tap_ok(write_page(0, 1, 0, MMU_PAGESIZE, 0) == 0,
	    "full-page write of a cached page: not a new page");
	tap_ok(read_ok(0, MMU_PAGESIZE, MMU_PAGESIZE), "it reads back");
	(void) write_page(1, 2, 100, 200, 1);
	tap_ok(read_ok(1, 2 * MMU_PAGESIZE, MMU_PAGESIZE),
	    "partial write (fetch path) reads back");

	/* Reclaim a cached page: p_vpmref cleared, its vpmap left stale. */
	vp = vt_vpm_world.vw_files[0].vf_vp;
	pp = vp->v_pages[1];
	id = pp != NULL ? pp->p_vpmref : 0;
	tap_ok(pp != NULL && id != 0 && vt_page_reclaim(vp, MMU_PAGESIZE) &&
	    vp->v_pages[1] == NULL, "page daemon evicts a cached page");
	tap_ok(VPMP(id)->vpm_pp == pp, "its vpmap still names the old frame");
	tap_ok(memcmp(vp->v_disk + MMU_PAGESIZE,
	    vt_vpm_world.vw_files[0].vf_ref + MMU_PAGESIZE, MMU_PAGESIZE) == 0,
	    "the dirty page was written back first");
	expect_clean("after reclaim");
	(void) write_page(0, 3, 50, 60, 0);	/* zerostart, create path */
	tap_ok(read_ok(0, 3 * MMU_PAGESIZE, MMU_PAGESIZE), "it reads back");
	ok = 1;
	for (int k = 0; k < 4; k++)
		for (uint32_t p = 0; p < FPAGES; p++)
			ok &= read_ok(k & 1, (u_offset_t)p << PAGESHIFT,
			    MMU_PAGESIZE);
	tap_ok(ok, "rounds of reads reusing stale vpmaps see the data");
	expect_clean("after reuse");
	(void) vt_page_reclaim(vp, 2 * MMU_PAGESIZE);	/* if cached */
	tap_ok(write_page(0, 2, 10, 20, 0) == 1, "zerostart write of an "
	    "evicted page creates it");
	tap_ok(read_ok(0, 2 * MMU_PAGESIZE, MMU_PAGESIZE),
	    "head and tail zeroed, middle written");
	expect_clean("before damage");
	damage_cases();
	shutdown();

	/* vpm_nfreelist: 3 rounds up to 4; 64 on 2 CPUs: warning, 2 x 2. */
	boot(1, 8, 3, 4);
	tap_ok(vpm_nfreelist == 4 && vpmd_freemsk == 3,
	    "vpm_nfreelist 3 rounds up to 4");
	tap_ok(read_ok(0, 0, 10), "and works");
	shutdown();
	boot(1, 8, 64, 2);
	tap_ok(vpm_nfreelist == 4, "vpm_nfreelist 64 on 2 CPUs falls back to "
	    "2 x max_ncpus = 4 (seed's warning)");
	shutdown();

	/* The cache disabled: pages go straight to page_release. */
	boot(0, 8, 0, 1);
	tap_ok(vpmd_vpmap == NULL, "vpm_cache_enable 0: no cache built");
	(void) write_page(0, 0, 0, MMU_PAGESIZE, 0);
	tap_ok(read_ok(0, 0, MMU_PAGESIZE) && read_ok(0, 100, 5000),
	    "reads and writes without the cache");
	expect_clean("cache off");
	shutdown();

	for (int c = 0; c < VT_VPM_NCHECKS; c++)
		tap_ok(covered[c] >= 1, "check %s was made to fail",
		    vt_vpm_checks[c].name);
	tap_plan(tap_n);
	return (tap_done());
}
