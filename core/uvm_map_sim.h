/*
 * uvm_map_sim.h - the slice of NetBSD's uvm_map / uvm_fault the amap code
 * is called from, simulated: a vm_map (an address space with its own HAT
 * and a map lock) holding a small table of map entries (start/end, aref,
 * NEEDSCOPY/COPYONWRITE, wiring), clipping through amap_splitref, unmap,
 * growth through amap_extend, the fork of one entry (amap_ref, amap_copy,
 * amap_cow_now) and an anonymous-memory fault (new anon, or COW by
 * amap_add replace), with pmap calls going to the HAT (digest §7.5).
 *
 * Locks: the map lock is the address space's a_lock (writer to change the
 * entries; reader for faults, which then hold the amap lock of the entry).
 * Order: map lock -> amap lock -> an_lock -> page lock -> HAT locks.  A
 * fork holds the parent's and the child's map locks.
 */
#ifndef VT_CORE_UVM_MAP_SIM_H
#define VT_CORE_UVM_MAP_SIM_H

#include "sys.h"
#include "hat.h"
#include "uvm_amap.h"

#define UVM_ET_OBJ		0x01
#define UVM_ET_SUBMAP		0x02
#define UVM_ET_COPYONWRITE	0x04
#define UVM_ET_NEEDSCOPY	0x08
#define UVM_ET_ISNEEDSCOPY(e)	(((e)->etype & UVM_ET_NEEDSCOPY) != 0)
#define UVM_MERGE_COPYING	1

/* Port of struct vm_map_entry (the fields the seed uses).  Map lock. */
struct vm_map_entry {
	vaddr_t		start, end;	/* [start, end) */
	int		etype;
	struct vm_aref	aref;
	int		wired_count;
	bool		inuse;		/* PORT: a slot of the entry table */
	bool		shared;		/* PORT: inherited shared (AMAP_SHARED) */
};

#define VT_MAP_MAXENT	48		/* entries per map */

/* The simulated vm_map: its pmap is map_as.a_hat. */
struct vm_map {
	struct as	map_as;		/* a_lock is the map lock */
	struct vm_map_entry map_ent[VT_MAP_MAXENT];	/* map lock */
	uint32_t	map_nent;	/* entries in use; map lock */
	uint32_t	map_id;		/* immutable */
};

/* The map lock (functions, so no macro takes a lock). */
void vm_map_lock(struct vm_map *map);
void vm_map_lock_read(struct vm_map *map);
void vm_map_unlock(struct vm_map *map);
bool vm_map_locked_p(struct vm_map *map);	/* held as writer */

/* Map entries (map locked as writer). */
struct vm_map_entry *uvm_mapent_alloc(struct vm_map *map);
void uvm_mapent_free(struct vm_map *map, struct vm_map_entry *e);
uint32_t vt_map_free_entries(struct vm_map *map);
/* The entry containing va, or NULL (map locked). */
struct vm_map_entry *uvm_map_lookup_entry(struct vm_map *map, vaddr_t va);
void uvm_map_clip_start(struct vm_map *map, struct vm_map_entry *entry,
    vaddr_t start);
void uvm_map_clip_end(struct vm_map *map, struct vm_map_entry *entry,
    vaddr_t end);
#define UVM_MAP_CLIP_START(map, entry, va, umr) do { \
	if ((va) > (entry)->start) \
		uvm_map_clip_start((map), (entry), (va)); \
} while (0)
#define UVM_MAP_CLIP_END(map, entry, va, umr) do { \
	if ((va) < (entry)->end) \
		uvm_map_clip_end((map), (entry), (va)); \
} while (0)
int uvm_mapent_trymerge(struct vm_map *map, struct vm_map_entry *entry,
    int flags);

/* Map anonymous zero-fill memory [start, start+len) (no amap yet). */
struct vm_map_entry *vt_map_anon(struct vm_map *map, vaddr_t start,
    vsize_t len);
/* Unmap [start, end): clip, unload the HAT, amap_unref, free entries. */
void uvm_unmap(struct vm_map *map, vaddr_t start, vaddr_t end);
/*
 * Grow entry by len bytes at its end (forwards) or its start; 0 or the
 * errno of amap_extend (an entry without an amap just grows).
 */
int vt_map_extend(struct vm_map *map, struct vm_map_entry *entry,
    vsize_t len, bool forwards, bool nowait);
/*
 * uvmspace_fork for one entry of old_map into new_map (both locked as
 * writer): MAP_INHERIT_SHARE (share) or MAP_INHERIT_COPY.
 */
void vt_map_fork_entry(struct vm_map *old_map, struct vm_map_entry *old,
    struct vm_map *new_map, bool share);
/* Tear every entry of map down (exit); map locked as writer. */
void vt_map_exit(struct vm_map *map);

/* Fault flags and results. */
#define VT_FAULT_WRITE	0x1	/* store a stamp */
#define VT_FAULT_WIRE	0x2	/* make resident and private, wire */
#define VT_FAULT_UNWIRE	0x4	/* drop the wiring of the page */
#define VT_EUPGRADE	1001	/* NEEDSCOPY: retry with the map write-locked */
#define VT_EDATA	1002	/* the page does not hold what was expected */
#define VT_ERESTART	1003	/* slept on a busy page: start over */

/*
 * The anonymous-memory part of uvm_fault at va.  *belief is what the
 * caller recorded for this page (known: compare); a write stores stamp in
 * the page and in *belief.  On VT_EDATA *got is what the page holds.
 * Locks: map locked by the caller (reader, or writer for a write to a
 * NEEDSCOPY entry); takes the amap lock, the an_lock, the page lock and
 * the HAT's; sleeps on a busy page with none of them (VT_ERESTART).
 */
int vt_uvm_fault(struct vm_map *map, vaddr_t va, int flags, uint64_t stamp,
    uint64_t *belief, bool known, uint64_t *got);

/* Mapping attributes of faulted pages. */
#define VT_UVM_ATTR_RO	(PROT_READ | PROT_USER)
#define VT_UVM_ATTR_RW	(PROT_READ | PROT_WRITE | PROT_USER)

#endif /* VT_CORE_UVM_MAP_SIM_H */
