/*
 * amap_subsys.h - NetBSD uvm_amap as a subsystem of the harness: processes
 * with simulated vm_maps over the HAT, forking, faulting (copy on write),
 * clipping, unmapping, growing, paging out and swapping off; its options,
 * operation kinds, roles and ops table.
 */
#ifndef VT_SUBSYS_AMAP_SUBSYS_H
#define VT_SUBSYS_AMAP_SUBSYS_H

#include <stdint.h>

#include "../stress/config.h"
#include "../stress/engine.h"
#include "../stress/subsys.h"

/* The amap subsystem's options. */
struct vt_amap_opts {
	uint32_t	procs;		/* --amap-procs N process slots */
	uint32_t	va_pages;	/* --amap-va-pages N pages of VA each */
	uint32_t	swap_slots;	/* --amap-swap-slots N */
	double		malloc_fail;	/* --amap-malloc-fail P (M_NOWAIT/M_CANFAIL) */
	double		pool_fail;	/* --amap-pool-fail P (pool_get, uvm_analloc) */
	double		pagealloc_fail;	/* --pagealloc-fail P */
	const char	*fix;		/* --amap-fix LIST */
	uint32_t	fixes;		/* parsed fix (VT_AMAP_FIX_*) */
};

/* Operation kinds (vt_amap_event). */
#define VT_AMAP_OPS(X) \
	X(EXEC, "amap_exec") \
	X(FORK, "amap_fork") \
	X(WIRE_FORK, "amap_wire_fork") \
	X(EXIT, "amap_exit") \
	X(FAULT_READ, "amap_fault_read") \
	X(FAULT_WRITE, "amap_fault_write") \
	X(UNMAP, "amap_unmap") \
	X(MAP, "amap_map") \
	X(EXTEND, "amap_extend") \
	X(SHARE_PROTECT, "amap_share_protect") \
	X(LOOKUPS, "amap_lookups") \
	X(PAGEOUT, "amap_pageout") \
	X(SWAP_OFF, "amap_swap_off")

enum vt_amap_op {
#define VT_AMAP_OP_ENUM(id, name) VT_AMAP_OP_##id,
	VT_AMAP_OPS(VT_AMAP_OP_ENUM)
#undef VT_AMAP_OP_ENUM
	VT_AMAP_NOPS
};

extern const struct vt_subsys_ops vt_subsys_amap;
extern uint32_t vt_amap_op_base;

/* machine, hat, amap: what every amap scenario names (NULL-terminated). */
extern const struct vt_subsys_ops *const vt_amap_subsystems[];

static inline struct vt_amap_opts *
vt_amap_opts(struct vt_config *c)
{
	return ((struct vt_amap_opts *)vt_config_sub(c, &vt_subsys_amap));
}

static inline const struct vt_amap_opts *
vt_amap_opts_c(const struct vt_config *c)
{
	return ((const struct vt_amap_opts *)vt_config_sub_const(c,
	    &vt_subsys_amap));
}

static inline void
vt_amap_event(struct vt_worker *w, enum vt_amap_op op, uint32_t id,
    uint64_t va, uint64_t arg, int64_t result)
{
	vt_worker_event(w, vt_amap_op_base + (uint32_t)op, id, va, arg, result);
}

/* The workload (amap_world.c). */
int vt_amap_world_setup(const struct vt_config *c, char *err, size_t errlen);
void vt_amap_world_teardown(void);
void vt_amap_forker_op(struct vt_worker *w);
void vt_amap_faulter_op(struct vt_worker *w);
void vt_amap_mapper_op(struct vt_worker *w);
void vt_amap_pager_op(struct vt_worker *w);
void vt_amap_swapoff_op(struct vt_worker *w);

/* The audit (amap_audit.c). */
#define VT_AMAP_CHECKS(X) \
	X(SLOTS, "amap-slots", "am_slots/am_bckptr/am_anon/am_nused agree " \
	    "(uvm_amap.h invariants)") \
	X(ANON_REF, "anon-ref", "every anon's an_ref equals the amap slots " \
	    "holding it") \
	X(ANON_LEAK, "anon-leak", "the live anons are exactly those the " \
	    "amaps hold") \
	X(ANON_PAGE, "anon-page", "an anon has its page (owned, not busy) " \
	    "or a swap slot in use") \
	X(PPREF, "ppref", "an established am_ppref decodes to the true " \
	    "per-slot reference counts") \
	X(AMAP_REF, "amap-ref", "am_ref equals the map entries referencing " \
	    "the amap") \
	X(AMAP_LIST, "amap-list", "amap_list holds exactly the live amaps") \
	X(COW_DATA, "amap-cow-data", "every page a process reads holds what " \
	    "it last wrote there (copy on write)")

enum vt_amap_check {
#define VT_AMAP_CHECK_ENUM(id, name, desc) VT_AMAP_CHECK_##id,
	VT_AMAP_CHECKS(VT_AMAP_CHECK_ENUM)
#undef VT_AMAP_CHECK_ENUM
	VT_AMAP_NCHECKS
};
extern const struct vt_check vt_amap_checks[VT_AMAP_NCHECKS];
struct vt_audit_result;
uint32_t vt_amap_audit(struct vt_audit_result *r);

/* `vmtorture bench amap` (amap_bench.c). */
int vt_amap_bench_main(int argc, char **argv);

#endif /* VT_SUBSYS_AMAP_SUBSYS_H */
