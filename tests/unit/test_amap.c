/*
 * test_amap.c - the amap port's ppref encoding and the amap audit.
 *
 * 1. The ppref encoding (pp_setreflen / pp_getreflen) round-trips the
 *    seed's own example, refs 2 2 2 2 3 1 1 0 0 0 4 4 0 1 1 1, whose
 *    encoding the seed gives as -3 4 x x 4 -2 2 -1 3 x -5 2 1 -2 3 x; and
 *    amap_pp_adjref builds the same counts from an established ppref.
 * 2. A small world (one process, an entry of 16 pages, 8 of them written,
 *    the last 4 unmapped so that ppref is established) audits clean; then
 *    for every check of VT_AMAP_CHECKS the state is damaged in the
 *    smallest way that breaks that invariant, the audit must name exactly
 *    that check first, and after the repair it must be clean again.  A
 *    check without a damage case fails the test.
 *
 * Single threaded: the boot thread is the only thread, so the audit's
 * "world stopped" precondition holds.
 */
#include "../../subsys/amap_subsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/hat.h"
#include "../../core/page.h"
#include "../../core/uvm_amap.h"
#include "../../core/uvm_anon.h"
#include "../../core/uvm_map_sim.h"
#include "../../stress/audit.h"
#include "../../subsys/amap_world.h"
#include "../tap.h"

#define NPAGES		2048
#define VA_PAGES	64
#define ENT_PAGES	16
#define WRITTEN		8
#define KEPT		12

static const int example_refs[16] = {
	2, 2, 2, 2, 3, 1, 1, 0, 0, 0, 4, 4, 0, 1, 1, 1
};
/* The seed's encoding; 99 marks its "don't care" entries. */
static const int example_ppref[16] = {
	-3, 4, 99, 99, 4, -2, 2, -1, 3, 99, -5, 2, 1, -2, 3, 99
};

static int covered[VT_AMAP_NCHECKS];

/* ------------------------------------------------------ ppref encoding */

static void
test_encoding(void)
{
	int ppref[16], ref, len, lcv, ok = 1, s, i;

	for (i = 0; i < 16; i++)
		ppref[i] = 99;
	/* Encode the runs of equal counts, one chunk each. */
	for (lcv = 0; lcv < 16; lcv += len) {
		for (len = 1; lcv + len < 16 &&
		    example_refs[lcv + len] == example_refs[lcv]; len++)
			continue;
		pp_setreflen(ppref, lcv, example_refs[lcv], len);
	}
	for (i = 0; i < 16; i++)
		if (example_ppref[i] != 99 && ppref[i] != example_ppref[i])
			ok = 0;
	tap_ok(ok, "pp_setreflen encodes the seed's example as the seed "
	    "shows it");

	/* Decode: every slot's count comes back. */
	ok = 1;
	for (lcv = 0; lcv < 16; lcv += len) {
		pp_getreflen(ppref, lcv, &ref, &len);
		if (len < 1 || lcv + len > 16) {
			ok = 0;
			break;
		}
		for (s = lcv; s < lcv + len; s++)
			if (example_refs[s] != ref)
				ok = 0;
	}
	tap_ok(ok, "pp_getreflen decodes the seed's example to 2 2 2 2 3 1 1 "
	    "0 0 0 4 4 0 1 1 1");
}

/* amap_pp_adjref over an empty 16-slot amap reaches the example too. */
static void
test_adjref(void)
{
	struct vm_amap *am = amap_alloc(ptoa(16), 0, M_WAITOK);
	int ref, len, lcv, ok = 1;

	/* Spans of +1 whose sums are the example's counts. */
	static const int span[][2] = {
		{ 0, 7 }, { 0, 5 }, { 4, 1 }, { 10, 2 }, { 10, 2 },
		{ 10, 2 }, { 10, 2 }, { 13, 3 }
	};

	amap_lock(am);
	amap_pp_establish(am, 0);
	ok = am->am_ppref != NULL && am->am_ppref != PPREF_NONE;
	/* Established at am_ref 1 for all 16 slots: take that away. */
	if (ok)
		amap_pp_adjref(am, 0, 16, -1);
	for (size_t i = 0; ok && i < sizeof (span) / sizeof (span[0]); i++)
		amap_pp_adjref(am, span[i][0], (vsize_t)span[i][1], 1);
	for (lcv = 0; ok && lcv < 16; lcv += len) {
		pp_getreflen(am->am_ppref, lcv, &ref, &len);
		for (int s = lcv; s < lcv + len && s < 16; s++)
			if (ref != example_refs[s])
				ok = 0;
	}
	amap_unlock(am);
	tap_ok(ok, "amap_pp_adjref builds the example's counts");
	/* amap_unref(all) wipes it out and frees it. */
	amap_unref(am, 0, 16, B_TRUE);
	tap_ok(VT_PEEK(vt_amap_live) == 0 && vt_amap_list_first() == NULL,
	    "the last amap_unref frees the amap and takes it off amap_list");
}

/* ---------------------------------------------------------- the world */

static struct vt_amap_proc *P;
static struct vm_map_entry *E;

static void
boot(void)
{
	struct vt_hat_params p;
	struct vm_map *map;
	uint64_t got;

	vt_machine_init(NPAGES, 8);
	hat_params_default(&p);
	p.mlist_locks = p.hash_locks = p.htable_locks = 16;
	p.hment_hash_size = 256;
	hat_init(&p);
	vt_amap_init(1);
	vt_uvm_init(64);

	memset(&vt_amap_world, 0, sizeof (vt_amap_world));
	vt_amap_world.w_nproc = 1;
	vt_amap_world.w_va_pages = VA_PAGES;
	vt_amap_world.w_proc = calloc(1, sizeof (struct vt_amap_proc));
	mutex_init(&vt_amap_world.w_table_lock, "amap proc table",
	    MUTEX_DEFAULT, NULL);
	mutex_init(&vt_amap_world.w_swap_syscall_lock, "swap_syscall_lock",
	    MUTEX_DEFAULT, NULL);
	P = &vt_amap_world.w_proc[0];
	P->p_belief = calloc(VA_PAGES, sizeof (uint64_t));
	P->p_known = calloc(VA_PAGES, 1);
	map = &P->p_map;
	rw_init(&map->map_as.a_lock, "vm_map", 0, NULL);
	map->map_id = 1;
	vt_amap_world.w_up = true;

	vm_map_lock(map);
	map->map_as.a_hat = hat_alloc(&map->map_as);
	E = vt_map_anon(map, VT_AMAP_VA, ptoa(ENT_PAGES));
	for (int i = 0; i < ENT_PAGES; i++)
		P->p_known[i] = 1;
	for (int i = 0; i < WRITTEN; i++)
		VERIFY(vt_uvm_fault(map, VT_AMAP_VA + ptoa(i), VT_FAULT_WRITE,
		    0x1000 + (uint64_t)i, &P->p_belief[i], true, &got) == 0);
	/* Unmap the tail: clip (amap_splitref establishes ppref), unref. */
	uvm_unmap(map, VT_AMAP_VA + ptoa(KEPT), VT_AMAP_VA + ptoa(ENT_PAGES));
	for (int i = KEPT; i < ENT_PAGES; i++)
		P->p_known[i] = 0;
	E = uvm_map_lookup_entry(map, VT_AMAP_VA);
	P->p_state = VT_PROC_LIVE;
	vm_map_unlock(map);
}

/* Audit; expect check name (NULL: clean). */
static void
expect(const char *name, const char *what)
{
	struct vt_audit_result r;
	uint32_t v;

	memset(&r, 0, sizeof (r));
	r.first = -1;
	v = vt_amap_audit(&r);
	if (name == NULL) {
		tap_ok(v == 0, "%s: audit clean (%u violations%s%s)", what, v,
		    v ? ": " : "", v ? r.msg : "");
		return;
	}
	if (tap_ok(v > 0 && r.check != NULL && strcmp(r.check, name) == 0,
	    "%s: audit names %s (got %s: %s)", what, name,
	    r.check ? r.check : "nothing", r.msg)) {
		for (int c = 0; c < VT_AMAP_NCHECKS; c++)
			if (strcmp(vt_amap_checks[c].name, name) == 0)
				covered[c]++;
	}
}

static void
damage_all(void)
{
	struct vm_amap *am = E->aref.ar_amap;
	struct vm_anon *an = am->am_anon[am->am_slots[0]];
	int s0 = am->am_slots[0], saved;
	struct vm_amap *next;

	saved = am->am_bckptr[s0];
	am->am_bckptr[s0] = saved + 1;
	expect("amap-slots", "am_bckptr of a used slot off by one");
	am->am_bckptr[s0] = saved;
	expect(NULL, "am_bckptr repaired");

	an->an_ref++;
	expect("anon-ref", "an_ref one too many");
	an->an_ref--;
	expect(NULL, "an_ref repaired");

	atomic_add_64(&vt_anon_live, 1);
	expect("anon-leak", "one anon allocated that no amap holds");
	atomic_add_64(&vt_anon_live, -1);
	expect(NULL, "anon count repaired");

	an->an_page->flags |= PG_BUSY;
	expect("anon-page", "a page left PG_BUSY");
	an->an_page->flags &= ~PG_BUSY;
	expect(NULL, "PG_BUSY cleared");

	saved = am->am_ppref[0];
	am->am_ppref[0] = saved - 1;	/* count one higher */
	expect("ppref", "the first ppref chunk's count one too high");
	am->am_ppref[0] = saved;
	expect(NULL, "ppref repaired");

	am->am_ref++;
	expect("amap-ref", "am_ref one more than the entries using it");
	am->am_ref--;
	expect(NULL, "am_ref repaired");

	/* Take the amap off amap_list (it is the only one: the head). */
	next = am->am_list.le_next;
	VERIFY(vt_amap_list_first() == am && next == NULL);
	*am->am_list.le_prev = NULL;
	expect("amap-list", "a live amap missing from amap_list");
	*am->am_list.le_prev = am;
	expect(NULL, "amap_list repaired");

	P->p_belief[1] ^= 0x100;
	expect("amap-cow-data", "a page holds what the process did not write");
	P->p_belief[1] ^= 0x100;
	expect(NULL, "belief repaired");
}

static void
teardown(void)
{
	vt_amap_world_teardown();
	tap_ok(VT_PEEK(vt_anon_live) == 0 && VT_PEEK(vt_amap_live) == 0,
	    "teardown frees every anon and amap");
	vt_uvm_fini();
	vt_amap_fini();
	hat_fini();
	vt_machine_fini();
}

int
main(void)
{
	vt_amap_init(1);
	vt_machine_init(64, 2);
	vt_uvm_init(16);
	test_encoding();
	test_adjref();
	vt_uvm_fini();
	vt_machine_fini();
	vt_amap_fini();

	boot();
	expect(NULL, "a healthy world");
	damage_all();
	teardown();

	for (int c = 0; c < VT_AMAP_NCHECKS; c++)
		tap_ok(covered[c] >= 1, "check %s was made to fail",
		    vt_amap_checks[c].name);
	tap_plan(tap_n);
	return (tap_done());
}
