/*
 * vpm_subsys.h - the illumos vpm cache (core/vpm.c) on the simulated page
 * cache and vnodes (core/pagecache.c, core/vnode.c) as a subsystem of the
 * harness: its options, operation kinds, audit checks, the workload
 * (vpm_world.c) and `vmtorture bench vpm` (vpm_bench.c).
 *
 * Scenarios name machine, hat (hat_kpm, hat_pageunload) and vpm.
 */
#ifndef VT_SUBSYS_VPM_SUBSYS_H
#define VT_SUBSYS_VPM_SUBSYS_H

#include <stdint.h>

#include "../core/vnode.h"
#include "../stress/audit.h"
#include "../stress/config.h"
#include "../stress/engine.h"
#include "../stress/subsys.h"

/* The vpm subsystem's options, seed tunables by their names. */
struct vt_vpm_opts {
	uint64_t	cache_pages;	/* --vpm-cache-pages N (0: vpm_cache_percent) */
	uint32_t	cache_percent;	/* --vpm-cache-percent */
	uint32_t	nfreelist;	/* --vpm-nfreelist (0: one per CPU) */
	uint32_t	cache_enable;	/* --vpm-cache-enable 0|1|2 (2: seed parity) */
	uint32_t	steals_mtbf;	/* --steals-mtbf (0: off) */
	uint32_t	contend_mtbf;	/* --contend-mtbf (0: off) */
	int		fix;		/* --vpm-fix none|signal */
	uint32_t	vnodes;		/* --vnodes N files */
	uint32_t	file_pages;	/* --file-pages N pages per file */
};

#define VT_VPM_FIX_NONE		0
#define VT_VPM_FIX_SIGNAL	1

#define VT_VPM_OPS(X) \
	X(READ, "vpm_data_copy(S_READ)") \
	X(WRITE, "vpm_data_copy(S_WRITE)") \
	X(SYNC, "vpm_sync_pages") \
	X(RECLAIM, "page_reclaim")

enum vt_vpm_op {
#define VT_VPM_OP_ENUM(id, name) VT_VPM_OP_##id,
	VT_VPM_OPS(VT_VPM_OP_ENUM)
#undef VT_VPM_OP_ENUM
	VT_VPM_NOPS
};

#define VT_VPM_CHECKS(X) \
	X(FREELIST,	"vpm-freelist",	"every vpmap with vpm_refcnt 0 is on exactly one queue of its own freelist, the one vpm_ndxflg names; every other vpmap on none") \
	X(QUEUE,	"vpm-queue",	"each free queue is a well-formed circular list of vpmaps of its freelist") \
	X(PAGEREF,	"vpm-pageref",	"a cached page's p_vpmref names a vpmap whose vpm_pp/vp/off are that page; free frames have p_vpmref 0") \
	X(WANT,		"vpm-want",	"vpm_want equals the threads asleep on vpm_free_cv") \
	X(FREE_CACHED,	"vpm-free-cached", "no page is both free and cached; a cached page's identity is its hash slot") \
	X(REST,		"vpm-rest",	"at rest no vpmap is referenced and no cached page is locked") \
	X(CONTENTS,	"vpm-contents",	"cached pages and the backing store hold what the writers wrote")

enum vt_vpm_check {
#define VT_VPM_CHECK_ENUM(id, name, desc) VT_VPM_CHECK_##id,
	VT_VPM_CHECKS(VT_VPM_CHECK_ENUM)
#undef VT_VPM_CHECK_ENUM
	VT_VPM_NCHECKS
};

extern const struct vt_check vt_vpm_checks[VT_VPM_NCHECKS];
extern const struct vt_subsys_ops vt_subsys_vpm;
extern uint32_t vt_vpm_op_base;

/* machine, hat, vpm; NULL-terminated. */
extern const struct vt_subsys_ops *const vt_vpm_subsystems[];

static inline struct vt_vpm_opts *
vt_vpm_opts(struct vt_config *c)
{
	return ((struct vt_vpm_opts *)vt_config_sub(c, &vt_subsys_vpm));
}

static inline const struct vt_vpm_opts *
vt_vpm_opts_c(const struct vt_config *c)
{
	return ((const struct vt_vpm_opts *)vt_config_sub_const(c,
	    &vt_subsys_vpm));
}

/*
 * The files: vnodes with a reference copy of every page (what the writers
 * wrote) and a range lock per page (the file system's rwlock: readers
 * RW_READER, writers RW_WRITER, taken in ascending order).
 */
struct vt_vpm_file {
	vnode_t		*vf_vp;
	krwlock_t	*vf_rl;		/* [v_npages] */
	uint8_t		*vf_ref;	/* v_npages * PAGESIZE; vf_rl of the page */
	uint32_t	*vf_ver;	/* version per page; vf_rl of the page */
};
struct vt_vpm_world {
	uint32_t	vw_nfiles;
	struct vt_vpm_file *vw_files;
};
extern struct vt_vpm_world vt_vpm_world;

/* Build / tear down the files (boot thread; pagecache and vpm booted). */
void vt_vpm_world_build(uint32_t nfiles, uint32_t npages);
void vt_vpm_world_destroy(void);	/* evicts every cached page first */
int vt_vpm_world_setup(const struct vt_config *c, char *err, size_t errlen);
void vt_vpm_world_teardown(void);

/* The byte a writer puts at file offset x of file vid in version ver. */
static inline uint8_t
vt_vpm_pattern(uint32_t vid, uint64_t x, uint32_t ver)
{
	uint64_t h = (x >> 3) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)vid << 40) ^
	    ((uint64_t)ver << 20);

	h ^= h >> 29;
	return ((uint8_t)(h ^ (x & 7) * 37));
}

/* Roles (vpm_world.c); each returns holding no lock. */
void vt_vpm_reader_op(struct vt_worker *w);
void vt_vpm_writer_op(struct vt_worker *w);
void vt_vpm_syncer_op(struct vt_worker *w);
void vt_vpm_pageout_op(struct vt_worker *w);
void vt_vpm_worker_init(struct vt_worker *w);
void vt_vpm_worker_fini(struct vt_worker *w);

/* One vpm operation of a worker (vpm_world.c). */
static inline void
vt_vpm_event(struct vt_worker *w, enum vt_vpm_op op, uint32_t obj,
    uint64_t off, uint64_t pfn, int64_t result)
{
	vt_worker_event(w, vt_vpm_op_base + (uint32_t)op, obj, off, pfn,
	    result);
}

/* The audit (vpm_audit.c).  World stopped; takes no locks. */
uint32_t vt_vpm_audit(struct vt_audit_result *r);

/* `vmtorture bench vpm` (vpm_bench.c). */
int vt_vpm_bench_main(int argc, char **argv);

#endif /* VT_SUBSYS_VPM_SUBSYS_H */
