/*
 * world.c - the simulated workload shared by the scenarios (see world.h for
 * the rules it keeps and the VA layout).
 *
 * Harness code, not a port: it plays the roles of the kernel's segment
 * drivers (as_alloc/as_free, page faults, munmap, ISM attach/detach, the
 * page daemon, kmem's reaper) with the locks those callers hold.
 */
#include "hat_world.h"

#include <stdio.h>
#include <stdlib.h>

#include "../core/hment.h"
#include "../core/htable.h"
#include "../core/mmu.h"
#include "hat_subsys.h"

struct vt_world vt_world;

/* A mapper's beliefs about one hat: which page each of its slots maps. */
struct mapper_hat {
	uint64_t	mh_gen;		/* wa_gen these beliefs belong to */
	pfn_t		mh_large;	/* page mapped at the large slot, or PFN_INVALID */
	pfn_t		*mh_slot;	/* [w_va_slots] page believed mapped */
};

/* role_state of a mapper worker: touched only by that worker. */
struct mapper_state {
	struct mapper_hat *ms_hat;	/* [w_nas] */
	pfn_t		*ms_slots;	/* backing store of every mh_slot */
};

uintptr_t
vt_world_slot_va(uint32_t rank, uint32_t slot)
{
	uint64_t page = (uint64_t)slot * vt_world.w_nmappers + rank;
	uint64_t table = page / VT_WORLD_TABLE_PAGES;
	uint64_t off = page % VT_WORLD_TABLE_PAGES;

	/* 8 leaf tables per 1 GiB, so level-1 tables are shared and churned too. */
	return (VT_VA_MAP + (table / 8) * (1UL << 30) +
	    (table % 8) * VT_WORLD_SEG_SIZE + off * MMU_PAGESIZE);
}

uintptr_t
vt_world_kmap_va(uint32_t rank, uint32_t slot)
{
	ASSERT(slot < VT_KMAP_SLOTS);
	return (mmu.hole_end + 1 + VT_KMAP_OFFSET +
	    ((uintptr_t)rank * VT_KMAP_SLOTS + slot) * MMU_PAGESIZE);
}

uintptr_t
vt_world_large_va(uint32_t rank)
{
	return (VT_VA_LARGE + (uintptr_t)rank * VT_WORLD_SEG_SIZE);
}

/*
 * Takes the a_lock of a random address space as `how`; returns with it
 * held.  Blocks in rw_enter only (writers are bounded operations).
 */
struct vt_world_as *
vt_world_as_enter(struct vt_worker *w, krw_t how)
{
	struct vt_world_as *wa;
	uint32_t tries;

	if (how == RW_WRITER) {
		wa = &vt_world.w_as[vt_worker_rand_below(w, vt_world.w_nas)];
		atomic_inc_32(&wa->wa_writers);
		rw_enter(&wa->wa_as.a_lock, RW_WRITER);
		ASSERT(wa->wa_as.a_hat != NULL);
		return (wa);
	}
	for (tries = 0; tries < 4; tries++) {
		wa = &vt_world.w_as[vt_worker_rand_below(w, vt_world.w_nas)];
		if (VT_RACY_LOAD(wa->wa_writers) != 0)
			continue;
		/* A writer may still slip in first: then we wait, briefly. */
		rw_enter(&wa->wa_as.a_lock, RW_READER);
		ASSERT(wa->wa_as.a_hat != NULL);
		return (wa);
	}
	return (NULL);
}

/*
 * Takes wa_proc as WRITER (with --mmu) and then a_lock as WRITER of a
 * random address space; returns with both held.
 */
struct vt_world_as *
vt_world_as_enter_stopped(struct vt_worker *w)
{
	struct vt_world_as *wa;

	wa = &vt_world.w_as[vt_worker_rand_below(w, vt_world.w_nas)];
	if (vt_mmu_ncpus() > 0) {
		atomic_inc_32(&wa->wa_exiting);
		rw_enter(&wa->wa_proc, RW_WRITER);
	}
	atomic_inc_32(&wa->wa_writers);
	rw_enter(&wa->wa_as.a_lock, RW_WRITER);
	ASSERT(wa->wa_as.a_hat != NULL);
	return (wa);
}

/*
 * Drops the a_lock taken by vt_world_as_enter, and the wa_proc taken by
 * vt_world_as_enter_stopped.
 */
void
vt_world_as_exit(struct vt_world_as *wa)
{
	bool writer = rw_write_held(&wa->wa_as.a_lock);

	ASSERT(rw_lock_held(&wa->wa_as.a_lock));
	rw_exit(&wa->wa_as.a_lock);
	if (writer)
		atomic_dec_32(&wa->wa_writers);
	if (vt_mmu_ncpus() > 0 && rw_write_held(&wa->wa_proc)) {
		rw_exit(&wa->wa_proc);
		atomic_dec_32(&wa->wa_exiting);
	}
}

/* Takes wa_proc as READER; see hat_world.h. */
struct vt_world_as *
vt_world_proc_enter(struct vt_worker *w)
{
	struct vt_world_as *wa;
	uint32_t tries;

	for (tries = 0; tries < 4; tries++) {
		wa = &vt_world.w_as[vt_worker_rand_below(w, vt_world.w_nas)];
		if (VT_RACY_LOAD(wa->wa_exiting) != 0)
			continue;
		/* An exit may still slip in first: then we wait, briefly. */
		rw_enter(&wa->wa_proc, RW_READER);
		ASSERT(wa->wa_as.a_hat != NULL);
		return (wa);
	}
	return (NULL);
}

/* Drops the wa_proc taken by vt_world_proc_enter. */
void
vt_world_proc_exit(struct vt_world_as *wa)
{
	ASSERT(rw_lock_held(&wa->wa_proc) && !rw_write_held(&wa->wa_proc));
	rw_exit(&wa->wa_proc);
}

page_t *
vt_world_pick_page(struct vt_worker *w)
{
	return (vt_world.w_lib[vt_worker_rand_below(w, vt_world.w_nlib)]);
}

/*
 * Load pp at va in hat as a fault would: page lock SE_SHARED around
 * hat_memload.  a_lock held (reader or writer) by the caller; takes and
 * drops the page lock.
 */
static void
load_page(hat_t *hat, uintptr_t va, page_t *pp)
{
	page_lock(pp, SE_SHARED);
	vt_world_setmod(pp);
	hat_memload(hat, (caddr_t)va, pp, VT_WORLD_ATTR, HAT_LOAD);
	page_unlock(pp);
}

/*
 * --vmodsort on: every load here is a write fault, and segvn maps a page
 * of a VMODSORT vnode writable only after hat_setmod, so that a clean
 * page (P_MOD clear) never has a writable mapping.  pp locked by the
 * caller.  Nothing (no schedule point) for other pages.
 */
void
vt_world_setmod(page_t *pp)
{
	if (VT_PEEK(pp->p_vmodsort) != 0)
		hat_page_setattr(pp, P_MOD);
}

/*
 * The ballast: a few mappings of library pages in separate leaf tables,
 * made when a hat is created.  a_lock held as WRITER (no other worker
 * touches the ballast VAs, which only churn/teardown unload).
 */
static void
load_ballast(hat_t *hat)
{
	uint32_t i;

	ASSERT(rw_write_held(&hat->hat_as->a_lock));
	for (i = 0; i < VT_WORLD_BALLAST; i++)
		load_page(hat, VT_VA_BALLAST + i * VT_WORLD_SEG_SIZE,
		    vt_world.w_lib[i % vt_world.w_nlib]);
}

/*
 * as_free for one address space: hat_free_start, detach the ISM segment,
 * unload everything else, hat_free_end.  a_lock held as WRITER throughout;
 * hat_free_start may sleep on hat_list_cv while a stealer holds the hat
 * as HAT_VICTIM.
 */
static void
destroy_hat(struct vt_world_as *wa)
{
	hat_t *hat = wa->wa_as.a_hat;

	ASSERT(rw_write_held(&wa->wa_as.a_lock));
	hat_free_start(hat);
	if (wa->wa_shared) {
		hat_unshare(hat, (caddr_t)VT_VA_SHARE, VT_WORLD_SEG_SIZE, 0);
		wa->wa_shared = false;
	}
	hat_unload(hat, (caddr_t)VT_VA_MAP, VT_VA_UNLOAD_LEN, HAT_UNLOAD_UNMAP);
	hat_free_end(hat);
	wa->wa_as.a_hat = NULL;
}

/* as_alloc for wa: a fresh hat plus its ballast.  a_lock held as WRITER. */
static void
create_hat(struct vt_world_as *wa)
{
	hat_t *hat;

	ASSERT(rw_write_held(&wa->wa_as.a_lock));
	hat = hat_alloc(&wa->wa_as);
	wa->wa_as.a_hat = hat;
	wa->wa_gen++;
	wa->wa_shared = false;
	load_ballast(hat);
}

void
vt_world_churn(struct vt_worker *w, struct vt_world_as *wa)
{
	uint32_t old_id = wa->wa_as.a_hat->hat_id;

	ASSERT(rw_write_held(&wa->wa_as.a_lock));
	destroy_hat(wa);
	vt_hat_event(w, VT_HAT_OP_HAT_FREE, old_id, 0, 0, 0);
	create_hat(wa);
	vt_hat_event(w, VT_HAT_OP_HAT_ALLOC, wa->wa_as.a_hat->hat_id, 0, 0,
	    wa->wa_as.a_id);
}

/* ------------------------------------------------------------------ */
/* Setup and teardown (boot thread, no worker running). */

/* Fault policy saved while setup runs with faults suspended. */
struct saved_faults {
	uint32_t	hment_ppm, htable_ppm;
	uint64_t	hment_budget, htable_budget;
	ulong_t		force_steal;
};

/*
 * Setup builds the world with kmem faults and force_steal suspended: the
 * kernel builds its first address spaces before the page daemon runs, and a
 * failed allocation with nothing yet to steal would panic in htable_alloc
 * ("couldn't steal") for reasons that are not races.
 */
static void
faults_suspend(struct saved_faults *sf)
{
	sf->hment_ppm = hment_cache->cache_fail_ppm;
	sf->hment_budget = hment_cache->cache_budget;
	sf->htable_ppm = htable_cache->cache_fail_ppm;
	sf->htable_budget = htable_cache->cache_budget;
	sf->force_steal = force_steal;
	vt_kmem_set_fault(hment_cache, 0, 0);
	vt_kmem_set_fault(htable_cache, 0, 0);
	force_steal = 0;
}

static void
faults_restore(const struct saved_faults *sf)
{
	vt_kmem_set_fault(hment_cache, sf->hment_ppm, sf->hment_budget);
	vt_kmem_set_fault(htable_cache, sf->htable_ppm, sf->htable_budget);
	force_steal = sf->force_steal;
}

static page_t *
alloc_data_page(void)
{
	return (vt_frame_alloc(VT_FRAME_DATA));
}

/* The ISM hat: HAT_LOAD_SHARE (and LOCK, as seg_spt does) of its segment. */
static int
setup_ism(char *err, size_t errlen)
{
	uint32_t i;

	rw_init(&vt_world.w_ism_as.a_lock, "ism as", 0, NULL);
	vt_world.w_ism_as.a_id = vt_world.w_nas + 1;
	vt_world.w_nism = VT_WORLD_ISM_PAGES;
	vt_world.w_ism = calloc(vt_world.w_nism, sizeof (page_t *));
	VERIFY(vt_world.w_ism != NULL);
	for (i = 0; i < vt_world.w_nism; i++) {
		vt_world.w_ism[i] = alloc_data_page();
		if (vt_world.w_ism[i] == NULL) {
			snprintf(err, errlen, "--pages too small for the ISM "
			    "segment (%u pages)", vt_world.w_nism);
			return (-1);
		}
	}
	rw_enter(&vt_world.w_ism_as.a_lock, RW_WRITER);
	vt_world.w_ism_hat = hat_alloc(&vt_world.w_ism_as);
	vt_world.w_ism_as.a_hat = vt_world.w_ism_hat;
	for (i = 0; i < vt_world.w_nism; i++) {
		page_t *pp = vt_world.w_ism[i];

		page_lock(pp, SE_SHARED);
		hat_memload(vt_world.w_ism_hat,
		    (caddr_t)(VT_VA_ISM + (uintptr_t)i * MMU_PAGESIZE), pp,
		    VT_WORLD_ATTR, HAT_LOAD_SHARE | HAT_LOAD_LOCK);
		page_unlock(pp);
	}
	VERIFY(VT_PEEK(vt_world.w_ism_hat->hat_flags) & HAT_SHARED);
	rw_exit(&vt_world.w_ism_as.a_lock);
	return (0);
}

/* The 512-page run for level-1 mappings, when --pages leaves room. */
static void
setup_large(const struct vt_config *c)
{
	page_t *pp;
	uint32_t i;

	if (vt_machine_opts_c(c)->pages < 8 * VT_WORLD_LARGE_PAGES)
		return;
	pp = vt_frame_alloc_run(VT_WORLD_LARGE_PAGES, VT_FRAME_DATA);
	if (pp == NULL)
		return;
	/* Every constituent page carries the size code, as in the kernel. */
	for (i = 0; i < VT_WORLD_LARGE_PAGES; i++)
		VERIFY(pp[i].p_szc == 1);
	ASSERT(PP_GROUPLEADER(pp, 1) == pp);
	vt_world.w_large = pp;
}

int
vt_world_setup(const struct vt_config *cfg, char *err, size_t errlen)
{
	const struct vt_hat_opts *c = vt_hat_opts_c(cfg);
	struct saved_faults sf;
	uint32_t i;
	int rc = -1;

	memset(&vt_world, 0, sizeof (vt_world));
	if (c->hats < 1 || c->hats > 65536) {
		snprintf(err, errlen, "--hats must be 1..65536 (got %u)",
		    c->hats);
		return (-1);
	}
	if (c->shared_pages < 1) {
		snprintf(err, errlen, "--shared-pages must be at least 1");
		return (-1);
	}
	if (c->va_slots < 1 || c->va_slots > (1U << 20)) {
		snprintf(err, errlen, "--va-slots must be 1..1048576 (got %u)",
		    c->va_slots);
		return (-1);
	}
	vt_world.w_nas = c->hats;
	vt_world.w_nlib = c->shared_pages;
	vt_world.w_va_slots = c->va_slots;

	faults_suspend(&sf);

	vt_world.w_lib = calloc(vt_world.w_nlib, sizeof (page_t *));
	VERIFY(vt_world.w_lib != NULL);
	for (i = 0; i < vt_world.w_nlib; i++) {
		vt_world.w_lib[i] = alloc_data_page();
		if (vt_world.w_lib[i] == NULL) {
			snprintf(err, errlen, "--pages too small for "
			    "--shared-pages %u", vt_world.w_nlib);
			goto out;
		}
		if (c->vmodsort)
			VT_POKE(vt_world.w_lib[i]->p_vmodsort, (uchar_t)1);
	}
	if (setup_ism(err, errlen) != 0)
		goto out;
	setup_large(cfg);

	vt_world.w_as = calloc(vt_world.w_nas, sizeof (struct vt_world_as));
	VERIFY(vt_world.w_as != NULL);
	for (i = 0; i < vt_world.w_nas; i++) {
		struct vt_world_as *wa = &vt_world.w_as[i];

		rw_init(&wa->wa_as.a_lock, "as", 0, NULL);
		rw_init(&wa->wa_proc, "proc", 0, NULL);
		wa->wa_as.a_id = i + 1;
		/* Each hat needs ~4 tables plus ballast: keep above throttlefree. */
		if (VT_PEEK(freemem) < throttlefree + 16) {
			snprintf(err, errlen, "--pages too small for --hats %u "
			    "(free frames at or near --throttlefree)", c->hats);
			vt_world.w_nas = i + 1;
			goto out;
		}
		rw_enter(&wa->wa_as.a_lock, RW_WRITER);
		create_hat(wa);
		rw_exit(&wa->wa_as.a_lock);
	}
	if (VT_PEEK(freemem) < throttlefree + 64) {
		snprintf(err, errlen, "--pages %llu leaves too few free frames "
		    "above --throttlefree %llu for the run",
		    (unsigned long long)vt_machine_opts_c(cfg)->pages,
		    (unsigned long long)throttlefree);
		goto out;
	}
	rc = 0;
out:
	faults_restore(&sf);
	return (rc);
}

static void
free_data_page(page_t *pp)
{
	if (VT_PEEK(pp->p_mapping) != NULL)
		vt_fail("teardown", "page pfn %llu still has mappings after "
		    "every hat was freed", (unsigned long long)pp->p_pagenum);
	vt_frame_free(pp);
}

void
vt_world_teardown(void)
{
	uint32_t i;

	for (i = 0; vt_world.w_as != NULL && i < vt_world.w_nas; i++) {
		struct vt_world_as *wa = &vt_world.w_as[i];

		rw_enter(&wa->wa_as.a_lock, RW_WRITER);
		if (wa->wa_as.a_hat != NULL)
			destroy_hat(wa);
		rw_exit(&wa->wa_as.a_lock);
		rw_destroy(&wa->wa_as.a_lock);
		rw_destroy(&wa->wa_proc);
	}
	if (vt_world.w_ism_hat != NULL) {
		hat_t *ism = vt_world.w_ism_hat;

		rw_enter(&vt_world.w_ism_as.a_lock, RW_WRITER);
		hat_free_start(ism);
		hat_unload(ism, (caddr_t)VT_VA_ISM, VT_WORLD_SEG_SIZE,
		    HAT_UNLOAD_UNMAP | HAT_UNLOAD_UNLOCK);
		hat_free_end(ism);
		vt_world.w_ism_as.a_hat = NULL;
		rw_exit(&vt_world.w_ism_as.a_lock);
	}
	if (vt_world.w_ism != NULL) {
		rw_destroy(&vt_world.w_ism_as.a_lock);
		for (i = 0; i < vt_world.w_nism; i++)
			if (vt_world.w_ism[i] != NULL)
				free_data_page(vt_world.w_ism[i]);
	}
	/* vt_frame_free clears p_szc; every page is unmapped by now. */
	for (i = 0; vt_world.w_large != NULL && i < VT_WORLD_LARGE_PAGES; i++)
		free_data_page(&vt_world.w_large[i]);
	for (i = 0; vt_world.w_lib != NULL && i < vt_world.w_nlib; i++)
		if (vt_world.w_lib[i] != NULL)
			free_data_page(vt_world.w_lib[i]);
	free(vt_world.w_as);
	free(vt_world.w_lib);
	free(vt_world.w_ism);
	memset(&vt_world, 0, sizeof (vt_world));
}

/* ------------------------------------------------------------------ */
/* Roles. */

void
vt_world_mapper_init(struct vt_worker *w)
{
	struct mapper_state *ms;
	uint32_t n = w->cfg->role_count[w->role_index];
	uint32_t i, s;

	/* Every mapper of the run agrees on the partition width. */
	ASSERT(w->role_rank < n);
	ASSERT(vt_world.w_nmappers == 0 || vt_world.w_nmappers == n);
	vt_world.w_nmappers = n;

	ms = calloc(1, sizeof (*ms));
	VERIFY(ms != NULL);
	ms->ms_hat = calloc(vt_world.w_nas, sizeof (struct mapper_hat));
	ms->ms_slots = calloc((size_t)vt_world.w_nas * vt_world.w_va_slots,
	    sizeof (pfn_t));
	VERIFY(ms->ms_hat != NULL && ms->ms_slots != NULL);
	for (i = 0; i < vt_world.w_nas; i++) {
		struct mapper_hat *mh = &ms->ms_hat[i];

		mh->mh_gen = 0;		/* never a live generation */
		mh->mh_large = PFN_INVALID;
		mh->mh_slot = &ms->ms_slots[(size_t)i * vt_world.w_va_slots];
		for (s = 0; s < vt_world.w_va_slots; s++)
			mh->mh_slot[s] = PFN_INVALID;
	}
	w->role_state = ms;
}

void
vt_world_mapper_fini(struct vt_worker *w)
{
	struct mapper_state *ms = w->role_state;

	if (ms == NULL)
		return;
	free(ms->ms_slots);
	free(ms->ms_hat);
	free(ms);
	w->role_state = NULL;
}

/* The a_lock of hat's as is held (reader) for both helpers below. */
static void
unload_slot(struct vt_worker *w, hat_t *hat, uintptr_t va, size_t len,
    pfn_t believed)
{
	hat_unload(hat, (caddr_t)va, len, HAT_UNLOAD);
	vt_hat_event(w, VT_HAT_OP_UNLOAD, hat->hat_id, va, believed, 0);
}

/* One step on a 4 KiB slot: unload, refault, replace or fill it. */
static void
slot_step(struct vt_worker *w, hat_t *hat, struct mapper_hat *mh)
{
	uint32_t s = (uint32_t)vt_worker_rand_below(w, vt_world.w_va_slots);
	uintptr_t va = vt_world_slot_va(w->role_rank, s);
	pfn_t cur = mh->mh_slot[s];
	page_t *pp;

	if (cur != PFN_INVALID) {
		uint64_t r = vt_worker_rand_below(w, 100);

		if (r < 10) {
			/*
			 * Fault again on the page we mapped: the same page and
			 * attributes, so either an identical PTE (refault) or a
			 * fresh load if the mapping was stolen or unloaded.
			 */
			pp = page_numtopp_nolock(cur);
			load_page(hat, va, pp);
			vt_hat_event(w, VT_HAT_OP_MEMLOAD, hat->hat_id, va, cur, 1);
			return;
		}
		unload_slot(w, hat, va, MMU_PAGESIZE, cur);
		mh->mh_slot[s] = PFN_INVALID;
		if (r < 60)
			return;
	}
	pp = vt_world_pick_page(w);
	load_page(hat, va, pp);
	mh->mh_slot[s] = pp->p_pagenum;
	vt_hat_event(w, VT_HAT_OP_MEMLOAD, hat->hat_id, va, pp->p_pagenum, 0);
}

/* One step on this mapper's 2 MiB slot: unload it, or map the large page. */
static void
large_step(struct vt_worker *w, hat_t *hat, struct mapper_hat *mh)
{
	uintptr_t va = vt_world_large_va(w->role_rank);
	page_t *pp = vt_world.w_large;

	if (mh->mh_large != PFN_INVALID) {
		unload_slot(w, hat, va, VT_WORLD_SEG_SIZE, mh->mh_large);
		mh->mh_large = PFN_INVALID;
		if (vt_worker_chance(w, 50))
			return;
	}
	/* A large fault holds the page (here: its leader) shared. */
	page_lock(pp, SE_SHARED);
	vt_hat_memload_large(hat, (caddr_t)va, pp, VT_WORLD_ATTR, HAT_LOAD);
	page_unlock(pp);
	mh->mh_large = pp->p_pagenum;
	vt_hat_event(w, VT_HAT_OP_MEMLOAD_LARGE, hat->hat_id, va, pp->p_pagenum,
	    0);
}

/*
 * mapper: under one as's a_lock (READER), 1-4 steps on this worker's slots
 * of that hat.  Takes and drops the a_lock and page locks.
 */
void
vt_world_mapper_op(struct vt_worker *w)
{
	struct mapper_state *ms = w->role_state;
	struct vt_world_as *wa;
	struct mapper_hat *mh;
	hat_t *hat;
	uint32_t n, s;

	wa = vt_world_as_enter(w, RW_READER);
	if (wa == NULL) {
		vt_worker_yield();
		return;
	}
	hat = wa->wa_as.a_hat;
	mh = &ms->ms_hat[wa - vt_world.w_as];
	if (mh->mh_gen != wa->wa_gen) {
		/* The hat was replaced: nothing of ours is mapped in it. */
		mh->mh_gen = wa->wa_gen;
		mh->mh_large = PFN_INVALID;
		for (s = 0; s < vt_world.w_va_slots; s++)
			mh->mh_slot[s] = PFN_INVALID;
	}
	for (n = 1 + (uint32_t)vt_worker_rand_below(w, 4); n > 0; n--) {
		if (vt_world.w_large != NULL && vt_worker_chance(w, 3))
			large_step(w, hat, mh);
		else
			slot_step(w, hat, mh);
	}
	vt_world_as_exit(wa);
	/* --segkmem on: kmem's periodic update gives idle slabs back. */
	vt_kmem_update();
}

/*
 * sharer: attach the ISM segment to a random as at VT_VA_SHARE, or detach
 * it if attached.  Holds that as's a_lock as WRITER (as the segment
 * drivers' map/unmap do).
 */
void
vt_world_sharer_op(struct vt_worker *w)
{
	struct vt_world_as *wa = vt_world_as_enter(w, RW_WRITER);
	hat_t *hat = wa->wa_as.a_hat;
	int rc;

	if (!wa->wa_shared) {
		rc = hat_share(hat, (caddr_t)VT_VA_SHARE, vt_world.w_ism_hat,
		    (caddr_t)VT_VA_ISM, VT_WORLD_SEG_SIZE, 0);
		wa->wa_shared = true;
		vt_hat_event(w, VT_HAT_OP_SHARE, hat->hat_id, VT_VA_SHARE,
		    vt_world.w_ism_hat->hat_id, rc);
	} else {
		hat_unshare(hat, (caddr_t)VT_VA_SHARE, VT_WORLD_SEG_SIZE, 0);
		wa->wa_shared = false;
		vt_hat_event(w, VT_HAT_OP_UNSHARE, hat->hat_id, VT_VA_SHARE,
		    vt_world.w_ism_hat->hat_id, 0);
	}
	vt_world_as_exit(wa);
}

/*
 * churner: replace the hat of a random as (as_free + as_alloc), so that
 * HAT_FREEING and HAT_VICTIM race with stealing.  a_lock as WRITER.
 */
void
vt_world_churner_op(struct vt_worker *w)
{
	struct vt_world_as *wa = vt_world_as_enter_stopped(w);

	vt_world_churn(w, wa);
	vt_world_as_exit(wa);
}

/*
 * Page tables the reaper leaves alone: up to 8 upper-level tables per hat
 * (top, three level-2 and level-1 tables for the map, large and ballast
 * regions, rounded up) plus margin for the 10-table minimum of one
 * htable_reap.  Below it the reaper waits.
 */
static uint32_t
reap_floor(void)
{
	return (8 * vt_world.w_nas + 32);
}

/*
 * reaper: kmem's reclaim thread.  Runs the htable cache's reclaim callback
 * (htable_reap) whenever someone asked for a reap (kmem_reap from
 * htable_alloc) and otherwise now and then, but only while more than
 * reap_floor() page tables exist.  Harness rule (not a port change): the kernel reaps
 * 5% of page tables at most every few seconds, so stealable leaf tables
 * always exist; an unthrottled reaper in a world this small would take them
 * all, and every thread in htable_alloc's steal loop (which never retries
 * ptable_alloc) would then spin forever.  Holds no lock of its own.
 */
void
vt_world_reaper_op(struct vt_worker *w)
{
	struct hatstats *hs = &vt_hatstats[curthread->t_id];
	ulong_t before;

	if ((!vt_kmem_reap_pending() && !vt_worker_chance(w, 5)) ||
	    VT_RACY_LOAD(active_ptables) < reap_floor()) {
		vt_worker_yield();
		return;
	}
	before = hs->hs_reaped;
	kmem_cache_reap(htable_cache);
	vt_hat_event(w, VT_HAT_OP_REAP, 0, 0, 0,
	    (int64_t)(hs->hs_reaped - before));
}

/*
 * The page a simulated CPU's TLB cached last, if the page daemon may unload
 * it (a library page, or the large page's leader for one of its frames);
 * else NULL.  Like a scanner that follows the referenced bits, so that an
 * unload often meets a CPU still using the page.  No lock.
 */
static page_t *
hot_page(void)
{
	pfn_t pfn = vt_mmu_hot_pfn();
	uint32_t i;

	if (pfn == PFN_INVALID || pfn >= vt_npages)
		return (NULL);
	if (vt_world.w_large != NULL && pfn >= vt_world.w_large->p_pagenum &&
	    pfn - vt_world.w_large->p_pagenum < VT_WORLD_LARGE_PAGES)
		return (vt_world.w_large);
	for (i = 0; i < vt_world.w_nlib; i++)
		if (vt_world.w_lib[i] != NULL &&
		    vt_world.w_lib[i]->p_pagenum == pfn)
			return (vt_world.w_lib[i]);
	return (NULL);
}

/*
 * pageunloader: the page daemon.  Like the pageout scanner it only
 * page_trylock()s a page SE_EXCL (a library page, or the large page's
 * leader; with --mmu, half the time the page a CPU used last) and moves
 * on when a fault holds it; on success it sometimes
 * counts the mappings, unloads them all with hat_pageunload, and checks
 * none is left: every load holds the page SE_SHARED, so none can appear
 * while we hold it exclusively.  Returns with the page unlocked.
 */
void
vt_world_pageunloader_op(struct vt_worker *w)
{
	page_t *pp;
	uint_t left;
	uint32_t tries;
	int rc;

	for (tries = 0; ; tries++) {
		if (tries == 4)
			return;		/* every pick was busy: next round */
		pp = NULL;
		if (vt_mmu_ncpus() > 0 && vt_worker_chance(w, 50))
			pp = hot_page();
		if (pp == NULL && vt_world.w_large != NULL &&
		    vt_worker_chance(w, 10))
			pp = vt_world.w_large;
		if (pp == NULL)
			pp = vt_world_pick_page(w);
		if (page_trylock(pp, SE_EXCL))
			break;
	}
	if (vt_worker_chance(w, 25)) {
		uint_t n = vt_worker_chance(w, 50) ? hat_page_getshare(pp) :
		    hment_mapcnt(pp);

		vt_hat_event(w, VT_HAT_OP_MAPCNT, 0, 0, pp->p_pagenum, n);
	}
	/* With CPUs writing pages: sometimes write it back, still mapped. */
	if (vt_mmu_ncpus() > 0 && vt_worker_chance(w, 30)) {
		vt_mmu_sync_writeback(pp);
		page_unlock(pp);
		vt_hat_event(w, VT_HAT_OP_PAGESYNC, 0, 0, pp->p_pagenum, 0);
		return;
	}
	rc = hat_pageunload(pp, 0);
	left = hment_mapcnt(pp);
	if (left != 0)
		vt_fail("pageunload", "pfn %llu still has %u mappings after "
		    "hat_pageunload with the page held SE_EXCL",
		    (unsigned long long)pp->p_pagenum, left);
	/*
	 * The `tlb` check: every mapping went under the page's mlist lock,
	 * each with its shootdown, and none can come back while we hold the
	 * page SE_EXCL, so no simulated CPU may still cache the frame.
	 */
	if (vt_mmu_ncpus() > 0) {
		vt_mmu_tlb_check_frames(pp->p_pagenum, 1, "hat_pageunload");
		/* Then `lost-mod`, and the page is written back. */
		vt_mmu_writeback(pp, "hat_pageunload");
	}
	page_unlock(pp);
	vt_hat_event(w, VT_HAT_OP_PAGEUNLOAD, 0, 0, pp->p_pagenum, rc);
}

/*
 * swapper: as_swapout of a random address space - hat_swapout under the
 * as's a_lock.  as_swapout holds it as READER, but only for a process
 * whose threads are all swapped out, so nothing faults in that as; the
 * harness gets the same exclusion from the mappers (who fault under READER
 * and must never load and unload one va at once) by taking it as WRITER.
 * The walk, unloads and cache purge still race the stealers, reapers and
 * other hats' mappers.  The ISM share and locked entries stay.  The mappers' beliefs tolerate lost mappings (a
 * swapped-out slot is refaulted or unloaded again, as after a steal).
 * Harness rule, as for the reaper: the kernel swaps a process out rarely,
 * under memory pressure; here one op in 20 swaps, and only while more than
 * reap_floor() page tables exist, so stealable tables remain for
 * htable_alloc's steal loop (which never retries ptable_alloc).
 */
void
vt_world_swapper_op(struct vt_worker *w)
{
	struct vt_world_as *wa;
	hat_t *hat;

	if (!vt_worker_chance(w, 5) ||
	    VT_RACY_LOAD(active_ptables) < reap_floor()) {
		vt_worker_yield();
		return;
	}
	wa = vt_world_as_enter_stopped(w);
	hat = wa->wa_as.a_hat;
	hat_swapout(hat);
	vt_hat_event(w, VT_HAT_OP_SWAPOUT, hat->hat_id, 0, 0, 0);
	vt_world_as_exit(wa);
}

/*
 * Harness stand-in for page_promote(): give every page of the large run
 * its size code back.  The leader is held SE_EXCL (no large load can
 * start) and nothing maps the run's pages at any size.  Takes and drops
 * the leader's mlist lock, under which hat_page_demote changes codes.
 */
static void
repromote_large(page_t *leader)
{
	uint32_t i;

	ASSERT(PAGE_EXCL(leader));
	x86_hm_enter(leader);
	for (i = VT_WORLD_LARGE_PAGES; i-- > 0; )
		leader[i].p_szc = 1;
	x86_hm_exit(leader);
}

/*
 * demoter: the large-page splitting of page_try_demote_pages.  trylocks
 * the large page's leader SE_EXCL (every large load holds it SE_SHARED)
 * and one random constituent page, runs hat_page_demote on that page and
 * checks that no mapping of the run is left and every size code is 0;
 * then promotes the run again so the mappers keep mapping it large.
 * Returns with both pages unlocked.
 */
void
vt_world_demoter_op(struct vt_worker *w)
{
	page_t *leader = vt_world.w_large, *pp;
	uint32_t i;
	uint_t left;

	if (leader == NULL || !page_trylock(leader, SE_EXCL)) {
		vt_worker_yield();
		return;
	}
	pp = leader + vt_worker_rand_below(w, VT_WORLD_LARGE_PAGES);
	if (pp != leader && !page_trylock(pp, SE_EXCL)) {
		page_unlock(leader);
		vt_worker_yield();
		return;
	}
	hat_page_demote(pp);
	left = hment_mapcnt(leader);
	if (left != 0)
		vt_fail("demote", "large page pfn %llu still has %u mappings "
		    "after hat_page_demote of pfn %llu",
		    (unsigned long long)leader->p_pagenum, left,
		    (unsigned long long)pp->p_pagenum);
	for (i = 0; i < VT_WORLD_LARGE_PAGES; i++)
		if (leader[i].p_szc != 0) {
			vt_fail("demote", "pfn %llu keeps size code %u after "
			    "hat_page_demote of pfn %llu",
			    (unsigned long long)leader[i].p_pagenum,
			    leader[i].p_szc, (unsigned long long)pp->p_pagenum);
			break;
		}
	vt_hat_event(w, VT_HAT_OP_DEMOTE, 0, 0, pp->p_pagenum, left);
	repromote_large(leader);
	if (pp != leader)
		page_unlock(pp);
	page_unlock(leader);
}

uintptr_t
vt_world_pick_walk_va(struct vt_worker *w)
{
	uint64_t r = vt_worker_rand_below(w, 100);
	uint32_t nm = vt_world.w_nmappers;

	if (nm != 0 && r < 80)
		return (vt_world_slot_va(
		    (uint32_t)vt_worker_rand_below(w, nm),
		    (uint32_t)vt_worker_rand_below(w, vt_world.w_va_slots)));
	if (nm != 0 && r < 88 && vt_world.w_large != NULL)
		return (vt_world_large_va((uint32_t)vt_worker_rand_below(w, nm))
		    + vt_worker_rand_below(w, VT_WORLD_LARGE_PAGES) *
		    MMU_PAGESIZE);
	if (r < 94)
		return (VT_VA_BALLAST + vt_worker_rand_below(w,
		    VT_WORLD_BALLAST) * VT_WORLD_SEG_SIZE);
	return (VT_VA_SHARE + vt_worker_rand_below(w, VT_WORLD_ISM_PAGES) *
	    MMU_PAGESIZE);
}
