/*
 * vpm_audit.c - the vpm subsystem's stop-the-world audit (vpm_subsys.h,
 * checks VT_VPM_CHECKS).  Every worker is parked between operations, so
 * it reads the cache, the page cache and the files without locks.
 *
 * Harness code (not ported).
 */
#include "vpm_subsys.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/pagecache.h"
#include "../core/vpm.h"

struct vaudit {
	struct vt_audit_result *r;
	uint8_t		*seen;		/* per vpmap: times met on a queue */
	uint32_t	*where;		/* per vpmap: 1 + 2 * list + q of the first */
};

static void
viol(struct vaudit *a, enum vt_vpm_check c, const char *fmt, ...)
{
	va_list ap;

	if (a->r->violations++ != 0)
		return;
	a->r->first = (int)c;
	a->r->check = vt_vpm_checks[c].name;
	va_start(ap, fmt);
	vsnprintf(a->r->msg, sizeof (a->r->msg), fmt, ap);
	va_end(ap);
}

static long
vpm_index(const struct vpmap *vpm)
{
	if (vpm < vpmd_vpmap || vpm >= vpmd_vpmap + vt_vpm_npages)
		return (-1);
	return (vpm - vpmd_vpmap);
}

/* Walk one queue: links, membership, bounded length. */
static void
audit_queue(struct vaudit *a, int l, int q)
{
	const union vpm_freeq *fq = &vpmd_free[l].vpm_freeq[q];
	const struct vpmap *head = VT_PEEK(fq->vpmq_free), *v = head;
	long n = 0, i;

	if (head == NULL)
		return;
	do {
		if ((i = vpm_index(v)) < 0) {
			viol(a, VT_VPM_CHECK_QUEUE, "freelist %d queue %d: "
			    "link to something that is not a vpmap", l, q);
			return;
		}
		if (++n > vt_vpm_npages) {
			viol(a, VT_VPM_CHECK_QUEUE, "freelist %d queue %d: "
			    "not a circular list (longer than the cache)", l,
			    q);
			return;
		}
		if (v->vpm_next == NULL || v->vpm_prev == NULL ||
		    v->vpm_next->vpm_prev != v || v->vpm_prev->vpm_next != v) {
			viol(a, VT_VPM_CHECK_QUEUE, "freelist %d queue %d: "
			    "vpmap %ld has broken next/prev links", l, q, i);
			return;
		}
		if (v->vpm_free_ndx != l)
			viol(a, VT_VPM_CHECK_QUEUE, "freelist %d queue %d holds "
			    "vpmap %ld of freelist %u", l, q, i,
			    v->vpm_free_ndx);
		if (a->seen[i]++ == 0)
			a->where[i] = (uint32_t)(1 + 2 * l + q);
		v = v->vpm_next;
	} while (v != head);
}

static void
audit_freelists(struct vaudit *a)
{
	for (int l = 0; l < vpm_nfreelist; l++) {
		const struct vpmfree *f = &vpmd_free[l];
		uint32_t sleepers = VT_PEEK(f->vpm_free_cv.cv_waiters);

		if (!((f->vpm_allocq == &f->vpm_freeq[0] &&
		    f->vpm_releq == &f->vpm_freeq[1]) ||
		    (f->vpm_allocq == &f->vpm_freeq[1] &&
		    f->vpm_releq == &f->vpm_freeq[0])))
			viol(a, VT_VPM_CHECK_QUEUE, "freelist %d: alloc and "
			    "release queue pointers are not its two queues", l);
		if (VT_PEEK(f->vpm_want) != sleepers)
			viol(a, VT_VPM_CHECK_WANT, "freelist %d: vpm_want %u, "
			    "%u threads asleep on vpm_free_cv", l,
			    VT_PEEK(f->vpm_want), sleepers);
		audit_queue(a, l, 0);
		audit_queue(a, l, 1);
	}
	for (long i = 0; i < vt_vpm_npages; i++) {
		const struct vpmap *v = &vpmd_vpmap[i];

		a->r->objects++;
		if (v->vpm_refcnt != 0) {
			viol(a, VT_VPM_CHECK_REST, "vpmap %ld has vpm_refcnt %u "
			    "at rest", i, v->vpm_refcnt);
			if (a->seen[i] != 0)
				viol(a, VT_VPM_CHECK_FREELIST, "vpmap %ld is "
				    "referenced and on a free queue", i);
			continue;
		}
		if (a->seen[i] != 1) {
			viol(a, VT_VPM_CHECK_FREELIST, "vpmap %ld (refcnt 0) is "
			    "on %u free queues", i, a->seen[i]);
			continue;
		}
		if (a->where[i] != 1 + 2 * (uint32_t)v->vpm_free_ndx +
		    v->vpm_ndxflg)
			viol(a, VT_VPM_CHECK_FREELIST, "vpmap %ld is on queue %d "
			    "of freelist %d, vpm_ndxflg %u of freelist %u say "
			    "otherwise", i, (a->where[i] - 1) & 1,
			    (a->where[i] - 1) >> 1, v->vpm_ndxflg,
			    v->vpm_free_ndx);
	}
}

/* Cached pages, free frames and contents. */
static void
audit_pages(struct vaudit *a)
{
	for (uint32_t f = 0; f < vt_vpm_world.vw_nfiles; f++) {
		const struct vt_vpm_file *vf = &vt_vpm_world.vw_files[f];
		const vnode_t *vp = vf->vf_vp;

		for (uint32_t p = 0; p < vp->v_npages; p++) {
			const page_t *pp = VT_PEEK(vp->v_pages[p]);
			const uint8_t *ref = vf->vf_ref + (size_t)p * PAGESIZE;
			const uint8_t *disk = vp->v_disk + (size_t)p * PAGESIZE;
			uint_t id;

			a->r->objects++;
			if (pp == NULL) {
				if (memcmp(disk, ref, PAGESIZE) != 0)
					viol(a, VT_VPM_CHECK_CONTENTS, "file %u "
					    "page %u is not cached and its "
					    "backing store differs from what "
					    "was written (version %u)", vp->v_id,
					    p, vf->vf_ver[p]);
				continue;
			}
			if (VT_PEEK(pp->p_state) & P_FREE ||
			    vt_frame_tag_get(pp->p_pagenum) != VT_FRAME_DATA)
				viol(a, VT_VPM_CHECK_FREE_CACHED, "file %u page "
				    "%u is cached in pfn %" PRIu64 ", a free "
				    "frame", vp->v_id, p, pp->p_pagenum);
			if (VT_PEEK(pp->p_vnode) != vp ||
			    VT_PEEK(pp->p_offset) != (u_offset_t)p * PAGESIZE)
				viol(a, VT_VPM_CHECK_FREE_CACHED, "pfn %" PRIu64
				    " is hashed as file %u page %u but names "
				    "another identity", pp->p_pagenum, vp->v_id,
				    p);
			if (VT_PEEK(pp->p_selock) != 0)
				viol(a, VT_VPM_CHECK_REST, "file %u page %u (pfn "
				    "%" PRIu64 ") is locked at rest (%d)",
				    vp->v_id, p, pp->p_pagenum,
				    VT_PEEK(pp->p_selock));
			if ((id = VT_PEEK(pp->p_vpmref)) != 0) {
				const struct vpmap *v;

				if (vpmd_vpmap == NULL || id > vt_vpm_npages) {
					viol(a, VT_VPM_CHECK_PAGEREF, "pfn %"
					    PRIu64 ": p_vpmref %u names no "
					    "vpmap", pp->p_pagenum, id);
				} else if (v = VPMP(id), v->vpm_pp != pp ||
				    v->vpm_vp != vp || v->vpm_off !=
				    (u_offset_t)p * PAGESIZE) {
					viol(a, VT_VPM_CHECK_PAGEREF, "file %u "
					    "page %u (pfn %" PRIu64 ") has "
					    "p_vpmref %u, but that vpmap caches "
					    "pfn %" PRId64 " (file %u offset %#"
					    PRIx64 ")", vp->v_id, p,
					    pp->p_pagenum, id, v->vpm_pp ?
					    (int64_t)v->vpm_pp->p_pagenum : -1,
					    v->vpm_vp ? v->vpm_vp->v_id : 0,
					    v->vpm_off);
				}
			}
			if (memcmp(vt_frame_va(pp->p_pagenum), ref, PAGESIZE))
				viol(a, VT_VPM_CHECK_CONTENTS, "file %u page %u "
				    "(pfn %" PRIu64 ") differs from what was "
				    "written (version %u)", vp->v_id, p,
				    pp->p_pagenum, vf->vf_ver[p]);
			else if (!(VT_PEEK(pp->p_nrm) & P_MOD) &&
			    memcmp(disk, ref, PAGESIZE) != 0)
				viol(a, VT_VPM_CHECK_CONTENTS, "file %u page %u "
				    "is clean but its backing store differs "
				    "from it", vp->v_id, p);
		}
	}
	for (pgcnt_t i = 1; i < vt_npages; i++)
		if ((VT_PEEK(pages[i].p_state) & P_FREE) &&
		    VT_PEEK(pages[i].p_vpmref) != 0)
			viol(a, VT_VPM_CHECK_PAGEREF, "free pfn %" PRIu64 " has "
			    "p_vpmref %u", (uint64_t)i,
			    VT_PEEK(pages[i].p_vpmref));
}

uint32_t
vt_vpm_audit(struct vt_audit_result *r)
{
	struct vaudit a;

	memset(&a, 0, sizeof (a));
	a.r = r;
	r->first = VT_VPM_NCHECKS;
	if (vpmd_vpmap != NULL) {
		a.seen = calloc((size_t)vt_vpm_npages, 1);
		a.where = calloc((size_t)vt_vpm_npages, sizeof (uint32_t));
		if (a.seen == NULL || a.where == NULL)
			panic("vpm audit: out of memory");
		audit_freelists(&a);
		free(a.seen);
		free(a.where);
	}
	if (pages != NULL)
		audit_pages(&a);
	return (r->violations);
}
