/*
 * mmu_role.c - `mmu`: the simulated hardware role of the HAT subsystem,
 * which every HAT scenario offers (--mmu N).  A walker loads a random hat
 * on its simulated CPU, accesses some of the VAs the other roles map
 * through the CPU's TLB (core/tlb.h), walking on a miss and setting REF/MOD
 * with CAS as the CPU does, then goes idle again (which flushes the TLB).
 */
#include "hat_subsys.h"

#include "hat_world.h"
#include "../core/mmu.h"
#include "../core/sys.h"

/*
 * One burst of accesses, as a thread of a process runs for a while on a
 * CPU: most
 * accesses go back to one of the few VAs the burst has already touched (so
 * the TLB hits, and a stale entry has time to be used or found), the rest
 * pick a new VA the other roles map.  Holds the process's wa_proc as
 * READER for the whole burst, not the as's a_lock: the hat cannot be freed
 * or swapped out while a thread of the process runs, but hat_share and
 * hat_unshare, unmaps and steals race the walks, as on a real CPU.  The
 * accesses take only this CPU's tlb_lock.  The CPU number is this walker's
 * rank among the mmu workers.
 */
void
vt_mmu_op(struct vt_worker *w)
{
	uint32_t cpu = w->role_rank;
	struct vt_world_as *wa;
	uintptr_t seen[4];
	uint32_t n, nseen = 0;
	hat_t *hat;

	/*
	 * A scenario without user address spaces (amap-*, vpm-*) has
	 * nothing to walk: the CPU idles.
	 */
	if (vt_world.w_nas == 0) {
		vt_worker_yield();
		return;
	}
	wa = vt_world_proc_enter(w);
	if (wa == NULL) {
		vt_worker_yield();
		return;
	}
	hat = wa->wa_as.a_hat;
	ASSERT(cpu < vt_mmu_ncpus());
	vt_mmu_switch(cpu, hat);
	for (n = 4 + (uint32_t)vt_worker_rand_below(w, 29); n > 0; n--) {
		uintptr_t va;
		bool write;
		int rc;

		if (nseen > 0 && vt_worker_chance(w, 60)) {
			va = seen[vt_worker_rand_below(w, nseen)];
		} else {
			va = vt_world_pick_walk_va(w);
			if (nseen < sizeof (seen) / sizeof (seen[0]))
				seen[nseen++] = va;
		}
		write = vt_worker_chance(w, 30);
		rc = vt_mmu_walk(cpu, va, write);
		vt_hat_event(w, VT_HAT_OP_MMU_WALK, hat->hat_id, va, write, rc);
	}
	vt_mmu_switch(cpu, NULL);
	vt_world_proc_exit(wa);
}
