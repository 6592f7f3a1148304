/*
 * hat_subsys.h - the illumos x86 HAT as a subsystem of the harness (hment,
 * htable, hat_i86 glue and the simulated MMU), on the simulated machine
 * (machine_subsys.c): its options, operation kinds and ops tables.
 */
#ifndef VT_SUBSYS_HAT_SUBSYS_H
#define VT_SUBSYS_HAT_SUBSYS_H

#include <stdint.h>

#include "../stress/config.h"
#include "../stress/engine.h"
#include "../stress/subsys.h"

/* The machine's options (subsystem "machine"). */
struct vt_machine_opts {
	uint64_t	pages;		/* --pages N frames */
	uint64_t	throttlefree;	/* --throttlefree N (VT_PARAM_AUTO: pages/64) */
};

/* The HAT's options (subsystem "hat"), kernel tunables by their names. */
struct vt_hat_opts {
	uint64_t	mlist_locks;		/* --mlist-locks (MLIST_NUM_LOCK); VT_PARAM_AUTO */
	uint64_t	hash_locks;		/* --hash-locks (HASH_NUM_LOCK); VT_PARAM_AUTO */
	uint32_t	htable_locks;		/* --htable-locks (NUM_HTABLE_MUTEX) */
	uint32_t	hment_hash_size;	/* --hment-hash-size (HMENT_HASH_SIZE) */
	int		hment_rev;		/* --hment-hash avl|chain */
	double		kmem_fail;		/* --kmem-fail P (hment+htable NOSLEEP) */
	uint64_t	kmem_budget;		/* --kmem-budget N hments outstanding */
	uint32_t	hment_reserve_amount;	/* --hment-reserve-amount */
	uint32_t	htable_reserve_amount;	/* --htable-reserve-amount */
	uint32_t	htable_steal_passes;	/* --htable-steal-passes */
	uint64_t	force_steal;		/* --force-steal N */
	uint32_t	hats;			/* --hats N address spaces */
	uint32_t	shared_pages;		/* --shared-pages N library pages */
	uint32_t	va_slots;		/* --va-slots N pages per worker per hat */
	int		hat_fix;		/* --hat-fix: VT_HAT_FIX_* bits (0: none) */
	int		htable_lookup;		/* --htable-lookup: 0 mutex, 1 rcu */
	int		segkmem;		/* --segkmem: 0 off, 1 on (core/segkmem.h) */
	int		vmodsort;		/* --vmodsort: library pages' vnode is VMODSORT */
};

/* The HAT's operation kinds (vt_hat_event). */
#define VT_HAT_OPS(X) \
	X(MEMLOAD, "hat_memload") \
	X(MEMLOAD_LARGE, "hat_memload_large") \
	X(UNLOAD, "hat_unload") \
	X(PAGEUNLOAD, "hat_pageunload") \
	X(SHARE, "hat_share") \
	X(UNSHARE, "hat_unshare") \
	X(HAT_ALLOC, "hat_alloc") \
	X(HAT_FREE, "hat_free") \
	X(REAP, "htable_reap") \
	X(MMU_WALK, "mmu_walk") \
	X(MAPCNT, "hment_mapcnt") \
	X(SWAPOUT, "hat_swapout") \
	X(DEMOTE, "hat_page_demote") \
	X(PAGESYNC, "hat_pagesync")

enum vt_hat_op {
#define VT_HAT_OP_ENUM(id, name) VT_HAT_OP_##id,
	VT_HAT_OPS(VT_HAT_OP_ENUM)
#undef VT_HAT_OP_ENUM
	VT_HAT_NOPS
};

/* --hash-spread (hat_spread.c): the HAT's hashes into r; world stopped. */
struct vt_report;
void vt_hat_spread(struct vt_report *r);

extern const struct vt_subsys_ops vt_subsys_machine;
extern const struct vt_subsys_ops vt_subsys_hat;
extern uint32_t vt_hat_op_base;		/* set at registration */

/* The two subsystems every HAT scenario names, NULL-terminated. */
extern const struct vt_subsys_ops *const vt_hat_subsystems[];

/* The options blocks of c. */
static inline struct vt_hat_opts *
vt_hat_opts(struct vt_config *c)
{
	return ((struct vt_hat_opts *)vt_config_sub(c, &vt_subsys_hat));
}

static inline const struct vt_hat_opts *
vt_hat_opts_c(const struct vt_config *c)
{
	return ((const struct vt_hat_opts *)vt_config_sub_const(c,
	    &vt_subsys_hat));
}

static inline const struct vt_machine_opts *
vt_machine_opts_c(const struct vt_config *c)
{
	return ((const struct vt_machine_opts *)vt_config_sub_const(c,
	    &vt_subsys_machine));
}

/* Record HAT operation op of w (flight recorder and counts). */
static inline void
vt_hat_event(struct vt_worker *w, enum vt_hat_op op, uint32_t hat_id,
    uint64_t va, uint64_t pfn, int64_t result)
{
	vt_worker_event(w, vt_hat_op_base + (uint32_t)op, hat_id, va, pfn,
	    result);
}

/* The HAT's own roles: the simulated CPU (mmu_role.c), segmap's part (kmapper_role.c). */
void vt_mmu_op(struct vt_worker *w);
void vt_kmapper_op(struct vt_worker *w);
void vt_kmapper_init(struct vt_worker *w);
void vt_kmapper_fini(struct vt_worker *w);

/* `vmtorture bench [--seconds S] [--lock NAME] [--tap]` (hat_bench.c). */
int vt_bench_main(int argc, char **argv);

#endif /* VT_SUBSYS_HAT_SUBSYS_H */
