/*
 * kmem_slab.h - the slab layer of the simulated kmem (kmem_slab.c), for
 * core/machine.c's kmem_cache_* stand-ins only.
 */
#ifndef VT_CORE_KMEM_SLAB_H
#define VT_CORE_KMEM_SLAB_H

#include "sys.h"

/* kmem_cache_create: give cp slabs if vmp is hat_memload_arena. */
void vt_kmem_slab_setup(kmem_cache_t *cp, void *vmp);
/* kmem_cache_destroy: forget cp (its slabs are gone: segkmem_fini). */
void vt_kmem_slab_teardown(kmem_cache_t *cp);
/*
 * kmem_cache_alloc: room for one more object, growing a slab when the
 * slabs are full (hat_memload on kas, so no HAT lock may be held).  false:
 * no page for a KM_NOSLEEP grow.  Takes cache_slab_lock briefly.
 */
bool vt_kmem_slab_reserve(kmem_cache_t *cp, int kmflag);
/* kmem_cache_free: one object less; notes idle slabs.  No lock. */
void vt_kmem_slab_release(kmem_cache_t *cp);

#endif /* VT_CORE_KMEM_SLAB_H */
