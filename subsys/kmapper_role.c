/*
 * kmapper_role.c - `kmapper`: the kernel's file-cache mappings (segmap's
 * part in illumos: seg_map.c maps file pages into the kernel's address
 * space for read(2)/write(2) and drops them when its slot is reused),
 * which every HAT scenario offers (--kmapper N).
 *
 * Harness code, not a port.  A kmapper maps library pages (the pages the
 * mappers map into user hats) at its own kernel VAs in kas, so those pages'
 * mapping lists hold kernel hments beside user ones: hment_steal has to
 * skip the kernel's (it may only victimize user mappings), hat_pageunload
 * unloads kernel mappings too, and every unload of one is a kernel TLB
 * shootdown to all CPUs.  As segmap does, it loads with the page locked
 * SE_SHARED and holds no address-space lock: kas.a_lock does not cover
 * kernel mappings, the slot belongs to this worker alone.
 */
#include "hat_subsys.h"

#include <stdlib.h>

#include "hat_world.h"
#include "../core/hat.h"
#include "../core/page.h"

/* role_state of a kmapper: which page each of its slots maps.  Own. */
struct kmapper_state {
	pfn_t	ks_slot[VT_KMAP_SLOTS];	/* PFN_INVALID: believed unmapped */
};

void
vt_kmapper_init(struct vt_worker *w)
{
	struct kmapper_state *ks = calloc(1, sizeof (*ks));

	VERIFY(ks != NULL);
	for (uint32_t s = 0; s < VT_KMAP_SLOTS; s++)
		ks->ks_slot[s] = PFN_INVALID;
	w->role_state = ks;
}

/*
 * Unmap slot s of this kmapper.  hat_pageunload may have taken the
 * mapping away already (the kernel's segmap then faults it back in);
 * unloading nothing is harmless.  Takes what hat_unload on kas takes.
 */
static void
kmap_unload(struct vt_worker *w, struct kmapper_state *ks, uint32_t s)
{
	uintptr_t va = vt_world_kmap_va(w->role_rank, s);

	hat_unload(kas.a_hat, (caddr_t)va, MMU_PAGESIZE, HAT_UNLOAD);
	vt_hat_event(w, VT_HAT_OP_UNLOAD, kas.a_hat->hat_id, va,
	    ks->ks_slot[s], 0);
	ks->ks_slot[s] = PFN_INVALID;
}

/* Boot thread, workers stopped: nothing of ours stays in kas. */
void
vt_kmapper_fini(struct vt_worker *w)
{
	struct kmapper_state *ks = w->role_state;

	if (ks == NULL)
		return;
	for (uint32_t s = 0; s < VT_KMAP_SLOTS; s++)
		if (ks->ks_slot[s] != PFN_INVALID)
			kmap_unload(w, ks, s);
	free(ks);
	w->role_state = NULL;
}

/*
 * kmapper: 1-4 steps on this worker's kernel slots: unmap a mapped one
 * (and half the time stop there), or map a random library page into it.
 * Takes and drops one page lock (SE_SHARED) around each load; no as lock.
 */
void
vt_kmapper_op(struct vt_worker *w)
{
	struct kmapper_state *ks = w->role_state;

	/* A scenario without library pages (amap-*, vpm-*) has none to map. */
	if (vt_world.w_nlib == 0) {
		vt_worker_yield();
		return;
	}
	for (uint32_t n = 1 + (uint32_t)vt_worker_rand_below(w, 4); n > 0;
	    n--) {
		uint32_t s = (uint32_t)vt_worker_rand_below(w, VT_KMAP_SLOTS);
		uintptr_t va = vt_world_kmap_va(w->role_rank, s);
		page_t *pp;

		if (ks->ks_slot[s] != PFN_INVALID) {
			kmap_unload(w, ks, s);
			if (vt_worker_chance(w, 50))
				continue;
		}
		pp = vt_world_pick_page(w);
		page_lock(pp, SE_SHARED);
		vt_world_setmod(pp);	/* segmap maps for write too */
		hat_memload(kas.a_hat, (caddr_t)va, pp, VT_KMAP_ATTR, HAT_LOAD);
		page_unlock(pp);
		ks->ks_slot[s] = pp->p_pagenum;
		HATSTAT_INC(vt_kas_kmaps);
		vt_hat_event(w, VT_HAT_OP_MEMLOAD, kas.a_hat->hat_id, va,
		    pp->p_pagenum, 0);
	}
	/* --segkmem on: kmem's periodic update gives idle slabs back. */
	vt_kmem_update();
}
