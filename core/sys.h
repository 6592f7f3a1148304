/*
 * sys.h - the small slice of the illumos kernel environment the port needs:
 * basic types and panic/ASSERT/VERIFY (from base/), the lock layer, kmem
 * caches with fault injection.
 */
#ifndef VT_CORE_SYS_H
#define VT_CORE_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../base/panic.h"
#include "../base/types.h"
#include "../locks/atomic.h"
#include "../locks/kmutex.h"
#include "../locks/kthread.h"

/*
 * kmem caches.  KM_SLEEP never fails.  KM_NOSLEEP may fail on demand: with a
 * per-allocation probability (ppm, drawn from the calling kthread's PRNG, so
 * it is reproducible from the seed) and/or when the cache's outstanding
 * objects reach a budget.  A reclaim callback (htable_reap) is run by
 * kmem_cache_reap(); kmem_reap() only records a request (the kernel's is
 * asynchronous), which the reaper role honours.
 */
#define VT_KMEM_QUARANTINE	1024	/* freed buffers held back per cache */
#define VT_KMEM_DEADBEEF	0xdeadbeefU

#define KM_SLEEP	0
#define KM_NOSLEEP	1
#define KMC_NOHASH	0x200
#define KMC_NODEBUG	0x20000

typedef struct kmem_cache {
	const char	*cache_name;
	size_t		cache_size;
	void		(*cache_reclaim)(void *);
	void		*cache_private;
	/* Counters: atomics. */
	uint64_t	cache_outstanding;	/* allocated, not yet freed */
	uint64_t	cache_allocs;
	uint64_t	cache_frees;
	uint64_t	cache_fails;		/* injected NOSLEEP failures */
	/* Fault policy: set before the run. */
	uint32_t	cache_fail_ppm;		/* 0..1000000 */
	uint64_t	cache_budget;		/* 0 = unlimited */
	struct kmem_cache *cache_next;		/* registry */
	/*
	 * Freed buffers wait here, filled with 0xdeadbeef, before going back
	 * to the host allocator (the kernel's KMF_DEADBEEF idea): a use after
	 * free reads the pattern whatever the heap layout, so it fails the
	 * same way on every replay, and a write after free is caught when the
	 * buffer leaves the quarantine.  Lock-free: a free claims the next
	 * slot with an atomic add and swaps its buffer in, taking out the
	 * one that was there.
	 */
	void		**cache_q;		/* ring of VT_KMEM_QUARANTINE; atomics */
	uint64_t	cache_qhead;		/* next slot (mod size); atomics */
	/* Constructor/destructor (run on every alloc/free; see machine.c). */
	int		(*cache_ctor)(void *, void *, int);
	void		(*cache_dtor)(void *, void *);
	/*
	 * Slabs (--segkmem on, caches created on hat_memload_arena): each
	 * slab is a kernel page mapped through the HAT (core/segkmem.c).
	 * cache_slab_word packs objects in use (high 32 bits) and the slabs'
	 * capacity in objects (low 32), so one CAS reserves an object or
	 * gives a slab back without ever leaving use above capacity.
	 */
	uint32_t	cache_slab_objs;	/* objects per slab; 0: no slabs; immutable */
	uint64_t	cache_slab_word;	/* used << 32 | capacity; atomics */
	kmutex_t	cache_slab_lock;	/* the slab list below; a leaf */
	uintptr_t	*cache_slabs;		/* kva of each slab; cache_slab_lock */
	uint32_t	cache_nslabs;		/* cache_slab_lock */
	uint32_t	cache_shrink;		/* >= 2 idle slabs seen by a free; atomics */
	uint64_t	cache_slab_create;	/* atomics */
	uint64_t	cache_slab_destroy;	/* atomics */
	uint64_t	cache_slab_fails;	/* grows that found no page; atomics */
} kmem_cache_t;

kmem_cache_t *kmem_cache_create(const char *name, size_t size, size_t align,
    int (*ctor)(void *, void *, int), void (*dtor)(void *, void *),
    void (*reclaim)(void *), void *priv, void *vmp, int cflags);
void kmem_cache_destroy(kmem_cache_t *cp);
void *kmem_cache_alloc(kmem_cache_t *cp, int kmflag);
void kmem_cache_free(kmem_cache_t *cp, void *buf);
/* Run cp's reclaim callback now (the reaper role calls this). */
void kmem_cache_reap(kmem_cache_t *cp);
/* Ask for a reap; the reaper role notices (vt_kmem_reap_pending). */
void kmem_reap(void);
bool vt_kmem_reap_pending(void);	/* clears the request */
void vt_kmem_set_fault(kmem_cache_t *cp, uint32_t fail_ppm, uint64_t budget);
kmem_cache_t *vt_kmem_cache_first(void);	/* registry walk (reports) */
/*
 * Slabs for the caches on hat_memload_arena (core/segkmem.c calls these
 * at its init and fini, single threaded).  vt_kmem_update gives idle slabs
 * back, the kernel's periodic kmem update and reap: call it with no lock
 * held (between operations).
 */
void vt_kmem_slabs_start(void);
void vt_kmem_slabs_stop(void);
void vt_kmem_update(void);

void *kmem_zalloc(size_t size, int kmflag);
void *kmem_alloc(size_t size, int kmflag);
void kmem_free(void *p, size_t size);

/* Per-thread PRNG draws (xoshiro128+ style over kthread_t.t_rng). */
uint64_t vt_thread_rand(kthread_t *t);

#endif /* VT_CORE_SYS_H */
