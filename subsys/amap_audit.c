/*
 * amap_audit.c - the amap subsystem's stop-the-world audit: amaps reached
 * from the processes' map entries and from amap_list, their slots, their
 * anons and those anons' pages and swap slots, the ppref counts, and what
 * each process believes its pages hold.
 *
 * Harness code, not a port.  Called with every worker parked between
 * operations: no lock is held, nothing is half done (no AMAP_SWAPOFF, no
 * busy page, no wiring).  Reads without locks; objects are named by ids.
 */
#include "amap_subsys.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "amap_world.h"
#include "../core/uvm_anon.h"
#include "../stress/audit.h"
#include "../stress/objmap.h"

const struct vt_check vt_amap_checks[VT_AMAP_NCHECKS] = {
#define VT_AMAP_CHECK_ENTRY(id, name, desc) { name, desc },
	VT_AMAP_CHECKS(VT_AMAP_CHECK_ENTRY)
#undef VT_AMAP_CHECK_ENTRY
};

struct arec {
	struct vm_amap	*am;
	uint32_t	refs;		/* entries referencing it */
	bool		listed;
	bool		bad;		/* slot structure broken: skip deeper */
	int		*slotref;	/* [am_nslot] true per-slot counts */
};

struct anrec {
	struct vm_anon	*an;
	uint32_t	holders;
};

struct aaudit {
	struct vt_audit_result *r;
	struct arec	*a;
	size_t		na, acap;
	struct vt_objmap amap;		/* vm_amap* -> arec index */
	struct anrec	*n;
	size_t		nn, ncap;
	struct vt_objmap anmap;		/* vm_anon* -> anrec index */
};

static void viol(struct aaudit *au, enum vt_amap_check c, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
viol(struct aaudit *au, enum vt_amap_check c, const char *fmt, ...)
{
	struct vt_audit_result *r = au->r;
	va_list ap;

	if (r->violations++ == 0) {
		r->first = (int)c;
		r->check = vt_amap_checks[c].name;
		va_start(ap, fmt);
		(void) vsnprintf(r->msg, sizeof (r->msg), fmt, ap);
		va_end(ap);
	}
}

static struct arec *
arec_of(struct aaudit *au, struct vm_amap *am, bool add)
{
	uint32_t i = vt_objmap_get(&au->amap, (uint64_t)(uintptr_t)am, 0, 0);

	if (i != VT_OBJMAP_NONE)
		return (&au->a[i]);
	if (!add)
		return (NULL);
	if (au->na == au->acap) {
		au->acap = au->acap ? 2 * au->acap : 64;
		au->a = realloc(au->a, au->acap * sizeof (*au->a));
		if (au->a == NULL)
			vt_fail("harness", "audit out of memory");
	}
	memset(&au->a[au->na], 0, sizeof (au->a[0]));
	au->a[au->na].am = am;
	(void) vt_objmap_put(&au->amap, (uint64_t)(uintptr_t)am, 0, 0,
	    (uint32_t)au->na);
	return (&au->a[au->na++]);
}

static struct anrec *
anrec_of(struct aaudit *au, struct vm_anon *an)
{
	uint32_t i = vt_objmap_get(&au->anmap, (uint64_t)(uintptr_t)an, 0, 0);

	if (i != VT_OBJMAP_NONE)
		return (&au->n[i]);
	if (au->nn == au->ncap) {
		au->ncap = au->ncap ? 2 * au->ncap : 256;
		au->n = realloc(au->n, au->ncap * sizeof (*au->n));
		if (au->n == NULL)
			vt_fail("harness", "audit out of memory");
	}
	au->n[au->nn].an = an;
	au->n[au->nn].holders = 0;
	(void) vt_objmap_put(&au->anmap, (uint64_t)(uintptr_t)an, 0, 0,
	    (uint32_t)au->nn);
	return (&au->n[au->nn++]);
}

/* The uvm_amap.h invariants of one amap's slot arrays. */
static void
check_slots(struct aaudit *au, struct arec *ar)
{
	struct vm_amap *am = ar->am;
	int nonnull = 0;

	if (am->am_nused < 0 || am->am_nused > am->am_nslot ||
	    am->am_nslot > am->am_maxslot) {
		viol(au, VT_AMAP_CHECK_SLOTS, "amap %u: nused %d nslot %d "
		    "maxslot %d out of order", am->am_id, am->am_nused,
		    am->am_nslot, am->am_maxslot);
		ar->bad = true;
		return;
	}
	for (int i = 0; i < am->am_nused; i++) {
		int s = am->am_slots[i];

		if (s < 0 || s >= am->am_nslot || am->am_anon[s] == NULL ||
		    am->am_bckptr[s] != i) {
			viol(au, VT_AMAP_CHECK_SLOTS, "amap %u: am_slots[%d] = "
			    "%d (nslot %d) has %s anon, back pointer %d",
			    am->am_id, i, s, am->am_nslot, s >= 0 &&
			    s < am->am_nslot && am->am_anon[s] != NULL ?
			    "an" : "no", s >= 0 && s < am->am_nslot ?
			    am->am_bckptr[s] : -1);
			ar->bad = true;
			return;
		}
	}
	for (int s = 0; s < am->am_maxslot; s++)
		if (am->am_anon[s] != NULL)
			nonnull++;
	if (nonnull != am->am_nused) {
		viol(au, VT_AMAP_CHECK_SLOTS, "amap %u: %d slots hold anons, "
		    "am_nused is %d", am->am_id, nonnull, am->am_nused);
		ar->bad = true;
	}
}

/* An established ppref against the true per-slot counts. */
static void
check_ppref(struct aaudit *au, struct arec *ar)
{
	struct vm_amap *am = ar->am;
	int lcv, ref, len;

	if (am->am_ppref == NULL || am->am_ppref == PPREF_NONE || ar->bad)
		return;
	for (lcv = 0; lcv < am->am_nslot; lcv += len) {
		pp_getreflen(am->am_ppref, lcv, &ref, &len);
		if (len < 1 || lcv + len > am->am_nslot) {
			viol(au, VT_AMAP_CHECK_PPREF, "amap %u: ppref chunk at "
			    "slot %d has length %d (nslot %d)", am->am_id, lcv,
			    len, am->am_nslot);
			return;
		}
		for (int s = lcv; s < lcv + len; s++) {
			if (ref != ar->slotref[s]) {
				viol(au, VT_AMAP_CHECK_PPREF, "amap %u: ppref "
				    "says slot %d has %d references, the map "
				    "entries make %d", am->am_id, s, ref,
				    ar->slotref[s]);
				return;
			}
			if (ref == 0 && am->am_anon[s] != NULL) {
				viol(au, VT_AMAP_CHECK_PPREF, "amap %u: slot "
				    "%d is unreferenced but holds anon %u",
				    am->am_id, s, am->am_anon[s]->an_id);
				return;
			}
		}
	}
}

static void
check_anon(struct aaudit *au, struct anrec *nr)
{
	struct vm_anon *an = nr->an;
	int ref = VT_PEEK(an->an_ref);
	struct vm_page *pg = an->an_page;

	if ((uint32_t)ref != nr->holders)
		viol(au, VT_AMAP_CHECK_ANON_REF, "anon %u: an_ref %d, held by "
		    "%u amap slots", an->an_id, ref, nr->holders);
	if ((pg == NULL) == (an->an_swslot == 0)) {
		viol(au, VT_AMAP_CHECK_ANON_PAGE, "anon %u has %s page and "
		    "swap slot %d", an->an_id, pg ? "a" : "no", an->an_swslot);
		return;
	}
	if (pg != NULL && (pg->uanon != an || !pg->pg_inuse ||
	    (pg->flags & (PG_BUSY | PG_RELEASED)) != 0 || pg->wire_count != 0 ||
	    vt_frame_tag_get(pg->pg_pfn) != VT_FRAME_DATA))
		viol(au, VT_AMAP_CHECK_ANON_PAGE, "anon %u: page pfn %" PRIu64
		    " %s, flags %#x, wired %d, frame tag %d", an->an_id,
		    (uint64_t)pg->pg_pfn, pg->uanon == an ? "owned" :
		    "owned by another", pg->flags, pg->wire_count,
		    (int)vt_frame_tag_get(pg->pg_pfn));
	if (pg == NULL && !vt_swap_inuse(an->an_swslot))
		viol(au, VT_AMAP_CHECK_ANON_PAGE, "anon %u: swap slot %d is "
		    "not allocated", an->an_id, an->an_swslot);
}

/* The value page pg of p's window holds (no locks: world stopped). */
static uint64_t
page_value(struct vm_map_entry *e, vaddr_t va)
{
	struct vm_amap *am = e->aref.ar_amap;
	struct vm_anon *an;
	int slot;

	if (am == NULL)
		return (0);
	slot = e->aref.ar_pageoff + (int)atop(va - e->start);
	an = am->am_anon[slot];
	if (an == NULL)
		return (0);
	if (an->an_page != NULL)
		return (vt_page_word(an->an_page));
	return (vt_swap_peek(an->an_swslot));
}

static void
walk_procs(struct aaudit *au)
{
	for (uint32_t i = 0; i < vt_amap_world.w_nproc; i++) {
		struct vt_amap_proc *p = &vt_amap_world.w_proc[i];

		if (VT_PEEK(p->p_state) != VT_PROC_LIVE)
			continue;
		for (uint32_t k = 0; k < VT_MAP_MAXENT; k++) {
			struct vm_map_entry *e = &p->p_map.map_ent[k];
			struct arec *ar;
			int len;

			if (!e->inuse || e->aref.ar_amap == NULL)
				continue;
			ar = arec_of(au, e->aref.ar_amap, true);
			ar->refs++;
			len = (int)atop(e->end - e->start);
			if (e->aref.ar_pageoff < 0 || e->aref.ar_pageoff + len >
			    ar->am->am_nslot) {
				viol(au, VT_AMAP_CHECK_SLOTS, "map %u entry "
				    "%#" PRIxPTR ": slots %d..%d beyond amap %u's "
				    "%d", p->p_map.map_id, e->start,
				    e->aref.ar_pageoff, e->aref.ar_pageoff + len,
				    ar->am->am_id, ar->am->am_nslot);
				ar->bad = true;
				continue;
			}
			if (ar->slotref == NULL)
				ar->slotref = calloc((size_t)ar->am->am_nslot +
				    1, sizeof (int));
			for (int s = 0; s < len; s++)
				ar->slotref[e->aref.ar_pageoff + s]++;
		}
	}
}

static void
check_data(struct aaudit *au)
{
	for (uint32_t i = 0; i < vt_amap_world.w_nproc; i++) {
		struct vt_amap_proc *p = &vt_amap_world.w_proc[i];

		if (VT_PEEK(p->p_state) != VT_PROC_LIVE)
			continue;
		for (uint32_t k = 0; k < VT_MAP_MAXENT; k++) {
			struct vm_map_entry *e = &p->p_map.map_ent[k];
			struct arec *ar;

			if (!e->inuse)
				continue;
			ar = e->aref.ar_amap ? arec_of(au, e->aref.ar_amap,
			    false) : NULL;
			if (ar != NULL && ar->bad)
				continue;
			for (vaddr_t va = e->start; va < e->end;
			    va += PAGE_SIZE) {
				uint32_t pg = (uint32_t)atop(va - VT_AMAP_VA);
				uint64_t v;

				if (!p->p_known[pg])
					continue;
				v = page_value(e, va);
				if (v != p->p_belief[pg]) {
					viol(au, VT_AMAP_CHECK_COW_DATA, "map %u "
					    "va %#" PRIxPTR " holds %#" PRIx64
					    ", expected %#" PRIx64,
					    p->p_map.map_id, va, v,
					    p->p_belief[pg]);
					return;
				}
			}
		}
	}
}

uint32_t
vt_amap_audit(struct vt_audit_result *r)
{
	struct aaudit au;
	struct vm_amap *am;
	uint64_t listed = 0, npages = 0, nswap = 0;
	uint64_t live = VT_PEEK(vt_amap_live);
	uint32_t before = r->violations;

	memset(&au, 0, sizeof (au));
	au.r = r;
	if (!vt_amap_world.w_up)
		return (0);
	vt_objmap_init(&au.amap, 256);
	vt_objmap_init(&au.anmap, 1024);

	walk_procs(&au);

	/* amap_list: exactly the amaps the entries reach (no cycle). */
	for (am = vt_amap_list_first(); am != NULL; am = vt_amap_list_next(am)) {
		struct arec *ar;

		if (++listed > live + 2) {
			viol(&au, VT_AMAP_CHECK_AMAP_LIST, "amap_list is longer "
			    "than the %" PRIu64 " live amaps (a cycle?)", live);
			break;
		}
		if (am->am_marker) {
			viol(&au, VT_AMAP_CHECK_AMAP_LIST, "a swap-off marker "
			    "was left on amap_list");
			continue;
		}
		ar = arec_of(&au, am, false);
		if (ar == NULL) {
			viol(&au, VT_AMAP_CHECK_AMAP_LIST, "amap %u (am_ref "
			    "%d) is on amap_list but no map entry uses it",
			    am->am_id, VT_PEEK(am->am_ref));
			continue;
		}
		ar->listed = true;
	}
	if (au.na != live)
		viol(&au, VT_AMAP_CHECK_AMAP_LIST, "%" PRIu64 " amaps are "
		    "allocated, the map entries use %zu", live, au.na);

	for (size_t i = 0; i < au.na; i++) {
		struct arec *ar = &au.a[i];

		r->objects++;
		if (!ar->listed)
			viol(&au, VT_AMAP_CHECK_AMAP_LIST, "amap %u is used by "
			    "%u entries but not on amap_list", ar->am->am_id,
			    ar->refs);
		if ((uint32_t)VT_PEEK(ar->am->am_ref) != ar->refs)
			viol(&au, VT_AMAP_CHECK_AMAP_REF, "amap %u: am_ref %d, "
			    "used by %u map entries", ar->am->am_id,
			    VT_PEEK(ar->am->am_ref), ar->refs);
		check_slots(&au, ar);
		check_ppref(&au, ar);
		if (ar->bad)
			continue;
		for (int k = 0; k < ar->am->am_nused; k++)
			anrec_of(&au, ar->am->am_anon[ar->am->am_slots[k]])->
			    holders++;
	}

	for (size_t i = 0; i < au.nn; i++) {
		r->objects++;
		check_anon(&au, &au.n[i]);
		if (au.n[i].an->an_page != NULL)
			npages++;
		else
			nswap++;
	}
	if (au.nn != VT_PEEK(vt_anon_live))
		viol(&au, VT_AMAP_CHECK_ANON_LEAK, "%" PRIu64 " anons are "
		    "allocated, the amaps hold %zu", VT_PEEK(vt_anon_live),
		    au.nn);
	if (npages != VT_PEEK(vt_vm_pages_live) || nswap != vt_swap_used())
		viol(&au, VT_AMAP_CHECK_ANON_LEAK, "%" PRIu64 " pages and %"
		    PRIu64 " swap slots in use, the anons own %" PRIu64
		    " and %" PRIu64, VT_PEEK(vt_vm_pages_live), vt_swap_used(),
		    npages, nswap);

	check_data(&au);

	for (size_t i = 0; i < au.na; i++)
		free(au.a[i].slotref);
	free(au.a);
	free(au.n);
	vt_objmap_fini(&au.amap);
	vt_objmap_fini(&au.anmap);
	return (r->violations - before);
}
