/*
 * test_reserves2006.c - the 2006 reserve rule under --segkmem on, TAP.
 *
 * Boots the HAT with the 2006 hment (hash chains) and the HAT caches on
 * hat_memload_arena, then maps one page at many addresses of a user hat:
 * every hment slab the cache grows inside those hat_memload calls is a
 * kernel load nested in a HAT operation, which makes the loading thread
 * the hat_reserves_thread (hati_reserves_enter at depth 2).  Checks that
 * the nested loads were made, that the owner then drew hments from the
 * reserve, that the owner gave the reserves up when its outer operation
 * ended (depth 0, no owner left) and that the hment reserve is back at its
 * amount; and that without --segkmem nobody ever owns the reserves.  Single threaded: the main OS thread runs as kthread 0.
 */
#include "core/segkmem.h"

#include <stdio.h>

#include "core/hat.h"
#include "core/hment.h"
#include "core/htable.h"
#include "core/page.h"
#include "tests/tap.h"

#define	NPAGES		4096
#define	THROTTLE	16
#define	NMAP		300		/* mappings of one page: hments */
#define	VA0		((uintptr_t)0x10000000)

static struct hatstats
stats(void)
{
	struct hatstats s;

	vt_hatstats_sum(&s);
	return (s);
}

/* What one direct kernel load at depth 0 did to the 2006 reserve rule. */
struct probe {
	bool	owned;		/* it made this thread the reserves thread */
	bool	trimmed;	/* its exit adjusted (trimmed) the hment reserve */
	bool	left_owner;	/* an owner or a depth was left behind */
};

/*
 * A kernel load of a fresh page outside any HAT operation, with or without
 * HAT_NO_KALLOC (segkmem's flag for the HAT's own caches).  The hment
 * reserve amount is lowered below the count around it, so an adjust at
 * its exit would show as a trim.
 */
static struct probe
probe_kernel_load(uint_t flags)
{
	struct probe r;
	page_t *kp = vt_frame_alloc(VT_FRAME_DATA);
	uintptr_t kva = mmu.hole_end + 1 + ((uintptr_t)3 << 40);
	uint_t amount = hment_reserve_amount, c0;
	ulong_t o0 = stats().vt_reserves_owned;

	c0 = VT_PEEK(hment_reserve_count);
	hment_reserve_amount = c0 > 0 ? c0 - 1 : 0;
	hat_memload(kas.a_hat, (caddr_t)kva, kp,
	    PROT_READ | PROT_WRITE | HAT_NOSYNC, HAT_LOAD_LOCK | flags);
	r.owned = stats().vt_reserves_owned == o0 + 1;
	r.trimmed = VT_PEEK(hment_reserve_count) != c0;
	r.left_owner = VT_PEEK(hat_reserves_thread) != NULL ||
	    curthread->t_hatdepth != 0;
	hment_reserve_amount = amount;
	hat_unload(kas.a_hat, (caddr_t)kva, MMU_PAGESIZE, HAT_UNLOAD_UNLOCK);
	vt_frame_free(kp);
	return (r);
}

static struct probe probe_kalloc, probe_plain;

/* Boot, map pp NMAP times, unmap, tear down; the stats of the maps. */
static struct hatstats
run(int segkmem, uint_t *reserve_after, bool *owner_after)
{
	struct vt_hat_params p;
	struct hatstats s0, s1;
	struct as as1;
	page_t *pp;
	uint_t i;

	vt_machine_init(NPAGES, THROTTLE);
	vt_hatstats_init(2);
	hat_params_default(&p);
	p.hment_rev = HMENT_REV_2006_CHAIN;
	hat_params_rev_locks(&p);
	p.htable_reserve_amount = 16;
	vt_segkmem = segkmem;
	hat_init(&p);
	if (segkmem)
		segkmem_init();
	rw_init(&as1.a_lock, NULL, 0, NULL);
	as1.a_id = 1;
	rw_enter(&as1.a_lock, RW_WRITER);
	as1.a_hat = hat_alloc(&as1);
	pp = vt_frame_alloc(VT_FRAME_DATA);
	s0 = stats();
	page_lock(pp, SE_SHARED);
	for (i = 0; i < NMAP; i++)
		hat_memload(as1.a_hat, (caddr_t)(VA0 + i * MMU_PAGESIZE), pp,
		    PROT_READ | PROT_WRITE | PROT_USER, HAT_LOAD);
	page_unlock(pp);
	s1 = stats();
	*reserve_after = VT_PEEK(hment_reserve_count);
	*owner_after = VT_PEEK(hat_reserves_thread) != NULL ||
	    curthread->t_hatdepth != 0;
	if (segkmem) {
		probe_kalloc = probe_kernel_load(HAT_NO_KALLOC);
		probe_plain = probe_kernel_load(0);
	}
	hat_unload(as1.a_hat, (caddr_t)VA0, NMAP * MMU_PAGESIZE, HAT_UNLOAD);
	hat_free_start(as1.a_hat);
	hat_free_end(as1.a_hat);
	rw_exit(&as1.a_lock);
	rw_destroy(&as1.a_lock);
	vt_frame_free(pp);
	hat_fini();
	vt_machine_fini();
	for (i = 0; i < sizeof (s1) / sizeof (ulong_t); i++)
		((ulong_t *)&s1)[i] -= ((ulong_t *)&s0)[i];
	return (s1);
}

int
main(void)
{
	struct hatstats on, off;
	uint_t res_on, res_off;
	bool own_on, own_off;

	on = run(1, &res_on, &own_on);
	tap_ok(on.vt_kas_loads > 0 && on.vt_reserves_owned > 0,
	    "2006, --segkmem on: %lu kernel loads, %lu of them made their "
	    "thread the hat_reserves_thread", on.vt_kas_loads,
	    on.vt_reserves_owned);
	tap_ok(on.hs_hm_get_reserve > 0,
	    "the owner drew %lu hments from the reserve",
	    on.hs_hm_get_reserve);
	tap_ok(!own_on, "after the loads nobody owns the reserves and the "
	    "depth is back to 0");
	tap_ok(res_on == VT_HAT_DEF_HMENT_RESERVE,
	    "the hment reserve is back at its amount after the loads (%u of "
	    "%u)", res_on, VT_HAT_DEF_HMENT_RESERVE);

	tap_ok(probe_kalloc.owned && !probe_kalloc.trimmed &&
	    !probe_kalloc.left_owner,
	    "a HAT_NO_KALLOC kernel load outside a HAT operation owns the "
	    "reserves (depth 2), gives them up, and does not adjust them");
	tap_ok(!probe_plain.owned && !probe_plain.trimmed &&
	    !probe_plain.left_owner,
	    "the same load without HAT_NO_KALLOC (depth 1) does not own them");

	off = run(0, &res_off, &own_off);
	tap_ok(off.vt_kas_loads == 0 && off.vt_reserves_owned == 0 &&
	    off.hs_hm_get_reserve == 0 && !own_off,
	    "2006, --segkmem off: no kernel load, nobody owns the reserves, "
	    "no reserve hment used");
	tap_plan(tap_n);
	return (tap_done());
}
