/*
 * segkmem.h - the simulated kernel heap behind the HAT's own kmem caches
 * (--segkmem on): a slab page is a frame mapped into the kernel hat with
 * hat_memload, and unmapped with hat_unload when kmem gives the slab back,
 * as illumos' segkmem does for the caches created on hat_memload_arena.
 *
 * Why it exists (issue 13, doc/hat-fidelity.md): in the kernel, growing the
 * hment or htable cache inside hati_load_common maps the new slab into kas,
 * a HAT operation nested in a HAT operation, so t_hatdepth exceeds 1 and
 * USE_HAT_RESERVES() sends the nested hment_alloc/htable_alloc to the
 * reserves.  Without this module that never happens after boot.
 *
 * Kernel VA comes from a bounded window of VT_SEGKMEM_SLOTS pages; a slot
 * is free again only once its page's hat_unload has returned, so the HAT
 * never sees a va mapped twice.  Every VT_SEGKMEM_SPAN slots, the first
 * page of a span is taken for vmem's own span structures and mapped with
 * t_vmem_populator set: the kernel's vmem_is_populator() case.
 *
 * Locks: none of its own (the slot map is atomics); segkmem_page_alloc and
 * segkmem_page_free call hat_memload/hat_unload on kas and take whatever
 * they take, so they are called with no HAT lock held.
 */
#ifndef VT_CORE_SEGKMEM_H
#define VT_CORE_SEGKMEM_H

#include "sys.h"

#define	VT_SEGKMEM_SLOTS	4096	/* kernel heap pages (16 MiB: 8 leaf tables) */
#define	VT_SEGKMEM_SPAN		64	/* slots per vmem span (one populated page) */

/*
 * The arena the HAT's caches are created on (kmem_cache_create's vmp).
 * Only its address matters: a cache created on it grows slabs here.
 */
struct vmem { const char *vm_name; };
extern struct vmem hat_memload_arena;

/*
 * The smallest htable reserve that --segkmem on accepts: a nested kernel
 * load may use nothing but the reserve, and the first load into a fresh
 * part of the heap needs a table at each level below the top.  With less,
 * a nested load that finds nothing to steal spins in htable_alloc forever
 * (as a kernel tuned that way would).
 */
#define	VT_SEGKMEM_MIN_HT_RESERVE	3

/* --segkmem on; set before hat_init, cleared by segkmem_fini. */
extern int vt_segkmem;

/*
 * Start mapping slabs (after boot: kas must exist); what the caches on
 * hat_memload_arena hold already counts as boot heap.  Single threaded.
 */
void segkmem_init(void);
/* Unmap every slab page and stop (before the HAT is torn down). */
void segkmem_fini(void);
bool segkmem_active(void);

/* One slab page mapped in kas, or NULL (no slot, no frame). */
caddr_t segkmem_page_alloc(void);
void segkmem_page_free(caddr_t va);

/* The heap window (audit and tests). */
uintptr_t segkmem_base(void);

/*
 * vmem_is_populator(): true while this thread maps a page for vmem's own
 * structures.  PORT: a kthread flag instead of the kernel's per-CPU check.
 */
#define	vmem_is_populator()	(curthread->t_vmem_populator != 0)

#endif /* VT_CORE_SEGKMEM_H */
