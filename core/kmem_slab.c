/*
 * kmem_slab.c - slabs for the simulated kmem caches created on
 * hat_memload_arena, with --segkmem on (core/segkmem.h says why).
 *
 * PORT: the kernel's slab layer places objects in slabs and puts per-CPU
 * magazines in front of them; here a cache counts its slabs' capacity in
 * objects, and the objects themselves stay host buffers (machine.c), so the
 * grow and give-back decisions are the kernel's - grow when every slab is
 * full, give a slab back once more than one is idle, from kmem's periodic
 * update rather than from the free itself - while use-after-free is still
 * caught by the quarantine.  One CAS on cache_slab_word reserves an object;
 * there is no cache lock on the allocation path, as the magazines spare
 * the kernel's.
 *
 * Locks: cache_slab_lock (a leaf: never held across a HAT call) protects
 * each cache's list of slab addresses.  A grow or give-back runs
 * hat_memload/hat_unload on kas with no kmem lock held.
 */
#include "kmem_slab.h"

#include <stdlib.h>

#include "hat_pte.h"
#include "segkmem.h"

#define	MAX_SLAB_CACHES	4
#define	SLAB_USED(w)	((uint32_t)((w) >> 32))
#define	SLAB_CAP(w)	((uint32_t)(w))
#define	ONE_USED	((uint64_t)1 << 32)

/* The caches with slabs, in creation order (created single threaded). */
static kmem_cache_t *slab_caches[MAX_SLAB_CACHES];
static uint32_t nslab_caches;

void vt_kmem_slab_setup(kmem_cache_t *cp, void *vmp)
{
	if (vmp != &hat_memload_arena)
		return;
	if (nslab_caches == MAX_SLAB_CACHES)
		panic("kmem_cache_create(%s): more than %d caches on "
		    "hat_memload_arena", cp->cache_name, MAX_SLAB_CACHES);
	cp->cache_slab_objs = (uint32_t)(MMU_PAGESIZE /
	    ((cp->cache_size + 63) & ~(size_t)63));
	if (cp->cache_slab_objs == 0)
		panic("kmem_cache_create(%s): object larger than a slab",
		    cp->cache_name);
	cp->cache_slabs = calloc(VT_SEGKMEM_SLOTS, sizeof (uintptr_t));
	if (cp->cache_slabs == NULL)
		panic("kmem_cache_create(%s): out of host memory",
		    cp->cache_name);
	mutex_init(&cp->cache_slab_lock, "kmem_slab_lock", MUTEX_DEFAULT,
	    NULL);
	slab_caches[nslab_caches++] = cp;
}

void vt_kmem_slab_teardown(kmem_cache_t *cp)
{
	uint32_t i;

	if (cp->cache_slab_objs == 0)
		return;
	ASSERT(cp->cache_nslabs == 0);
	for (i = 0; i < nslab_caches && slab_caches[i] != cp; i++)
		continue;
	ASSERT(i < nslab_caches);
	for (; i + 1 < nslab_caches; i++)
		slab_caches[i] = slab_caches[i + 1];
	nslab_caches--;
	mutex_destroy(&cp->cache_slab_lock);
	free(cp->cache_slabs);
	cp->cache_slabs = NULL;
}

/* One more slab page for cp; false if segkmem has no page.  No lock held. */
static bool slab_grow(kmem_cache_t *cp)
{
	caddr_t va = segkmem_page_alloc();

	if (va == NULL) {
		__atomic_add_fetch(&cp->cache_slab_fails, 1, __ATOMIC_RELAXED);
		return false;
	}
	mutex_enter(&cp->cache_slab_lock);
	cp->cache_slabs[cp->cache_nslabs++] = (uintptr_t)va;
	mutex_exit(&cp->cache_slab_lock);
	__atomic_add_fetch(&cp->cache_slab_word, cp->cache_slab_objs,
	    __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&cp->cache_slab_create, 1, __ATOMIC_RELAXED);
	return true;
}

/* No HAT lock held (a grow maps a page into kas). */
bool vt_kmem_slab_reserve(kmem_cache_t *cp, int kmflag)
{
	uint64_t w;

	if (cp->cache_slab_objs == 0 || !segkmem_active())
		return true;
	vt_sched_point(VT_SP_ATOMIC, &cp->cache_slab_word);
	w = __atomic_load_n(&cp->cache_slab_word, __ATOMIC_ACQUIRE);
	for (;;) {
		if (SLAB_USED(w) < SLAB_CAP(w)) {
			if (__atomic_compare_exchange_n(&cp->cache_slab_word,
			    &w, w + ONE_USED, false, __ATOMIC_ACQ_REL,
			    __ATOMIC_ACQUIRE))
				return true;
			continue;
		}
		if (!slab_grow(cp)) {
			if (kmflag & KM_NOSLEEP)
				return false;
			/*
			 * PORT: KM_SLEEP would wait for memory; nothing here
			 * frees a page on its behalf, so it proceeds on an
			 * over-committed slab (boot-time allocations only).
			 */
			__atomic_add_fetch(&cp->cache_slab_word, ONE_USED,
			    __ATOMIC_ACQ_REL);
			return true;
		}
		w = __atomic_load_n(&cp->cache_slab_word, __ATOMIC_ACQUIRE);
	}
}

void vt_kmem_slab_release(kmem_cache_t *cp)
{
	uint64_t w;

	if (cp->cache_slab_objs == 0 || !segkmem_active())
		return;
	vt_sched_point(VT_SP_ATOMIC, &cp->cache_slab_word);
	w = __atomic_sub_fetch(&cp->cache_slab_word, ONE_USED,
	    __ATOMIC_ACQ_REL);
	if (SLAB_CAP(w) >= SLAB_USED(w) + 2 * cp->cache_slab_objs)
		VT_RACY_STORE(cp->cache_shrink, 1);
}

/*
 * Give cp's idle slabs back while more than one is idle.  No lock held;
 * takes cache_slab_lock around each pop, then unmaps with none held.
 */
static void slab_shrink(kmem_cache_t *cp, uint32_t keep_idle)
{
	uint32_t objs = cp->cache_slab_objs;
	uint64_t w = __atomic_load_n(&cp->cache_slab_word, __ATOMIC_ACQUIRE);
	uintptr_t va;

	while (SLAB_CAP(w) >= SLAB_USED(w) + (keep_idle + 1) * objs) {
		if (!__atomic_compare_exchange_n(&cp->cache_slab_word, &w,
		    w - objs, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		mutex_enter(&cp->cache_slab_lock);
		va = cp->cache_nslabs ? cp->cache_slabs[--cp->cache_nslabs] : 0;
		mutex_exit(&cp->cache_slab_lock);
		if (va != 0) {		/* 0: boot heap, nothing mapped */
			segkmem_page_free((caddr_t)va);
			__atomic_add_fetch(&cp->cache_slab_destroy, 1,
			    __ATOMIC_RELAXED);
		}
		w = __atomic_load_n(&cp->cache_slab_word, __ATOMIC_ACQUIRE);
	}
}

/* No lock held.  A give-back nested in a grow or give-back waits its turn. */
void vt_kmem_update(void)
{
	kthread_t *t = curthread;

	if (!segkmem_active() || t->t_segkmem)
		return;
	t->t_segkmem = 1;
	for (uint32_t i = 0; i < nslab_caches; i++) {
		kmem_cache_t *cp = slab_caches[i];

		if (VT_RACY_LOAD(cp->cache_shrink) == 0)
			continue;
		VT_RACY_STORE(cp->cache_shrink, 0);
		slab_shrink(cp, 1);
	}
	t->t_segkmem = 0;
}

/*
 * segkmem_init: what the caches hold already (the boot reserves) came from
 * the boot heap, which is not mapped through the HAT: it counts as
 * capacity without slab pages, and giving it back unmaps nothing.
 */
void vt_kmem_slabs_start(void)
{
	for (uint32_t i = 0; i < nslab_caches; i++) {
		kmem_cache_t *cp = slab_caches[i];
		uint64_t out = __atomic_load_n(&cp->cache_outstanding,
		    __ATOMIC_RELAXED);

		ASSERT(cp->cache_nslabs == 0 && out <= UINT32_MAX);
		VT_POKE(cp->cache_slab_word, (out << 32) | out);
		VT_POKE(cp->cache_shrink, 0);
	}
}

/* segkmem_fini: every slab goes (no workers run). */
void vt_kmem_slabs_stop(void)
{
	for (uint32_t i = 0; i < nslab_caches; i++) {
		kmem_cache_t *cp = slab_caches[i];
		uint64_t w;

		/* Capacity down to what is in use keeps a grow from racing. */
		while (cp->cache_nslabs > 0) {
			uintptr_t va = cp->cache_slabs[--cp->cache_nslabs];

			segkmem_page_free((caddr_t)va);
			__atomic_add_fetch(&cp->cache_slab_destroy, 1,
			    __ATOMIC_RELAXED);
		}
		w = VT_PEEK(cp->cache_slab_word);
		VT_POKE(cp->cache_slab_word, w & ~(uint64_t)0xffffffffU);
	}
}
