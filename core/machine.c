/*
 * machine.c - the simulated machine under the port: kmem caches with fault
 * injection, the per-thread PRNG, the page_t array and its frames, the
 * frame allocator, page locks and page attributes.  (panic and the asserts
 * are base/panic.c.)
 *
 * This is harness code (vt_ names) except where it stands in for a kernel
 * routine of the same name (kmem_*, page_*, hat_page_*attr); those
 * keep the kernel's contract as the digest (§4, §8) describes it.
 *
 * Locking:
 *   page_freelist (one-entry lock table, a leaf) - the free-frame stack,
 *       p_state, and the free/in-use transition of a frame's tag.
 *   kmem_registry_lock (a plain pthread mutex; setup and reports only) -
 *       the list of kmem caches.  Never held across a schedule point.
 *   p_selock - the page lock itself, a CAS word (no mutex behind it);
 *       --lockstat counts it per thread (page_lockstat.c).
 */
#include "page.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "kmem_slab.h"
#include "page_lockstat.h"
#include "../locks/lockstat.h"
#include "../locks/locktable.h"
#include "../locks/prng.h"

/* ------------------------------------------------------------------ */
/* Per-thread PRNG                                                     */
/* ------------------------------------------------------------------ */

/*
 * The kthread's fault-injection draws: xorshift128+ over t->t_rng (owner
 * only; locks/prng.h).  An all-zero state would stay zero forever, so it
 * is replaced by a fixed non-zero one (still deterministic).
 */
uint64_t
vt_thread_rand(kthread_t *t)
{
	if ((t->t_rng[0] | t->t_rng[1]) == 0) {
		t->t_rng[0] = 0x9e3779b97f4a7c15ULL;
		t->t_rng[1] = 0xbf58476d1ce4e5b9ULL ^ t->t_id;
	}
	return (vt_prng_xorshift128p(t->t_rng));
}

/* ------------------------------------------------------------------ */
/* kmem                                                                */
/* ------------------------------------------------------------------ */

#define VT_KMEM_ALIGN	64

static pthread_mutex_t kmem_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static kmem_cache_t *kmem_registry;		/* kmem_registry_lock */
static uint32_t kmem_reap_requested;		/* atomics */

static size_t
vt_kmem_roundup(size_t size)
{
	if (size == 0)
		size = 1;
	return ((size + VT_KMEM_ALIGN - 1) & ~(size_t)(VT_KMEM_ALIGN - 1));
}

/*
 * Stand-in for kmem_cache_create().  Takes kmem_registry_lock.
 * PORT: there is no object cache; align and the cflags are accepted for
 * shape.  Objects are 64-byte aligned.  The arena matters only when it is
 * hat_memload_arena and --segkmem is on: the cache then counts slabs that
 * are kernel pages mapped through the HAT (kmem_slab.c).
 */
kmem_cache_t *
kmem_cache_create(const char *name, size_t size, size_t align,
    int (*ctor)(void *, void *, int), void (*dtor)(void *, void *),
    void (*reclaim)(void *), void *priv, void *vmp, int cflags)
{
	kmem_cache_t *cp;

	cp = calloc(1, sizeof (*cp));
	if (cp == NULL)
		panic("kmem_cache_create(%s): out of host memory", name);
	cp->cache_name = name;
	cp->cache_size = size;
	cp->cache_ctor = ctor;
	cp->cache_dtor = dtor;
	cp->cache_reclaim = reclaim;
	cp->cache_private = priv;
	cp->cache_q = calloc(VT_KMEM_QUARANTINE, sizeof (void *));
	if (cp->cache_q == NULL)
		panic("kmem_cache_create(%s): out of host memory", name);
	vt_kmem_slab_setup(cp, vmp);	/* hat_memload_arena: slabs */
	pthread_mutex_lock(&kmem_registry_lock);
	cp->cache_next = kmem_registry;
	kmem_registry = cp;
	pthread_mutex_unlock(&kmem_registry_lock);
	return (cp);
}

static void quarantine_release(kmem_cache_t *cp, void *buf);

/*
 * Stand-in for kmem_cache_destroy().  Takes kmem_registry_lock.  Every
 * object must have been freed: a leak here is a conservation failure.
 */
void
kmem_cache_destroy(kmem_cache_t *cp)
{
	kmem_cache_t **pp;
	uint64_t left = __atomic_load_n(&cp->cache_outstanding,
	    __ATOMIC_RELAXED);

	if (left != 0)
		panic("kmem_cache_destroy(%s): %" PRIu64
		    " objects still allocated", cp->cache_name, left);
	for (uint32_t i = 0; i < VT_KMEM_QUARANTINE; i++)
		if (cp->cache_q[i] != NULL)
			quarantine_release(cp, cp->cache_q[i]);
	free(cp->cache_q);
	vt_kmem_slab_teardown(cp);
	pthread_mutex_lock(&kmem_registry_lock);
	for (pp = &kmem_registry; *pp != NULL; pp = &(*pp)->cache_next) {
		if (*pp == cp) {
			*pp = cp->cache_next;
			break;
		}
	}
	pthread_mutex_unlock(&kmem_registry_lock);
	free(cp);
}

/*
 * Should this KM_NOSLEEP allocation fail?  The budget caps the cache's
 * outstanding objects; the rate is drawn from the calling kthread's PRNG,
 * so a worker's failures are reproducible from the seed.  No locks.
 */
static bool
vt_kmem_inject(kmem_cache_t *cp)
{
	uint64_t budget = cp->cache_budget;
	uint32_t ppm = cp->cache_fail_ppm;

	if (budget != 0 && __atomic_load_n(&cp->cache_outstanding,
	    __ATOMIC_RELAXED) >= budget)
		return (true);
	if (ppm != 0 && vt_thread_rand(curthread) % 1000000 < ppm)
		return (true);
	return (false);
}

/*
 * Stand-in for kmem_cache_alloc().  No locks.  KM_SLEEP never fails;
 * KM_NOSLEEP fails when vt_kmem_inject() says so.
 * PORT: the constructor runs on every allocation (no constructed-object
 * cache is kept).
 */
void *
kmem_cache_alloc(kmem_cache_t *cp, int kmflag)
{
	void *buf;

	if ((kmflag & KM_NOSLEEP) && vt_kmem_inject(cp)) {
		__atomic_add_fetch(&cp->cache_fails, 1, __ATOMIC_RELAXED);
		return (NULL);
	}
	/* With --segkmem on, a full cache grows a slab through the HAT. */
	if (!vt_kmem_slab_reserve(cp, kmflag)) {
		__atomic_add_fetch(&cp->cache_fails, 1, __ATOMIC_RELAXED);
		return (NULL);
	}
	buf = aligned_alloc(VT_KMEM_ALIGN, vt_kmem_roundup(cp->cache_size));
	if (buf == NULL)
		panic("kmem_cache_alloc(%s): out of host memory",
		    cp->cache_name);
	if (cp->cache_ctor != NULL)
		(void) cp->cache_ctor(buf, cp->cache_private, kmflag);
	__atomic_add_fetch(&cp->cache_outstanding, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cp->cache_allocs, 1, __ATOMIC_RELAXED);
	return (buf);
}

/* Fill a freed buffer with the 0xdeadbeef pattern. */
static void
deadbeef_fill(kmem_cache_t *cp, void *buf)
{
	uint32_t *w = buf;
	size_t i, n = cp->cache_size / sizeof (uint32_t);

	for (i = 0; i < n; i++)
		w[i] = VT_KMEM_DEADBEEF;
}

/*
 * A buffer leaves the quarantine: it must still hold the pattern (else
 * something wrote to it after kmem_cache_free), then goes to the host.
 */
static void
quarantine_release(kmem_cache_t *cp, void *buf)
{
	const uint32_t *w = buf;
	size_t i, n = cp->cache_size / sizeof (uint32_t);

	for (i = 0; i < n; i++)
		if (w[i] != VT_KMEM_DEADBEEF)
			panic("kmem_cache_free(%s): buffer modified after free "
			    "(word %zu is %#x, not 0xdeadbeef)", cp->cache_name,
			    i, w[i]);
	free(buf);
}

/*
 * Stand-in for kmem_cache_free().  No locks.  The buffer is poisoned and
 * swapped into the next quarantine slot; whatever that slot held (the
 * buffer freed VT_KMEM_QUARANTINE frees ago) is checked and returned to
 * the host.
 */
void
kmem_cache_free(kmem_cache_t *cp, void *buf)
{
	uint64_t slot;
	void *old;

	ASSERT(buf != NULL);
	if (cp->cache_dtor != NULL)
		cp->cache_dtor(buf, cp->cache_private);
	deadbeef_fill(cp, buf);
	slot = __atomic_fetch_add(&cp->cache_qhead, 1, __ATOMIC_RELAXED) %
	    VT_KMEM_QUARANTINE;
	/* acq_rel: the pattern written by the old buffer's freer is seen. */
	old = __atomic_exchange_n(&cp->cache_q[slot], buf, __ATOMIC_ACQ_REL);
	if (old != NULL)
		quarantine_release(cp, old);
	__atomic_sub_fetch(&cp->cache_outstanding, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cp->cache_frees, 1, __ATOMIC_RELAXED);
	vt_kmem_slab_release(cp);
}

/*
 * Run cp's reclaim callback now (htable_reap for the htable cache).  Takes
 * whatever the callback takes; called with no lock held.
 */
void
kmem_cache_reap(kmem_cache_t *cp)
{
	if (cp->cache_reclaim != NULL)
		cp->cache_reclaim(cp->cache_private);
	vt_kmem_update();	/* and idle slabs go back */
}

/*
 * Stand-in for kmem_reap(): the kernel's is asynchronous, so only record the
 * request; the reaper role sees it through vt_kmem_reap_pending().
 */
void
kmem_reap(void)
{
	vt_sched_point(VT_SP_ATOMIC, &kmem_reap_requested);
	__atomic_store_n(&kmem_reap_requested, 1, __ATOMIC_RELEASE);
}

bool
vt_kmem_reap_pending(void)
{
	vt_sched_point(VT_SP_ATOMIC, &kmem_reap_requested);
	return (__atomic_exchange_n(&kmem_reap_requested, 0,
	    __ATOMIC_ACQ_REL) != 0);
}

/* Set a cache's fault policy (before the run; no workers running). */
void
vt_kmem_set_fault(kmem_cache_t *cp, uint32_t fail_ppm, uint64_t budget)
{
	if (fail_ppm > 1000000)
		fail_ppm = 1000000;
	cp->cache_fail_ppm = fail_ppm;
	cp->cache_budget = budget;
}

/* First cache of the registry (reports; no cache is created meanwhile). */
kmem_cache_t *
vt_kmem_cache_first(void)
{
	kmem_cache_t *cp;

	pthread_mutex_lock(&kmem_registry_lock);
	cp = kmem_registry;
	pthread_mutex_unlock(&kmem_registry_lock);
	return (cp);
}

/*
 * Stand-ins for kmem_zalloc/kmem_alloc/kmem_free.  Never fail (the port
 * only uses them for setup-time tables).  No locks.
 */
void *
kmem_zalloc(size_t size, int kmflag)
{
	void *p = aligned_alloc(VT_KMEM_ALIGN, vt_kmem_roundup(size));

	if (p == NULL)
		panic("kmem_zalloc(%zu): out of host memory", size);
	memset(p, 0, size);
	return (p);
}

void *
kmem_alloc(size_t size, int kmflag)
{
	void *p = aligned_alloc(VT_KMEM_ALIGN, vt_kmem_roundup(size));

	if (p == NULL)
		panic("kmem_alloc(%zu): out of host memory", size);
	return (p);
}

void
kmem_free(void *p, size_t size)
{
	free(p);
}

/* ------------------------------------------------------------------ */
/* The machine: pages, frames, the frame allocator                     */
/* ------------------------------------------------------------------ */

page_t	*pages;
pgcnt_t	vt_npages;
uint8_t	*vt_frame_tag;
uint32_t *vt_frame_gen;
uint32_t *vt_frame_wver;
uint32_t *vt_frame_cver;
uint64_t freemem;
uint64_t throttlefree;
uint64_t physmem;

static uint8_t *vt_frame_mem;		/* npages * 4 KiB, mmap'd */
static struct vt_lock_class *vt_freelist_class;	/* "page_freelist" */
/*
 * The free frames as a stack (LIFO, so the order is deterministic), and
 * each frame's slot in it (VT_NOT_FREE when allocated).  page_freelist.
 */
static pfn_t	*vt_free_stack;
static pgcnt_t	vt_free_top;
static pgcnt_t	*vt_free_slot;
#define VT_NOT_FREE	((pgcnt_t)-1)

static kmutex_t *
vt_freelist_lock(void)
{
	return (vt_locktable_lock(vt_freelist_class, 0));
}

/*
 * Create the machine: npages frames, all free except pfn 0.  PORT: pfn 0 is
 * kept back (like the real low page) so that no PTE or PTP names frame 0; it
 * is tagged as a data page that nobody maps, so freemem equals the number
 * of frames tagged free.  Setup only (no workers running).
 */
void
vt_machine_init(pgcnt_t npages, uint64_t throttle)
{
	pgcnt_t i;
	size_t len;

	VERIFY(pages == NULL);
	if (npages < 2)
		panic("vt_machine_init: need at least 2 pages, got %" PRIu64,
		    npages);
	len = (size_t)npages * MMU_PAGESIZE;
	vt_frame_mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vt_frame_mem == MAP_FAILED)
		panic("vt_machine_init: mmap of %zu bytes failed (errno %d)",
		    len, errno);
	pages = calloc(npages, sizeof (page_t));
	vt_frame_tag = calloc(npages, sizeof (uint8_t));
	vt_frame_gen = calloc(npages, sizeof (uint32_t));
	vt_frame_wver = calloc(npages, sizeof (uint32_t));
	vt_frame_cver = calloc(npages, sizeof (uint32_t));
	vt_free_stack = calloc(npages, sizeof (pfn_t));
	vt_free_slot = calloc(npages, sizeof (pgcnt_t));
	if (pages == NULL || vt_frame_tag == NULL || vt_frame_gen == NULL ||
	    vt_frame_wver == NULL || vt_frame_cver == NULL ||
	    vt_free_stack == NULL ||
	    vt_free_slot == NULL)
		panic("vt_machine_init: out of host memory");
	vt_npages = npages;
	physmem = npages;
	throttlefree = throttle;
	vt_freelist_class = vt_locktable_create("page_freelist", 1);
	vt_page_lockstat_init();

	for (i = 0; i < npages; i++) {
		pages[i].p_pagenum = i;
		vt_free_slot[i] = VT_NOT_FREE;
	}
	pages[0].p_state = 0;
	vt_frame_tag[0] = VT_FRAME_DATA;
	/* Highest pfn at the bottom of the stack: pfn 1 is handed out first. */
	vt_free_top = 0;
	for (i = npages - 1; i >= 1; i--) {
		pages[i].p_state = P_FREE;
		vt_frame_tag[i] = VT_FRAME_FREE;
		vt_free_slot[i] = vt_free_top;
		vt_free_stack[vt_free_top++] = i;
	}
	__atomic_store_n(&freemem, vt_free_top, __ATOMIC_SEQ_CST);
}

/* Undo vt_machine_init (no workers running). */
void
vt_machine_fini(void)
{
	if (pages == NULL)
		return;
	vt_locktable_destroy(vt_freelist_class);
	vt_freelist_class = NULL;
	vt_page_lockstat_fini();
	(void) munmap(vt_frame_mem, (size_t)vt_npages * MMU_PAGESIZE);
	vt_frame_mem = NULL;
	free(pages);
	free(vt_frame_tag);
	free(vt_frame_gen);
	vt_frame_gen = NULL;
	free(vt_frame_wver);
	free(vt_frame_cver);
	vt_frame_wver = vt_frame_cver = NULL;
	free(vt_free_stack);
	free(vt_free_slot);
	pages = NULL;
	vt_frame_tag = NULL;
	vt_free_stack = NULL;
	vt_free_slot = NULL;
	vt_npages = 0;
	vt_free_top = 0;
	physmem = 0;
	throttlefree = 0;
	__atomic_store_n(&freemem, 0, __ATOMIC_SEQ_CST);
}

void *
vt_frame_va(pfn_t pfn)
{
	ASSERT(pfn < vt_npages);
	return (vt_frame_mem + (size_t)pfn * MMU_PAGESIZE);
}

/* Remove pfn from the free stack (page_freelist held). */
static void
vt_free_unlink(pfn_t pfn)
{
	pgcnt_t slot = vt_free_slot[pfn];
	pfn_t last;

	ASSERT(MUTEX_HELD(vt_freelist_lock()));
	ASSERT(slot != VT_NOT_FREE && slot < vt_free_top);
	last = vt_free_stack[--vt_free_top];
	vt_free_stack[slot] = last;
	vt_free_slot[last] = slot;
	vt_free_slot[pfn] = VT_NOT_FREE;
}

/* Mark pp allocated with owner tag `tag` (page_freelist held). */
static void
vt_frame_take(page_t *pp, enum vt_frame_tag tag)
{
	ASSERT(MUTEX_HELD(vt_freelist_lock()));
	ASSERT(PP_ISFREE(pp));
	ASSERT(vt_frame_tag_get(pp->p_pagenum) == VT_FRAME_FREE);
	/* Relaxed: vpm reads a previous page's p_state unlocked. */
	VT_POKE(pp->p_state, (uchar_t)(pp->p_state & ~P_FREE));
	VT_RACY_STORE(vt_frame_tag[pp->p_pagenum], (uint8_t)tag);
	atomic_add_64(&freemem, -1);
}

/* Clear a page-table frame with relaxed atomic stores (see below). */
static void
vt_frame_zero_ptes(pfn_t pfn)
{
	x86pte_t *ptes = vt_frame_va(pfn);
	uint_t i;

	for (i = 0; i < MMU_PAGESIZE / sizeof (x86pte_t); i++)
		__atomic_store_n(&ptes[i], 0, __ATOMIC_RELAXED);
}

/*
 * Take a free frame (LIFO).  Takes and drops page_freelist.  The frame is
 * tagged `tag`.  A page-table frame is zeroed before it is returned (with
 * atomic stores, like the PTE writes that follow, since the simulated MMU
 * reads PTEs atomically).  NULL if no frame is free.
 */
page_t *
vt_frame_alloc(enum vt_frame_tag tag)
{
	kmutex_t *m = vt_freelist_lock();
	page_t *pp = NULL;
	pfn_t pfn;

	ASSERT(tag != VT_FRAME_FREE && tag < VT_FRAME_NTAGS);
	mutex_enter(m);
	if (vt_free_top != 0) {
		pfn = vt_free_stack[vt_free_top - 1];
		pp = &pages[pfn];
		vt_free_unlink(pfn);
		vt_frame_take(pp, tag);
	}
	mutex_exit(m);
	if (pp != NULL && tag >= VT_FRAME_PT)
		vt_frame_zero_ptes(pp->p_pagenum);
	return (pp);
}

/*
 * Take n contiguous free frames whose first pfn is a multiple of n (n a
 * power of two); setup time only.  With n == 512 the run is a large page:
 * every page gets p_szc 1.  Takes and drops page_freelist.  NULL if no
 * such run is free.
 */
page_t *
vt_frame_alloc_run(pgcnt_t n, enum vt_frame_tag tag)
{
	kmutex_t *m = vt_freelist_lock();
	pfn_t base, i;
	page_t *pp = NULL;

	ASSERT(n != 0 && (n & (n - 1)) == 0);
	ASSERT(tag != VT_FRAME_FREE && tag < VT_FRAME_NTAGS);
	mutex_enter(m);
	for (base = n; base + n <= vt_npages; base += n) {
		for (i = 0; i < n; i++) {
			if (!PP_ISFREE(&pages[base + i]))
				break;
		}
		if (i == n)
			break;
	}
	if (base + n <= vt_npages) {
		pp = &pages[base];
		for (i = 0; i < n; i++) {
			vt_free_unlink(base + i);
			vt_frame_take(&pages[base + i], tag);
			if (n == page_get_pagecnt(1))
				pages[base + i].p_szc = 1;
		}
	}
	mutex_exit(m);
	if (pp != NULL && tag >= VT_FRAME_PT) {
		for (i = 0; i < n; i++)
			vt_frame_zero_ptes(base + i);
	}
	return (pp);
}

/*
 * A freed page-table frame is filled with valid entries naming a pfn far
 * beyond the machine, so a simulated CPU that follows a stale PTP into it
 * (a missing or broken shootdown) fails its frame check at once instead of
 * reading zeroes and quietly faulting.
 */
#define VT_PTE_POISON	(PT_PADDR | PT_VALID)

static void
vt_frame_poison_ptes(pfn_t pfn)
{
	x86pte_t *ptes = vt_frame_va(pfn);
	uint_t i;

	for (i = 0; i < MMU_PAGESIZE / sizeof (x86pte_t); i++)
		__atomic_store_n(&ptes[i], VT_PTE_POISON, __ATOMIC_RELAXED);
}

/*
 * Give a frame back.  Takes and drops page_freelist.  The page must not be
 * mapped (no mapping list) and must not already be free.
 */
void
vt_frame_free(page_t *pp)
{
	kmutex_t *m = vt_freelist_lock();
	pfn_t pfn = pp->p_pagenum;

	ASSERT(pfn != 0 && pfn < vt_npages);
	if (vt_frame_tag_get(pfn) >= VT_FRAME_PT)
		vt_frame_poison_ptes(pfn);
	mutex_enter(m);
	if (PP_ISFREE(pp))
		panic("vt_frame_free: pfn %" PRIu64 " is already free", pfn);
	if (VT_RACY_LOAD(pp->p_mapping) != NULL)
		panic("vt_frame_free: pfn %" PRIu64 " still has mappings",
		    pfn);
	pp->p_szc = 0;
	/* Relaxed: vpm reads a previous page's identity unlocked. */
	VT_POKE(pp->p_vnode, (struct vnode *)NULL);
	VT_POKE(pp->p_offset, (u_offset_t)0);
	__atomic_store_n(&pp->p_nrm, 0, __ATOMIC_RELAXED);
	VT_POKE(pp->p_vmodsort, (uchar_t)0);
	VT_POKE(pp->p_state, (uchar_t)(pp->p_state | P_FREE));
	VT_RACY_STORE(vt_frame_tag[pfn], (uint8_t)VT_FRAME_FREE);
	VT_POKE(vt_frame_gen[pfn], vt_frame_gen[pfn] + 1);	/* no schedule point */
	VT_POKE(vt_frame_wver[pfn], 0);
	VT_POKE(vt_frame_cver[pfn], 0);
	vt_free_slot[pfn] = vt_free_top;
	vt_free_stack[vt_free_top++] = pfn;
	atomic_add_64(&freemem, 1);
	mutex_exit(m);
}

/* Stand-in for page_numtopp_nolock(): no locks; NULL if out of range. */
page_t *
page_numtopp_nolock(pfn_t pfn)
{
	if (pfn >= vt_npages)
		return (NULL);
	return (&pages[pfn]);
}

/* Stand-in for page_first(): the first page_t of the (one) memseg. */
page_t *
page_first(void)
{
	return (&pages[0]);
}

/* Stand-in for page_next(): the next page_t, wrapping after the last. */
page_t *
page_next(page_t *pp)
{
	if (++pp == &pages[vt_npages])
		pp = &pages[0];
	return (pp);
}

/* Stand-in for page_get_pagecnt(): base pages in a page of size code szc. */
uint_t
page_get_pagecnt(uint_t szc)
{
	ASSERT(szc <= MAX_PAGE_LEVEL);
	return ((uint_t)1 << (9 * szc));
}

/* ------------------------------------------------------------------ */
/* Page locks                                                          */
/* ------------------------------------------------------------------ */

/*
 * The page lock word: p_selock > 0 counts shared holders, -1 is the
 * exclusive holder.  Non-zero if acquired.  PORT: no SE_EWANTED writer
 * preference.
 */
static int
try_page(page_t *pp, se_t se)
{
	volatile uint32_t *w = (volatile uint32_t *)&pp->p_selock;
	int32_t v;

	if (se == SE_EXCL)
		return (atomic_cas_32(w, 0, (uint32_t)-1) == 0);
	for (;;) {
		v = __atomic_load_n(&pp->p_selock, __ATOMIC_RELAXED);
		if (v < 0)
			return (0);
		if (atomic_cas_32(w, (uint32_t)v, (uint32_t)(v + 1)) ==
		    (uint32_t)v)
			return (1);
	}
}

/*
 * Stand-in for page_trylock(): one try of the lock word (counted by
 * --lockstat when it succeeds).  Non-zero if acquired.
 */
int
page_trylock(page_t *pp, se_t se)
{
	if (!try_page(pp, se))
		return (0);
	if (__builtin_expect(vt_page_lock_class != NULL, 0))
		vt_page_lockstat_acquired(pp, false, 0, NULL);
	return (1);
}

/*
 * Stand-in for page_lock(): blocks until the lock is had.  The wait spins
 * through schedule points (so the controlled scheduler can run the holder)
 * and records itself in t_wait/t_wait_what for the watchdog.  --lockstat
 * counts the acquisition, and a wait with its caller.
 */
void
page_lock(page_t *pp, se_t se)
{
	kthread_t *t;
	uint64_t t_try;

	if (page_trylock(pp, se))
		return;
	t_try = vt_page_lock_class != NULL ? vt_lockstat_now() : 0;
	t = curthread;
	VT_RACY_STORE(t->t_wait, (const void *)pp);
	VT_RACY_STORE(t->t_wait_what, "page");
	do {
		vt_sched_point(VT_SP_YIELD, pp);
		(void) sched_yield();
	} while (!try_page(pp, se));
	VT_RACY_STORE(t->t_wait, (const void *)NULL);
	VT_RACY_STORE(t->t_wait_what, (const char *)NULL);
	if (vt_page_lock_class != NULL)
		vt_page_lockstat_acquired(pp, true, t_try,
		    __builtin_return_address(0));
}

/* Stand-in for page_unlock(): drop a shared hold or the exclusive one. */
void
page_unlock(page_t *pp)
{
	volatile uint32_t *w = (volatile uint32_t *)&pp->p_selock;
	int32_t v;

	if (__builtin_expect(vt_page_lock_class != NULL, 0))
		vt_page_lockstat_release(pp);
	for (;;) {
		v = __atomic_load_n(&pp->p_selock, __ATOMIC_RELAXED);
		if (v == 0)
			panic("page_unlock: pfn %" PRIu64 " is not locked",
			    pp->p_pagenum);
		if (atomic_cas_32(w, (uint32_t)v,
		    (uint32_t)(v < 0 ? 0 : v - 1)) == (uint32_t)v)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Page attributes                                                     */
/* ------------------------------------------------------------------ */

/*
 * Port of hat_page_setattr() (hat_i86.c 2014).  No locks.
 * Set ref/mod/ro bits in p_nrm with an atomic or, skipping the write when
 * they are all already set.  PORT: no VMODSORT vnodes, so no vnode page
 * list to reorder (and no page_vnode_mutex).
 */
void
hat_page_setattr(page_t *pp, uint_t flag)
{
	if ((VT_RACY_LOAD(pp->p_nrm) & flag) == flag)
		return;
	vt_sched_point(VT_SP_ATOMIC, &pp->p_nrm);
	(void) __atomic_fetch_or(&pp->p_nrm, (uchar_t)flag, __ATOMIC_SEQ_CST);
}

/*
 * Port of hat_page_clrattr() (hat_i86.c 2014).  Takes no lock itself; for
 * a VMODSORT page losing P_MOD, hati_page_clrwrt takes the mlist locks
 * (the caller holds the page locked, as the kernel's page_io path does).
 * PORT: no vnode page lists, so a VMODSORT page is not moved to the clean
 * part of one; what the move stands for is that every later write must
 * fault or be seen, which the write-protect pass does.
 */
void
hat_page_clrattr(page_t *pp, uint_t flag)
{
	ASSERT(!(flag & ~(P_MOD | P_REF | P_RO)));
	vt_sched_point(VT_SP_ATOMIC, &pp->p_nrm);
	(void) __atomic_fetch_and(&pp->p_nrm, (uchar_t)~flag,
	    __ATOMIC_SEQ_CST);
	if ((flag & P_MOD) != 0 && VT_PEEK(pp->p_vmodsort) != 0)
		hati_page_clrwrt(pp);
}

/* Port of hat_page_getattr() (hat_i86.c 2014).  No locks; advisory. */
uint_t
hat_page_getattr(page_t *pp, uint_t flag)
{
	return (VT_RACY_LOAD(pp->p_nrm) & flag);
}
