/*
 * vnode.c - simulated vnodes (vnode.h).  No locks of its own.
 *
 * Harness code standing in for the kernel's vnode layer.
 */
#include "vnode.h"

#include <inttypes.h>
#include <stdlib.h>

vnode_t *
vt_vn_create(uint32_t id, uint32_t npages)
{
	vnode_t *vp = calloc(1, sizeof (*vp));

	if (vp == NULL)
		panic("vt_vn_create: out of host memory");
	vp->v_id = id;
	vp->v_type = VREG;
	vp->v_npages = npages;
	vp->v_pages = calloc(npages, sizeof (page_t *));
	vp->v_disk = calloc(npages, MMU_PAGESIZE);
	if (vp->v_pages == NULL || vp->v_disk == NULL)
		panic("vt_vn_create: out of host memory");
	return (vp);
}

void
vt_vn_destroy(vnode_t *vp)
{
	if (vp == NULL)
		return;
	for (uint32_t i = 0; i < vp->v_npages; i++)
		if (vp->v_pages[i] != NULL)
			panic("vt_vn_destroy: vnode %u page %u still cached",
			    vp->v_id, i);
	free(vp->v_pages);
	free(vp->v_disk);
	free(vp);
}

/*
 * PORT: the simulated file system has no block devices, so the VBLK path
 * of vpm_map_pages/vpm_sync_pages never calls this; it returns vp.
 */
vnode_t *
common_specvp(vnode_t *vp)
{
	return (vp);
}
