/*
 * tlb.c - the simulated CPUs' TLBs (tlb.h).  Harness code: the hardware the
 * HAT's shootdowns are for, not a port.
 */
#include "tlb.h"

#include <inttypes.h>
#include <string.h>

#include "hat.h"
#include "hat_pte.h"
#include "page.h"

static inline struct vt_tlb_entry *
slot_of(struct vt_tlb *t, uintptr_t va)
{
	return (&t->tlb_e[(va >> MMU_PAGESHIFT) % VT_TLB_ENTRIES]);
}

void
vt_tlb_init(struct vt_tlb *t, uint32_t cpu)
{
	memset(t->tlb_e, 0, sizeof (t->tlb_e));
	t->tlb_cpu = cpu;
	t->tlb_hits = t->tlb_fills = t->tlb_flushed = t->tlb_shootdowns = 0;
	mutex_init(&t->tlb_lock, "tlb_lock", MUTEX_DEFAULT, NULL);
}

void
vt_tlb_fini(struct vt_tlb *t)
{
	mutex_destroy(&t->tlb_lock);
}

/* Takes tlb_lock. */
int
vt_tlb_lookup(struct vt_tlb *t, uintptr_t va, bool write, pfn_t *pfn)
{
	struct vt_tlb_entry *e;
	uint32_t gen;
	int hit = 0;

	va &= ~(uintptr_t)MMU_PAGEOFFSET;
	mutex_enter(&t->tlb_lock);
	e = slot_of(t, va);
	if (e->te_valid && e->te_va == va) {
		gen = VT_PEEK(vt_frame_gen[e->te_pfn]);
		if (gen != e->te_gen ||
		    vt_frame_tag_get(e->te_pfn) != VT_FRAME_DATA)
			vt_fail("tlb", "cpu %u used a cached translation va 0x%"
			    PRIxPTR " -> pfn %" PRIu64 " whose frame was freed "
			    "since (generation %u, now %u, tagged %u): no "
			    "shootdown reached this cpu", t->tlb_cpu, va,
			    (uint64_t)e->te_pfn, e->te_gen, gen,
			    (unsigned)vt_frame_tag_get(e->te_pfn));
		if (write && !e->te_dirty && e->te_write) {
			*pfn = e->te_pfn;	/* kept: walk to set PT_MOD */
			hit = VT_TLB_SET_DIRTY;
		} else if (write && !e->te_dirty) {
			e->te_valid = 0;	/* read-only: the walk faults */
		} else if (!write || e->te_write) {
			if (write)
				vt_frame_write(e->te_pfn);
			*pfn = e->te_pfn;
			t->tlb_hits++;
			hit = 1;
		}
	}
	mutex_exit(&t->tlb_lock);
	return (hit);
}

/* Takes tlb_lock, and holds it across the PTE's CAS. */
bool
vt_tlb_dirty_assist(struct vt_tlb *t, uintptr_t va, pfn_t pfn,
    uint64_t *ptep, uint64_t pte)
{
	struct vt_tlb_entry *e;
	bool wrote = false;

	va &= ~(uintptr_t)MMU_PAGEOFFSET;
	mutex_enter(&t->tlb_lock);
	e = slot_of(t, va);
	if (e->te_valid && e->te_va == va && e->te_pfn == pfn &&
	    e->te_write && !e->te_dirty) {
		if (atomic_cas_64(ptep, pte, pte | PT_REF | PT_MOD) == pte) {
			e->te_dirty = 1;
			vt_frame_write(pfn);
			t->tlb_stale_writes++;
			wrote = true;
		} else {
			e->te_valid = 0;	/* the PTE moved: fault, refill */
		}
	}
	mutex_exit(&t->tlb_lock);
	return (wrote);
}

/* Takes tlb_lock. */
void
vt_tlb_drop(struct vt_tlb *t, uintptr_t va)
{
	struct vt_tlb_entry *e;

	va &= ~(uintptr_t)MMU_PAGEOFFSET;
	mutex_enter(&t->tlb_lock);
	e = slot_of(t, va);
	if (e->te_valid && e->te_va == va)
		e->te_valid = 0;
	mutex_exit(&t->tlb_lock);
}

/* Takes tlb_lock. */
void
vt_tlb_fill(struct vt_tlb *t, uintptr_t va, pfn_t pfn, bool writable,
    bool dirty)
{
	struct vt_tlb_entry *e;

	va &= ~(uintptr_t)MMU_PAGEOFFSET;
	mutex_enter(&t->tlb_lock);
	e = slot_of(t, va);
	e->te_va = va;
	e->te_pfn = pfn;
	e->te_gen = VT_PEEK(vt_frame_gen[pfn]);
	e->te_write = writable;
	e->te_dirty = dirty;
	e->te_valid = 1;
	t->tlb_fills++;
	mutex_exit(&t->tlb_lock);
}

static bool
in_range(uintptr_t x, uintptr_t va, size_t len)
{
	return (x >= va && x - va < len);
}

/* Takes tlb_lock. */
uint32_t
vt_tlb_flush(struct vt_tlb *t, uintptr_t va, size_t len,
    bool shootdown)
{
	bool all = (va == DEMAP_ALL_ADDR);
	uint32_t n = 0;

	if (!all) {
		len += va & MMU_PAGEOFFSET;
		va &= ~(uintptr_t)MMU_PAGEOFFSET;
	}
	mutex_enter(&t->tlb_lock);
	for (uint32_t i = 0; i < VT_TLB_ENTRIES; i++) {
		struct vt_tlb_entry *e = &t->tlb_e[i];

		if (e->te_valid && (all || in_range(e->te_va, va, len))) {
			e->te_valid = 0;
			n++;
		}
	}
	t->tlb_flushed += n;
	if (shootdown)
		t->tlb_shootdowns++;
	mutex_exit(&t->tlb_lock);
	return (n);
}

/* Takes tlb_lock. */
bool
vt_tlb_holds(struct vt_tlb *t, pfn_t pfn, pgcnt_t npfn, uintptr_t *where)
{
	bool found = false;

	mutex_enter(&t->tlb_lock);
	for (uint32_t i = 0; i < VT_TLB_ENTRIES && !found; i++) {
		struct vt_tlb_entry *e = &t->tlb_e[i];

		if (e->te_valid && e->te_pfn >= pfn && e->te_pfn - pfn < npfn) {
			*where = e->te_va;
			found = true;
		}
	}
	mutex_exit(&t->tlb_lock);
	return (found);
}
