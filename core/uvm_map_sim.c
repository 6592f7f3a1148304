/*
 * uvm_map_sim.c - the simulated uvm_map / uvm_fault around the amap port
 * (uvm_map_sim.h).  Not a port of uvm_map.c as a whole: the pieces the
 * amap seed is called from keep NetBSD's order of calls (uvm_map_clip_*,
 * uvmspace_fork's MAP_INHERIT_SHARE / MAP_INHERIT_COPY cases, the
 * uvmfault_amapcopy + anon promotion steps of uvm_fault).
 *   PORT: no map entry merging (uvm_mapent_trymerge says no), no objects
 *   under the amaps (every entry is anonymous memory), no page queues.
 *   PORT: pmap_protect of the parent's range at fork is hat_unload (the
 *   HAT port has no hat_chgprot; the next access refaults).
 */
#include "uvm_map_sim.h"

#include <errno.h>

#include "uvm_anon.h"

void
vm_map_lock(struct vm_map *map)
{
	rw_enter(&map->map_as.a_lock, RW_WRITER);
}

void
vm_map_lock_read(struct vm_map *map)
{
	rw_enter(&map->map_as.a_lock, RW_READER);
}

void
vm_map_unlock(struct vm_map *map)
{
	rw_exit(&map->map_as.a_lock);
}

bool
vm_map_locked_p(struct vm_map *map)
{
	return (rw_write_held(&map->map_as.a_lock));
}

/* A free entry of the table (map locked as writer). */
struct vm_map_entry *
uvm_mapent_alloc(struct vm_map *map)
{
	ASSERT(vm_map_locked_p(map));
	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &map->map_ent[i];

		if (!e->inuse) {
			memset(e, 0, sizeof (*e));
			e->inuse = true;
			map->map_nent++;
			return (e);
		}
	}
	panic("uvm_mapent_alloc: map %u has no free entry", map->map_id);
}

void
uvm_mapent_free(struct vm_map *map, struct vm_map_entry *e)
{
	ASSERT(vm_map_locked_p(map) && e->inuse);
	memset(e, 0, sizeof (*e));
	map->map_nent--;
}

uint32_t
vt_map_free_entries(struct vm_map *map)
{
	return (VT_MAP_MAXENT - map->map_nent);
}

struct vm_map_entry *
uvm_map_lookup_entry(struct vm_map *map, vaddr_t va)
{
	ASSERT(rw_lock_held(&map->map_as.a_lock));
	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &map->map_ent[i];

		if (e->inuse && va >= e->start && va < e->end)
			return (e);
	}
	return (NULL);
}

/*
 * Port of uvm_map_clip_start() (uvm_map.c 2005): a new entry takes
 * [entry->start, start); entry keeps [start, end); an amap reference is
 * split with amap_splitref.  Map locked as writer; splitref takes the amap
 * lock.
 */
void
uvm_map_clip_start(struct vm_map *map, struct vm_map_entry *entry,
    vaddr_t start)
{
	struct vm_map_entry *ne = uvm_mapent_alloc(map);
	vaddr_t adj;

	*ne = *entry;
	ne->end = start;
	adj = start - ne->start;
	if (entry->aref.ar_amap != NULL)
		amap_splitref(&ne->aref, &entry->aref, adj);
	entry->start = start;
}

/*
 * Port of uvm_map_clip_end() (uvm_map.c 2005): entry keeps [start, end), a
 * new entry takes the rest.  Map locked as writer.
 */
void
uvm_map_clip_end(struct vm_map *map, struct vm_map_entry *entry, vaddr_t end)
{
	struct vm_map_entry *ne = uvm_mapent_alloc(map);
	vaddr_t adj;

	*ne = *entry;
	ne->start = entry->end = end;
	adj = end - entry->start;
	if (entry->aref.ar_amap != NULL)
		amap_splitref(&entry->aref, &ne->aref, adj);
}

/* PORT: entries are never merged (amap_copy goes on to allocate). */
int
uvm_mapent_trymerge(struct vm_map *map, struct vm_map_entry *entry,
    int flags)
{
	(void) map;
	(void) entry;
	(void) flags;
	return (0);
}

struct vm_map_entry *
vt_map_anon(struct vm_map *map, vaddr_t start, vsize_t len)
{
	struct vm_map_entry *e = uvm_mapent_alloc(map);

	e->start = start;
	e->end = start + len;
	e->etype = UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
	e->aref.ar_amap = NULL;
	e->aref.ar_pageoff = 0;
	return (e);
}

/*
 * The uvm_unmap_remove + uvm_unmap_detach of one entry: unload its HAT
 * mappings, drop its amap reference (amap_unref: a partial one adjusts
 * ppref and may wipe a range; the last one wipes the amap out).
 */
static void
unmap_entry(struct vm_map *map, struct vm_map_entry *e, boolean_t all)
{
	struct vm_amap *am = e->aref.ar_amap;

	ASSERT(e->wired_count == 0);
	hat_unload(map->map_as.a_hat, (caddr_t)e->start, e->end - e->start,
	    HAT_UNLOAD_UNMAP);
	if (am != NULL)
		amap_unref(am, (vaddr_t)e->aref.ar_pageoff,
		    atop(e->end - e->start), all);
	uvm_mapent_free(map, e);
}

void
uvm_unmap(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	ASSERT(vm_map_locked_p(map));
	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &map->map_ent[i];

		if (!e->inuse || e->end <= start || e->start >= end)
			continue;
		UVM_MAP_CLIP_START(map, e, start, NULL);
		UVM_MAP_CLIP_END(map, e, end, NULL);
		unmap_entry(map, e, B_FALSE);
	}
}

int
vt_map_extend(struct vm_map *map, struct vm_map_entry *entry, vsize_t len,
    bool forwards, bool nowait)
{
	struct vm_amap *am = entry->aref.ar_amap;
	int error;

	ASSERT(vm_map_locked_p(map));
	if (am != NULL) {
		/* uvm_map merges only into an amap nobody else references. */
		if (VT_RACY_LOAD(am->am_ref) != 1)
			return (EBUSY);
		error = amap_extend(entry, len, (forwards ?
		    AMAP_EXTEND_FORWARDS : AMAP_EXTEND_BACKWARDS) |
		    (nowait ? AMAP_EXTEND_NOWAIT : 0));
		if (error != 0)
			return (error);
	}
	if (forwards)
		entry->end += len;
	else
		entry->start -= len;
	return (0);
}

/*
 * uvmspace_fork (uvm_map.c 2005) for one entry.
 * MAP_INHERIT_SHARE: a NEEDSCOPY entry gets its own amap first; both
 * entries then share it (amap_ref with AMAP_SHARED).
 * MAP_INHERIT_COPY: the child references the amap (amap_ref) and needs a
 * copy; a shared or wired parent amap is copied at once (amap_copy), a
 * wired one with every COW resolved (amap_cow_now); otherwise the
 * parent's mappings lose write access and its entry needs a copy too.
 * Locks: both maps locked as writer by the caller; the amap calls take
 * amap, anon, page and HAT locks.
 */
void
vt_map_fork_entry(struct vm_map *old_map, struct vm_map_entry *old,
    struct vm_map *new_map, bool share)
{
	struct vm_map_entry *ne;
	vsize_t len = atop(old->end - old->start);

	ASSERT(vm_map_locked_p(old_map) && vm_map_locked_p(new_map));
	if (share) {
		if (UVM_ET_ISNEEDSCOPY(old))
			amap_copy(old_map, old, M_WAITOK, B_FALSE, 0, 0);
		ASSERT(old->aref.ar_amap != NULL);
		ne = uvm_mapent_alloc(new_map);
		*ne = *old;
		ne->wired_count = 0;
		amap_ref(old->aref.ar_amap, (vaddr_t)old->aref.ar_pageoff,
		    len, AMAP_SHARED);
		old->shared = ne->shared = true;
		return;
	}

	ne = uvm_mapent_alloc(new_map);
	*ne = *old;
	ne->wired_count = 0;
	if (ne->aref.ar_amap != NULL)
		amap_ref(ne->aref.ar_amap, (vaddr_t)ne->aref.ar_pageoff, len, 0);
	ne->etype |= UVM_ET_COPYONWRITE | UVM_ET_NEEDSCOPY;
	ne->shared = false;
	if (old->aref.ar_amap == NULL)
		return;
	/* The kernel reads the flags without the amap lock (VT_RACY). */
	if ((VT_RACY_LOAD(amap_flags(old->aref.ar_amap)) & AMAP_SHARED) != 0 ||
	    old->wired_count != 0)
		amap_copy(new_map, ne, M_WAITOK, B_FALSE, 0, 0);
	if (old->wired_count != 0) {
		amap_cow_now(new_map, ne);
	} else if (!UVM_ET_ISNEEDSCOPY(old)) {
		hat_unload(old_map->map_as.a_hat, (caddr_t)old->start,
		    old->end - old->start, HAT_UNLOAD);
		old->etype |= UVM_ET_NEEDSCOPY;
	}
}

void
vt_map_exit(struct vm_map *map)
{
	ASSERT(vm_map_locked_p(map));
	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &map->map_ent[i];
		struct vm_amap *am = e->aref.ar_amap;
		boolean_t all;

		if (!e->inuse)
			continue;
		/*
		 * A reference to the whole amap goes with "all" (the
		 * amap_unref of the last detach of a full entry).
		 */
		all = am != NULL && e->aref.ar_pageoff == 0 &&
		    (int)atop(e->end - e->start) == am->am_nslot;
		unmap_entry(map, e, all);
	}
	ASSERT(map->map_nent == 0);
}

/* Load pg at va in map's HAT (page lock SE_SHARED around hat_memload). */
static void
map_load(struct vm_map *map, vaddr_t va, struct vm_page *pg, uint_t attr)
{
	page_t *pp = vt_vm_page_pp(pg);
	hat_t *hat = map->map_as.a_hat;

	hat_unload(hat, (caddr_t)va, PAGE_SIZE, HAT_UNLOAD);
	page_lock(pp, SE_SHARED);
	hat_memload(hat, (caddr_t)va, pp, attr, HAT_LOAD);
	page_unlock(pp);
}

/* A fresh anon with a zero-filled page (returned locked), or NULL. */
static struct vm_anon *
new_anon(struct vm_page **pgp)
{
	struct vm_anon *an = uvm_analloc();
	struct vm_page *pg;

	if (an == NULL)
		return (NULL);
	pg = uvm_pagealloc(NULL, 0, an, 0);
	if (pg == NULL) {
		an->an_ref--;
		mutex_exit(&an->an_lock);
		uvm_anfree(an);
		return (NULL);
	}
	pg->flags &= ~(PG_BUSY | PG_FAKE);
	*pgp = pg;
	return (an);
}

int
vt_uvm_fault(struct vm_map *map, vaddr_t va, int flags, uint64_t stamp,
    uint64_t *belief, bool known, uint64_t *got)
{
	struct vm_map_entry *e;
	struct vm_amap *am;
	struct vm_anon *anon, *nanon;
	struct vm_page *pg, *npg;
	vaddr_t off;
	uint64_t cur;
	bool wr = (flags & (VT_FAULT_WRITE | VT_FAULT_WIRE)) != 0;

	ASSERT(rw_lock_held(&map->map_as.a_lock));
	va &= ~(vaddr_t)(PAGE_SIZE - 1);
	e = uvm_map_lookup_entry(map, va);
	if (e == NULL)
		return (EFAULT);

	/* uvmfault_amapcopy: a write needs the entry's own amap. */
	if (wr && UVM_ET_ISNEEDSCOPY(e)) {
		if (!vm_map_locked_p(map))
			return (VT_EUPGRADE);
		amap_copy(map, e, M_NOWAIT, vt_map_free_entries(map) >= 2, va,
		    va + PAGE_SIZE);
		e = uvm_map_lookup_entry(map, va);
		if (UVM_ET_ISNEEDSCOPY(e)) {
			AMAPSTAT_INC(fault_enomem);
			return (ENOMEM);
		}
	}

	am = e->aref.ar_amap;
	if (am == NULL) {
		/* Zero-fill memory nobody wrote yet. */
		ASSERT(!wr);
		if (known && *belief != 0) {
			*got = 0;
			return (VT_EDATA);
		}
		return (0);
	}
	off = va - e->start;
	amap_lock(am);
	anon = amap_lookup(&e->aref, off);

	if (anon == NULL) {
		if (known && *belief != 0) {
			amap_unlock(am);
			*got = 0;
			return (VT_EDATA);
		}
		if (!wr || (flags & VT_FAULT_UNWIRE)) {
			amap_unlock(am);
			return (0);
		}
		nanon = new_anon(&pg);
		if (nanon == NULL) {
			amap_unlock(am);
			AMAPSTAT_INC(fault_enomem);
			return (ENOMEM);
		}
		amap_add(&e->aref, off, nanon, B_FALSE);
		if (flags & VT_FAULT_WRITE) {
			vt_page_write(pg, stamp);
			*belief = stamp;
		} else {
			*belief = 0;
		}
		if (flags & VT_FAULT_WIRE)
			pg->wire_count++;
		map_load(map, va, pg, VT_UVM_ATTR_RW);
		mutex_exit(&nanon->an_lock);
		amap_unlock(am);
		return (0);
	}

	mutex_enter(&anon->an_lock);
	pg = anon->an_page;
	if (pg != NULL && (pg->flags & PG_BUSY)) {
		amap_unlock(am);
		uvm_unlock_and_wait(pg, &anon->an_lock);
		AMAPSTAT_INC(fault_restarts);
		return (VT_ERESTART);
	}
	if (flags & VT_FAULT_UNWIRE) {
		ASSERT(pg != NULL && pg->wire_count > 0);
		pg->wire_count--;
		mutex_exit(&anon->an_lock);
		amap_unlock(am);
		return (0);
	}
	if (pg == NULL) {
		pg = vt_anon_fault_pagein(anon);
		if (pg == NULL) {
			mutex_exit(&anon->an_lock);
			amap_unlock(am);
			AMAPSTAT_INC(fault_enomem);
			return (ENOMEM);
		}
	}
	cur = vt_page_word(pg);
	if (!vt_page_intact(pg) || (known && cur != *belief)) {
		mutex_exit(&anon->an_lock);
		amap_unlock(am);
		*got = cur;
		return (VT_EDATA);
	}
	if (!wr) {
		map_load(map, va, pg, VT_UVM_ATTR_RO);
		mutex_exit(&anon->an_lock);
		amap_unlock(am);
		return (0);
	}

	if (anon->an_ref > 1) {
		/* Copy on write: a new anon replaces the shared one. */
		nanon = new_anon(&npg);
		if (nanon == NULL) {
			mutex_exit(&anon->an_lock);
			amap_unlock(am);
			AMAPSTAT_INC(fault_enomem);
			return (ENOMEM);
		}
		uvm_pagecopy(pg, npg);
		hat_unload(map->map_as.a_hat, (caddr_t)va, PAGE_SIZE,
		    HAT_UNLOAD);
		amap_add(&e->aref, off, nanon, B_TRUE);
		VT_POKE(anon->an_ref, anon->an_ref - 1);	/* not to zero */
		mutex_exit(&anon->an_lock);
		anon = nanon;
		pg = npg;
	}
	if (flags & VT_FAULT_WRITE) {
		vt_page_write(pg, stamp);
		*belief = stamp;
	}
	if (flags & VT_FAULT_WIRE)
		pg->wire_count++;
	map_load(map, va, pg, VT_UVM_ATTR_RW);
	mutex_exit(&anon->an_lock);
	amap_unlock(am);
	return (0);
}
