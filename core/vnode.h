/*
 * vnode.h - simulated vnodes for the vpm port: a file of v_npages pages
 * whose cached pages hang off v_pages[] (the page hash of the simulated
 * page cache, core/pagecache.c) and whose "disk" is v_disk, real bytes
 * read by VOP_GETPAGE and written by VOP_PUTPAGE.
 *
 * Harness code standing in for the kernel's vnode layer (a file system
 * with one object per vnode, no holes, no size changes).
 */
#ifndef VT_CORE_VNODE_H
#define VT_CORE_VNODE_H

#include <stdint.h>

#include "page.h"
#include "sys.h"

enum vtype { VNON = 0, VREG = 1, VBLK = 3 };

typedef struct vnode {
	uint32_t	v_id;		/* 1..n; immutable */
	enum vtype	v_type;		/* VREG (VBLK would go to common_specvp); immutable */
	uint32_t	v_npages;	/* file size in pages; immutable */
	/*
	 * The page cache of this file: v_pages[off >> PAGESHIFT] is the
	 * page of that offset, or NULL.  ph_mutex (pagecache.c) for stores;
	 * relaxed atomics (racy reads by the audit-free reclaim pick).
	 */
	page_t		**v_pages;
	/*
	 * Backing store, v_npages * PAGESIZE bytes.  A page's bytes are
	 * read while its new page is held SE_EXCL (getpage) and written
	 * while its cached page is held SE_EXCL (putpage): at most one page
	 * of an offset exists at a time, so that serialises them.
	 */
	uint8_t		*v_disk;
} vnode_t;

/* A fresh file of npages zero pages (boot thread). */
vnode_t *vt_vn_create(uint32_t id, uint32_t npages);
/* Free vp; no page of it may be cached any more (boot thread). */
void vt_vn_destroy(vnode_t *vp);

/* Stand-in for common_specvp(): only VBLK vnodes have one; none exist. */
vnode_t *common_specvp(vnode_t *vp);

#endif /* VT_CORE_VNODE_H */
