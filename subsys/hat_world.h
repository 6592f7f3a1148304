/*
 * hat_world.h - the simulated workload shared by the scenarios: address spaces
 * (struct as + hat), "library" data pages mapped by many hats, a 512-page
 * large page for level-1 mappings, and an ISM hat whose 2 MiB segment other
 * hats attach with hat_share().
 *
 * The world keeps the kernel's calling rules so that every failure is a port
 * bug and not a misuse by the harness:
 *   - hat_memload / hat_unload callers hold the as's a_lock as READER;
 *     hat_alloc, hat_free_*, hat_share and hat_unshare hold it as WRITER.
 *   - a page is held SE_SHARED around hat_memload and SE_EXCL around
 *     hat_pageunload.
 *   - the 4 KiB mapping area of each hat is partitioned among the mapper
 *     workers (slot s of mapper r is page (s * nmappers + r) of the area),
 *     so two workers never load/unload one (hat, va) at once, while
 *     neighbouring slots of different workers share leaf page tables.
 *   - a VA is never loaded while it maps another page: a slot believed
 *     mapped is unloaded first.  Per-slot beliefs are invalidated by the
 *     as's generation number, bumped whenever its hat is replaced.
 *
 * Lock order used here: a_lock -> page lock -> (HAT locks inside the port).
 * A worker holds at most one a_lock and one page lock at a time.
 */
#ifndef VT_SUBSYS_HAT_WORLD_H
#define VT_SUBSYS_HAT_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/hat.h"
#include "../core/page.h"
#include "../stress/config.h"
#include "../stress/engine.h"

/*
 * VA layout of every user hat (all below the amd64 VA hole):
 *   VT_VA_MAP     4 KiB mapping slots; VT_WORLD_TABLE_PAGES consecutive
 *                 pages per leaf table, 8 leaf tables per 1 GiB, so a few
 *                 hundred slots already spread over several level-0 and
 *                 level-1 tables.
 *   VT_VA_LARGE   one 2 MiB-aligned level-1 mapping slot per mapper.
 *   VT_VA_BALLAST a few mappings made under the writer lock whenever a hat
 *                 is created, so stealable leaf tables exist from the start.
 *   VT_VA_SHARE   where the ISM segment is attached (2 MiB, level-0 table).
 * The ISM hat maps its segment at VT_VA_ISM.
 * hat_unload(VT_VA_MAP .. VT_VA_SHARE) unloads everything but the share.
 */
#define VT_VA_MAP		0x010000000000UL
#define VT_VA_LARGE		0x020000000000UL
#define VT_VA_BALLAST		0x030000000000UL
#define VT_VA_SHARE		0x040000000000UL
#define VT_VA_ISM		0x050000000000UL
#define VT_VA_UNLOAD_LEN	(VT_VA_SHARE - VT_VA_MAP)
#define VT_WORLD_TABLE_PAGES	64	/* slots used per leaf table */
#define VT_WORLD_BALLAST	4	/* ballast mappings per hat */
#define VT_WORLD_ISM_PAGES	32	/* pages loaded in the ISM segment */
#define VT_WORLD_LARGE_PAGES	512	/* one level-1 page */
#define VT_WORLD_SEG_SIZE	(2UL << 20)	/* LEVEL_SIZE(1) on amd64 */

/*
 * The kernel's file-cache window (the kmapper role, segmap's part): each
 * kmapper owns VT_KMAP_SLOTS consecutive kernel pages, 2 TiB above the
 * end of the VA hole (clear of segkmem's heap at 1 TiB), where it maps
 * library pages into kas.
 */
#define	VT_KMAP_SLOTS		16
#define	VT_KMAP_OFFSET		(2UL << 40)
uintptr_t vt_world_kmap_va(uint32_t rank, uint32_t slot);
/* Before a (write-fault) load of pp, pp locked: P_MOD if pp is VMODSORT. */
void vt_world_setmod(page_t *pp);
/* Kernel mappings have no PROT_USER (hat_memload would drop it anyway). */
#define	VT_KMAP_ATTR		(PROT_READ | PROT_WRITE)

/* Mapping attributes used for every load (constant, so refaults are exact). */
#define VT_WORLD_ATTR		(PROT_READ | PROT_WRITE | PROT_USER)

/* One simulated process. */
struct vt_world_as {
	/*
	 * The simulated process: with --mmu, a CPU running one of its threads
	 * holds wa_proc as READER (the mmu walker, without a_lock, as a real
	 * CPU holds no lock of the address space); what the kernel does only
	 * when none of its threads runs (exit: the churner's hat_free_*;
	 * swap-out: hat_swapout) holds it as WRITER, before a_lock.  Not taken
	 * without --mmu (nothing runs on a CPU then).
	 */
	krwlock_t	wa_proc;
	/* Exits/swap-outs that want or hold wa_proc; atomics, racy reads. */
	uint32_t	wa_exiting;
	struct as	wa_as;		/* a_lock; a_hat (a_lock writer to change) */
	uint64_t	wa_gen;		/* bumped when a_hat is replaced; a_lock writer */
	bool		wa_shared;	/* ISM attached at VT_VA_SHARE; a_lock writer */
	/*
	 * Writers (churner, sharer) that want or hold a_lock; atomics, racy
	 * reads.  Readers skip such an as instead of queueing behind the
	 * writer: in the kernel nobody faults in an address space that is
	 * being created or destroyed, and a writer that spins in
	 * htable_alloc's steal loop must not stop every mapper (who would
	 * otherwise all end up queued on it) from making stealable tables.
	 */
	uint32_t	wa_writers;
};

/* Built by vt_world_setup (boot thread); read-only during the run. */
struct vt_world {
	uint32_t	w_nas;		/* --hats */
	struct vt_world_as *w_as;	/* [w_nas] */
	uint32_t	w_nlib;		/* --shared-pages */
	page_t		**w_lib;	/* library pages */
	page_t		*w_large;	/* leader of the 512-page run, or NULL */
	uint32_t	w_va_slots;	/* --va-slots: slots per mapper per hat */
	uint32_t	w_nmappers;	/* mapper workers (set by their worker_init) */
	struct as	w_ism_as;	/* the ISM hat's own as (never churned) */
	hat_t		*w_ism_hat;	/* HAT_SHARED after setup */
	uint32_t	w_nism;
	page_t		**w_ism;	/* pages of the ISM segment */
};
extern struct vt_world vt_world;

/* Setup / teardown (boot thread; no worker running). */
int vt_world_setup(const struct vt_config *c, char *err, size_t errlen);
void vt_world_teardown(void);

/* VA of slot `slot` of mapper `rank`, and of mapper rank's large slot. */
uintptr_t vt_world_slot_va(uint32_t rank, uint32_t slot);
uintptr_t vt_world_large_va(uint32_t rank);

/*
 * Pick a random address space and take its a_lock as `how`.  Returns with
 * the lock held; vt_world_as_exit drops it.  A reader skips address spaces
 * a writer wants; if it finds none free after a few picks it returns NULL
 * holding nothing (the caller yields and returns).
 */
struct vt_world_as *vt_world_as_enter(struct vt_worker *w, krw_t how);
/*
 * The same as a writer that must run with no thread of the process on a
 * CPU (exit, swap-out): with --mmu, takes the as's wa_proc as WRITER first
 * (waiting for the CPUs running it to go idle), then a_lock as WRITER.
 * vt_world_as_exit drops both.
 */
struct vt_world_as *vt_world_as_enter_stopped(struct vt_worker *w);
void vt_world_as_exit(struct vt_world_as *wa);
/*
 * For a simulated CPU: pick a random address space whose process is not
 * exiting and take its wa_proc as READER (a thread of it runs); a_hat is
 * stable until vt_world_proc_exit.  NULL, holding nothing, if a few picks
 * found only exiting ones.
 */
struct vt_world_as *vt_world_proc_enter(struct vt_worker *w);
void vt_world_proc_exit(struct vt_world_as *wa);

/* A random library page (stable for the run). */
page_t *vt_world_pick_page(struct vt_worker *w);

/*
 * Replace wa's hat (as_free then as_alloc): hat_free_start, hat_unshare if
 * attached, hat_unload of everything, hat_free_end, hat_alloc, ballast.
 * a_lock held as WRITER on entry and on return.
 */
void vt_world_churn(struct vt_worker *w, struct vt_world_as *wa);

/*
 * Generic role bodies used by the scenario tables.  Each takes and drops
 * its own locks and returns holding none.
 */
void vt_world_mapper_init(struct vt_worker *w);	/* boot thread */
void vt_world_mapper_fini(struct vt_worker *w);	/* boot thread */
void vt_world_mapper_op(struct vt_worker *w);
void vt_world_sharer_op(struct vt_worker *w);
void vt_world_churner_op(struct vt_worker *w);
void vt_world_reaper_op(struct vt_worker *w);
void vt_world_pageunloader_op(struct vt_worker *w);
void vt_world_swapper_op(struct vt_worker *w);
void vt_world_demoter_op(struct vt_worker *w);

/* A VA worth walking in a hat (mapping slot, large, ballast or share). */
uintptr_t vt_world_pick_walk_va(struct vt_worker *w);

#endif /* VT_SUBSYS_HAT_WORLD_H */
