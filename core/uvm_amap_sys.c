/*
 * uvm_amap_sys.c - what the amap port allocates from and counts with: the
 * simulated malloc(9) buckets and amap pool with injected failures, the
 * failure and fix settings, the amap counters (uvm_amap.h).
 *
 * Harness code around the port (PORT: the kernel's allocators).
 */
#include "uvm_amap.h"

#include <stdlib.h>

struct vt_uvm_faults vt_uvm_faults;
uint32_t vt_amap_fixes;
uint64_t vt_amap_live;
struct amapstats *vt_amapstats;
uint32_t vt_amapstats_n;

const char *const vt_amapstat_names[VT_AMAPSTAT_FIELDS] = {
#define VT_AMAPSTAT_NAME(f)	#f,
	VT_AMAPSTATS(VT_AMAPSTAT_NAME)
#undef VT_AMAPSTAT_NAME
};

static uint32_t amap_next_id;		/* atomics */

bool
vt_uvm_fault_hit(uint32_t ppm)
{
	return (ppm != 0 && vt_thread_rand(curthread) % 1000000 < ppm);
}

/*
 * PORT: malloc(9) over power-of-two buckets (kmem caches "M_UVMAMAP-N",
 * whose quarantine and 0xdeadbeef fill make a use after free fail the same
 * way on every replay).  A 16-byte header keeps the bucket.  M_WAITOK
 * without M_CANFAIL never fails; M_NOWAIT and M_CANFAIL fail with
 * probability --amap-malloc-fail.  New memory is filled with a pattern, as
 * the kernel's is not zeroed.
 */
#define MALLOC_HDR	16
#define MALLOC_NBUCKET	14		/* 16 .. 128 KiB */
static kmem_cache_t *malloc_bucket[MALLOC_NBUCKET];
static const char *const malloc_bucket_name[MALLOC_NBUCKET] = {
	"M_UVMAMAP-16", "M_UVMAMAP-32", "M_UVMAMAP-64", "M_UVMAMAP-128",
	"M_UVMAMAP-256", "M_UVMAMAP-512", "M_UVMAMAP-1K", "M_UVMAMAP-2K",
	"M_UVMAMAP-4K", "M_UVMAMAP-8K", "M_UVMAMAP-16K", "M_UVMAMAP-32K",
	"M_UVMAMAP-64K", "M_UVMAMAP-128K",
};
static kmem_cache_t *amap_cache;	/* uvm_amap_pool */

void *
vt_uvm_malloc(size_t size, int flags)
{
	uint32_t b = 0;
	char *p;

	if ((flags & (M_NOWAIT | M_CANFAIL)) != 0 &&
	    vt_uvm_fault_hit(vt_uvm_faults.malloc_ppm))
		return (NULL);
	while (b < MALLOC_NBUCKET && ((size_t)16 << b) < size + MALLOC_HDR)
		b++;
	if (b == MALLOC_NBUCKET)
		panic("vt_uvm_malloc: %zu bytes is beyond the largest bucket",
		    size);
	p = kmem_cache_alloc(malloc_bucket[b], KM_SLEEP);
	*(uint32_t *)(void *)p = b;
	memset(p + MALLOC_HDR, 0xa5, size);
	return (p + MALLOC_HDR);
}

void
vt_uvm_free(void *p)
{
	char *h = (char *)p - MALLOC_HDR;
	uint32_t b = *(uint32_t *)(void *)h;

	ASSERT(b < MALLOC_NBUCKET);
	kmem_cache_free(malloc_bucket[b], h);
}

/* Port of malloc_roundup() (kern_malloc.c): the bucket a size lands in. */
size_t
malloc_roundup(size_t size)
{
	size_t b = 16;

	if (size > 65536)
		return ((size + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1));
	while (b < size)
		b <<= 1;
	return (b);
}

/* PORT: pool_get(&uvm_amap_pool): without PR_WAITOK it may fail. */
struct vm_amap *
vt_amap_pool_get(int prflags)
{
	struct vm_amap *am;

	if ((prflags & PR_WAITOK) == 0 &&
	    vt_uvm_fault_hit(vt_uvm_faults.pool_ppm))
		return (NULL);
	am = kmem_cache_alloc(amap_cache, KM_SLEEP);
	memset(am, 0, sizeof (*am));
	am->am_id = atomic_add_32_nv(&amap_next_id, 1);
	atomic_add_64(&vt_amap_live, 1);
	return (am);
}

void
vt_amap_pool_put(struct vm_amap *am)
{
	atomic_add_64(&vt_amap_live, -1);
	kmem_cache_free(amap_cache, am);
}


/* Boot: the counters for nthreads kthreads, the pool and the buckets. */
void
vt_amap_sys_init(uint32_t nthreads)
{
	VT_POKE(amap_next_id, 0);
	VT_POKE(vt_amap_live, 0);
	vt_amapstats_n = nthreads;
	vt_amapstats = calloc(nthreads, sizeof (struct amapstats));
	if (vt_amapstats == NULL)
		vt_fail("harness", "out of memory for amap counters");
	amap_cache = kmem_cache_create("uvm_amap_pool", sizeof (struct vm_amap),
	    0, NULL, NULL, NULL, NULL, NULL, 0);
	for (uint32_t b = 0; b < MALLOC_NBUCKET; b++)
		malloc_bucket[b] = kmem_cache_create(malloc_bucket_name[b],
		    (size_t)16 << b, 0, NULL, NULL, NULL, NULL, NULL, 0);
}

void
vt_amap_sys_fini(void)
{
	kmem_cache_destroy(amap_cache);
	for (uint32_t b = 0; b < MALLOC_NBUCKET; b++)
		kmem_cache_destroy(malloc_bucket[b]);
	free(vt_amapstats);
	vt_amapstats = NULL;
	vt_amapstats_n = 0;
}

void
vt_amapstats_sum(uint64_t out[VT_AMAPSTAT_FIELDS])
{
	memset(out, 0, sizeof (uint64_t) * VT_AMAPSTAT_FIELDS);
	for (uint32_t t = 0; t < vt_amapstats_n; t++) {
		const uint64_t *v = (const uint64_t *)(const void *)
		    &vt_amapstats[t];

		for (int i = 0; i < VT_AMAPSTAT_FIELDS; i++)
			out[i] += v[i];
	}
}
