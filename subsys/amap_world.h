/*
 * amap_world.h - the amap workload's processes, shared by amap_world.c
 * and the audit.  Each process slot has a simulated vm_map (its map lock
 * is the address space's a_lock) and the process's beliefs: what each page
 * of its VA window should hold.
 *
 * Beliefs are written with the map locked as writer, or as reader plus the
 * amap lock of the entry covering the page (the fault path); read the same
 * way.  Pages of entries inherited shared are not believed (another process
 * writes them).
 */
#ifndef VT_SUBSYS_AMAP_WORLD_H
#define VT_SUBSYS_AMAP_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/uvm_map_sim.h"

#define VT_AMAP_VA	0x010000000000UL	/* every process's window */

enum { VT_PROC_FREE = 0, VT_PROC_RESERVED = 1, VT_PROC_LIVE = 2 };

struct vt_amap_proc {
	struct vm_map	p_map;
	uint32_t	p_state;	/* table lock (+ map writer: LIVE); VT_RACY */
	uint64_t	*p_belief;	/* [va_pages], see above */
	uint8_t		*p_known;	/* [va_pages] */
};

struct vt_amap_world {
	struct vt_amap_proc *w_proc;	/* [w_nproc]; built at setup */
	uint32_t	w_nproc;
	uint32_t	w_va_pages;
	kmutex_t	w_table_lock;	/* process slot states */
	kmutex_t	w_swap_syscall_lock;	/* one swap-off at a time */
	bool		w_up;		/* setup done; immutable in the run */
};
extern struct vt_amap_world vt_amap_world;

#endif /* VT_SUBSYS_AMAP_WORLD_H */
