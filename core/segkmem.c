/*
 * segkmem.c - the simulated kernel heap for --segkmem on (segkmem.h).
 *
 * PORT: a model of illumos' segkmem_xalloc/segkmem_free_vn for the caches
 * on hat_memload_arena, not a port: a slab page is taken from the frame
 * pool and mapped into kas with the same attributes and flags segkmem uses
 * (PROT_READ|PROT_WRITE|HAT_NOSYNC, HAT_LOAD_LOCK, plus HAT_NO_KALLOC:
 * see map_slot), and unmapped with
 * HAT_UNLOAD_UNLOCK before its frame goes back.  The frames are tagged as
 * data pages (what the audit expects a leaf PTE to name).  Objects are not
 * placed in the slab pages (core/machine.c keeps host buffers, so the
 * poison quarantine still catches use after free); the slab layer counts
 * capacity, which is what decides when kmem grows and shrinks.  The
 * kernel's page lock around the new page is left out: no other thread can
 * find a frame that only this thread holds.
 *
 * Harness code around the HAT calls; no locks of its own: the slot map and
 * the span states are atomics, slot_page[s] belongs to whoever took slot s.
 */
#include "segkmem.h"

#include "hat.h"
#include "page.h"

struct vmem hat_memload_arena = { "hat_memload_arena" };
int vt_segkmem = 0;

static bool active;				/* single-threaded set/clear */
static uintptr_t heap_base;
static uint64_t slot_map[VT_SEGKMEM_SLOTS / 64];	/* atomics */
static uint32_t slot_rotor;				/* atomics */
static page_t *slot_page[VT_SEGKMEM_SLOTS];		/* the slot's owner */
/* A span's first page: 0 unmapped, 1 being mapped or mapped; atomics. */
static uint32_t span_state[VT_SEGKMEM_SLOTS / VT_SEGKMEM_SPAN];

bool segkmem_active(void)
{
	return active;
}

uintptr_t segkmem_base(void)
{
	return heap_base;
}

static uintptr_t slot_va(uint32_t s)
{
	return heap_base + (uintptr_t)s * MMU_PAGESIZE;
}

/* Claim a free slot that is not a span's first page; -1 if none. */
static int slot_take(void)
{
	uint32_t start = atomic_add_32_nv(&slot_rotor, 1) % VT_SEGKMEM_SLOTS;

	for (uint32_t i = 0; i < VT_SEGKMEM_SLOTS; i++) {
		uint32_t s = (start + i) % VT_SEGKMEM_SLOTS;
		uint64_t bit = (uint64_t)1 << (s % 64), old;

		if (s % VT_SEGKMEM_SPAN == 0)
			continue;
		old = __atomic_load_n(&slot_map[s / 64], __ATOMIC_RELAXED);
		while ((old & bit) == 0) {
			if (__atomic_compare_exchange_n(&slot_map[s / 64], &old,
			    old | bit, false, __ATOMIC_ACQ_REL,
			    __ATOMIC_RELAXED))
				return (int)s;
		}
	}
	return -1;
}

/* Slot s is free again (its page is unmapped). */
static void slot_put(uint32_t s)
{
	(void) __atomic_fetch_and(&slot_map[s / 64],
	    ~((uint64_t)1 << (s % 64)), __ATOMIC_RELEASE);
}

/* hat_memload of a fresh frame at slot s; false if no frame.  No lock held. */
static bool map_slot(uint32_t s)
{
	page_t *pp = vt_frame_alloc(VT_FRAME_DATA);

	if (pp == NULL)
		return false;
	slot_page[s] = pp;
	/*
	 * PORT: the 2006 HAT_NO_KALLOC caller is not in the seeds or the
	 * digest.  The flag and hati_reserves_enter's kmem_for_hat say it
	 * marks a load that maps memory for the HAT's own caches, which is
	 * all this heap holds, so every slab load passes it: with the 2006
	 * hment it counts two levels (the reserves get an owner even outside
	 * a HAT operation) and its exit leaves the reserves unadjusted; the
	 * 2014 hati_load_common has no use for it.
	 */
	hat_memload(kas.a_hat, (caddr_t)slot_va(s), pp,
	    PROT_READ | PROT_WRITE | HAT_NOSYNC, HAT_LOAD_LOCK | HAT_NO_KALLOC);
	HATSTAT_INC(vt_kas_loads);
	return true;
}

static void unmap_slot(uint32_t s)
{
	page_t *pp = slot_page[s];

	hat_unload(kas.a_hat, (caddr_t)slot_va(s), MMU_PAGESIZE,
	    HAT_UNLOAD_UNLOCK);
	HATSTAT_INC(vt_kas_unloads);
	slot_page[s] = NULL;
	vt_frame_free(pp);
}

/*
 * The first slab of a span makes vmem map the span's own page first, with
 * the populator flag up: USE_HAT_RESERVES() holds for that load even at
 * depth 1.  Whoever wins the span state maps it; it stays until fini, as
 * vmem keeps its span structures.
 */
static void populate_span(uint32_t s)
{
	uint32_t sp = s / VT_SEGKMEM_SPAN, zero = 0;

	if (!__atomic_compare_exchange_n(&span_state[sp], &zero, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	curthread->t_vmem_populator = 1;
	if (map_slot(sp * VT_SEGKMEM_SPAN))
		HATSTAT_INC(vt_vmem_populates);
	else
		VT_RACY_STORE(span_state[sp], 0);
	curthread->t_vmem_populator = 0;
}

/* No HAT lock held: takes what hat_memload on kas takes. */
caddr_t segkmem_page_alloc(void)
{
	int s;

	ASSERT(active);
	if ((s = slot_take()) < 0)
		return NULL;
	populate_span((uint32_t)s);
	if (!map_slot((uint32_t)s)) {
		slot_put((uint32_t)s);
		return NULL;
	}
	return (caddr_t)slot_va((uint32_t)s);
}

/* No HAT lock held: takes what hat_unload on kas takes. */
void segkmem_page_free(caddr_t va)
{
	uintptr_t off = (uintptr_t)va - heap_base;
	uint32_t s = (uint32_t)(off / MMU_PAGESIZE);

	ASSERT(active && off % MMU_PAGESIZE == 0 && s < VT_SEGKMEM_SLOTS &&
	    s % VT_SEGKMEM_SPAN != 0 && slot_page[s] != NULL);
	unmap_slot(s);
	slot_put(s);
}

/* Single threaded, after hat_init. */
void segkmem_init(void)
{
	/* The heap sits 1 TiB into the kernel half, clear of everything. */
	heap_base = mmu.hole_end + 1 + ((uintptr_t)1 << 40);
	for (uint32_t i = 0; i < VT_SEGKMEM_SLOTS / 64; i++)
		VT_POKE(slot_map[i], 0);
	for (uint32_t i = 0; i < VT_SEGKMEM_SLOTS / VT_SEGKMEM_SPAN; i++)
		VT_POKE(span_state[i], 0);
	VT_POKE(slot_rotor, 0);
	active = true;
	vt_kmem_slabs_start();
}

/* Single threaded, before the HAT is torn down. */
void segkmem_fini(void)
{
	if (!active)
		return;
	vt_kmem_slabs_stop();		/* unmaps every slab */
	for (uint32_t sp = 0; sp < VT_SEGKMEM_SLOTS / VT_SEGKMEM_SPAN; sp++) {
		if (VT_PEEK(span_state[sp]) != 0) {
			unmap_slot(sp * VT_SEGKMEM_SPAN);
			VT_POKE(span_state[sp], 0);
		}
	}
	active = false;
	vt_segkmem = 0;
}
