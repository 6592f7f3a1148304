/*
 * amap_world.c - the amap workload (amap_world.h): process slots that
 * exec, fork (copy, shared, wired), fault, unmap parts, map and grow
 * entries and exit, a page daemon and a swap-off thread.
 *
 * Calling rules kept so that a failure is the port's and not the
 * harness's: map lock -> amap lock -> an_lock -> page lock -> HAT; a fork
 * holds the parent's map lock and a FREE child slot's (reserved under the
 * table lock first, so no worker holds it for long); every other worker
 * holds one map lock at a time and drops it before a page-out's I/O.
 *
 * Harness code (not ported).
 */
#include "amap_subsys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "amap_world.h"
#include "../core/uvm_anon.h"

struct vt_amap_world vt_amap_world;

#define W	vt_amap_world
#define WIRE_MAX_PAGES	48

static inline vaddr_t
page_va(uint32_t pg)
{
	return (VT_AMAP_VA + ptoa(pg));
}

static inline uint32_t
va_page(vaddr_t va)
{
	return ((uint32_t)atop(va - VT_AMAP_VA));
}

/* A stamp no other write uses: worker, its op count, a tag bit. */
static uint64_t
new_stamp(struct vt_worker *w)
{
	return (((uint64_t)w->id << 48) | ((w->nops & 0xffffffffffULL) << 4) |
	    (vt_worker_rand(w) & 0xe) | 1);
}

static uint32_t
proc_state(struct vt_amap_proc *p)
{
	return (VT_RACY_LOAD(p->p_state));
}

/* Lock a random live process's map (how); NULL if the one drawn is not. */
static struct vt_amap_proc *
proc_enter(struct vt_worker *w, krw_t how)
{
	struct vt_amap_proc *p = &W.w_proc[vt_worker_rand_below(w, W.w_nproc)];

	if (proc_state(p) != VT_PROC_LIVE)
		return (NULL);
	rw_enter(&p->p_map.map_as.a_lock, how);
	if (proc_state(p) != VT_PROC_LIVE) {
		rw_exit(&p->p_map.map_as.a_lock);
		return (NULL);
	}
	return (p);
}

static void
proc_exit(struct vt_amap_proc *p)
{
	rw_exit(&p->p_map.map_as.a_lock);
}

/* Reserve a FREE slot (table lock); NULL if none. */
static struct vt_amap_proc *
proc_reserve(struct vt_worker *w)
{
	uint32_t start = (uint32_t)vt_worker_rand_below(w, W.w_nproc);
	struct vt_amap_proc *p = NULL;

	mutex_enter(&W.w_table_lock);
	for (uint32_t i = 0; i < W.w_nproc; i++) {
		struct vt_amap_proc *q = &W.w_proc[(start + i) % W.w_nproc];

		if (VT_RACY_LOAD(q->p_state) == VT_PROC_FREE) {
			VT_RACY_STORE(q->p_state, VT_PROC_RESERVED);
			p = q;
			break;
		}
	}
	mutex_exit(&W.w_table_lock);
	return (p);
}

static void
proc_set_state(struct vt_amap_proc *p, uint32_t st)
{
	mutex_enter(&W.w_table_lock);
	VT_RACY_STORE(p->p_state, st);
	mutex_exit(&W.w_table_lock);
}

static uint32_t
live_count(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < W.w_nproc; i++)
		if (proc_state(&W.w_proc[i]) == VT_PROC_LIVE)
			n++;
	return (n);
}

static void
believe(struct vt_amap_proc *p, vaddr_t start, vaddr_t end, bool known)
{
	for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
		p->p_belief[va_page(va)] = 0;
		p->p_known[va_page(va)] = known;
	}
}

/* True if [start, end) is inside the window and meets no entry. */
static bool
hole(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	if (start < VT_AMAP_VA || end > page_va(W.w_va_pages) || start >= end)
		return (false);
	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &map->map_ent[i];

		if (e->inuse && e->start < end && e->end > start)
			return (false);
	}
	return (true);
}

/* A random entry of map (NULL if none). */
static struct vm_map_entry *
pick_entry(struct vt_worker *w, struct vm_map *map)
{
	uint32_t start = (uint32_t)vt_worker_rand_below(w, VT_MAP_MAXENT);

	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &map->map_ent[(start + i) %
		    VT_MAP_MAXENT];

		if (e->inuse)
			return (e);
	}
	return (NULL);
}

/* A random entry size in pages: mostly small, now and then a large one. */
static uint32_t
entry_pages(struct vt_worker *w)
{
	if (vt_worker_chance(w, 3) && W.w_va_pages >= 2 * UVM_AMAP_LARGE)
		return (UVM_AMAP_LARGE + (uint32_t)vt_worker_rand_below(w, 64));
	return (1 + (uint32_t)vt_worker_rand_below(w, 24));
}

/* Map a new anonymous entry of n pages in a random hole; false if none. */
static bool
map_somewhere(struct vt_worker *w, struct vt_amap_proc *p, uint32_t n)
{
	for (int t = 0; t < 8; t++) {
		uint32_t pg;
		vaddr_t s;

		if (n >= W.w_va_pages)
			return (false);
		pg = (uint32_t)vt_worker_rand_below(w, W.w_va_pages - n);
		s = page_va(pg);
		if (hole(&p->p_map, s, s + ptoa(n))) {
			(void) vt_map_anon(&p->p_map, s, ptoa(n));
			believe(p, s, s + ptoa(n), true);
			return (true);
		}
	}
	return (false);
}

/* exec: a fresh process with a few entries.  Slot reserved by the caller. */
static void
proc_exec(struct vt_worker *w, struct vt_amap_proc *p)
{
	struct vm_map *map = &p->p_map;
	uint32_t n = 1 + (uint32_t)vt_worker_rand_below(w, 3);

	vm_map_lock(map);
	map->map_as.a_hat = hat_alloc(&map->map_as);
	believe(p, page_va(0), page_va(W.w_va_pages), false);
	for (uint32_t i = 0; i < n; i++)
		(void) map_somewhere(w, p, i == 0 && vt_worker_chance(w, 25) &&
		    W.w_va_pages > 2 * UVM_AMAP_LARGE ? UVM_AMAP_LARGE +
		    (uint32_t)vt_worker_rand_below(w, 64) : entry_pages(w));
	proc_set_state(p, VT_PROC_LIVE);
	vm_map_unlock(map);
	vt_amap_event(w, VT_AMAP_OP_EXEC, map->map_id, 0, n, 0);
}

/* exit: every entry unmapped, the HAT freed.  Map locked as writer. */
static void
proc_teardown(struct vt_amap_proc *p)
{
	struct vm_map *map = &p->p_map;
	hat_t *hat = map->map_as.a_hat;

	ASSERT(vm_map_locked_p(map));
	hat_free_start(hat);
	vt_map_exit(map);
	vt_pmap_destroy(hat);
	map->map_as.a_hat = NULL;
	believe(p, page_va(0), page_va(W.w_va_pages), false);
}

/*
 * Fault every page of e in with the wiring flag (or drop the wiring).
 * Map locked as writer.  Returns false if memory ran out (wiring undone).
 */
static bool
wire_entry(struct vt_amap_proc *p, struct vm_map_entry *e, bool wire)
{
	struct vm_map *map = &p->p_map;
	vaddr_t va;
	uint64_t got;
	int rc = 0;

	for (va = e->start; va < e->end; va += PAGE_SIZE) {
		uint32_t pg = va_page(va);
		int tries = 0;

		do {
			rc = vt_uvm_fault(map, va, wire ? VT_FAULT_WIRE :
			    VT_FAULT_UNWIRE, 0, &p->p_belief[pg],
			    p->p_known[pg] != 0, &got);
		} while (rc == VT_ERESTART && ++tries < 1000);
		if (rc == VT_EDATA)
			vt_fail("amap-cow-data", "map %u va %#" PRIxPTR
			    " holds %#" PRIx64 ", expected %#" PRIx64
			    " (wiring)", map->map_id, va, got,
			    p->p_belief[pg]);
		if (rc != 0)
			break;
		/* The entry may have been clipped by the first fault. */
		e = uvm_map_lookup_entry(map, va);
	}
	if (rc == 0)
		return (true);
	ASSERT(wire);
	for (vaddr_t v = e->start; v < va; v += PAGE_SIZE) {
		int tries = 0;

		while (vt_uvm_fault(map, v, VT_FAULT_UNWIRE, 0,
		    &p->p_belief[va_page(v)], false, &got) == VT_ERESTART &&
		    ++tries < 1000)
			continue;
	}
	return (false);
}

/* fork (parent's map write-locked; child slot reserved). */
static void
proc_fork(struct vt_worker *w, struct vt_amap_proc *pp, struct vt_amap_proc *cp,
    struct vm_map_entry *shared, struct vm_map_entry *wired)
{
	struct vm_map *pm = &pp->p_map, *cm = &cp->p_map;

	vm_map_lock(cm);
	cm->map_as.a_hat = hat_alloc(&cm->map_as);
	believe(cp, page_va(0), page_va(W.w_va_pages), false);
	for (uint32_t i = 0; i < VT_MAP_MAXENT; i++) {
		struct vm_map_entry *e = &pm->map_ent[i];

		if (!e->inuse)
			continue;
		vt_map_fork_entry(pm, e, cm, e == shared);
		for (vaddr_t va = e->start; va < e->end; va += PAGE_SIZE) {
			uint32_t pg = va_page(va);

			if (e->shared) {
				pp->p_known[pg] = 0;
				cp->p_known[pg] = 0;
			} else {
				cp->p_known[pg] = pp->p_known[pg];
				cp->p_belief[pg] = pp->p_belief[pg];
			}
		}
	}
	proc_set_state(cp, VT_PROC_LIVE);
	vm_map_unlock(cm);
	vt_amap_event(w, wired != NULL ? VT_AMAP_OP_WIRE_FORK :
	    VT_AMAP_OP_FORK, pm->map_id, 0, cm->map_id, 0);
}

void
vt_amap_forker_op(struct vt_worker *w)
{
	struct vt_amap_proc *p, *c;
	struct vm_map_entry *e, *shared = NULL, *wired = NULL;
	uint32_t live = live_count();

	if (live < 2 || (live < W.w_nproc - 1 && vt_worker_chance(w, 10))) {
		c = proc_reserve(w);
		if (c != NULL)
			proc_exec(w, c);
		return;
	}
	p = proc_enter(w, RW_WRITER);
	if (p == NULL)
		return;
	if (live > W.w_nproc / 2 && vt_worker_chance(w, 35)) {
		uint32_t id = p->p_map.map_id;

		proc_teardown(p);
		proc_set_state(p, VT_PROC_FREE);
		proc_exit(p);
		vt_amap_event(w, VT_AMAP_OP_EXIT, id, 0, 0, 0);
		return;
	}
	c = proc_reserve(w);
	if (c == NULL) {
		proc_exit(p);
		return;
	}
	e = pick_entry(w, &p->p_map);
	if (e != NULL && vt_worker_chance(w, 10)) {
		shared = e;
	} else if (e != NULL && !e->shared && e->end - e->start <=
	    ptoa(WIRE_MAX_PAGES) && vt_worker_chance(w, 25) &&
	    vt_map_free_entries(&p->p_map) >= 2) {
		if (wire_entry(p, e, true)) {
			/* The first fault may have clipped e: look again. */
			wired = uvm_map_lookup_entry(&p->p_map, e->start);
			wired->wired_count = 1;
		}
	}
	proc_fork(w, p, c, shared, wired);
	if (wired != NULL) {
		wired->wired_count = 0;
		(void) wire_entry(p, wired, false);
	}
	proc_exit(p);
}

/* One fault at va of p (map locked as how); may retake the map lock. */
static void
fault_one(struct vt_worker *w, struct vt_amap_proc *p, vaddr_t va, bool write,
    krw_t *how)
{
	struct vm_map *map = &p->p_map;
	uint32_t pg = va_page(va);
	uint64_t got, stamp = new_stamp(w);
	int rc, tries = 0;

	for (;;) {
		rc = vt_uvm_fault(map, va, write ? VT_FAULT_WRITE : 0, stamp,
		    &p->p_belief[pg], p->p_known[pg] != 0, &got);
		if (rc == VT_EUPGRADE && *how == RW_READER) {
			rw_exit(&map->map_as.a_lock);
			rw_enter(&map->map_as.a_lock, RW_WRITER);
			*how = RW_WRITER;
			if (proc_state(p) != VT_PROC_LIVE)
				return;
			continue;
		}
		if (rc == VT_ERESTART && ++tries < 100)
			continue;
		break;
	}
	if (rc == VT_EDATA)
		vt_fail("amap-cow-data", "map %u va %#" PRIxPTR " holds %#"
		    PRIx64 ", expected %#" PRIx64 " (%s fault)", map->map_id,
		    va, got, p->p_belief[pg], write ? "write" : "read");
	vt_amap_event(w, write ? VT_AMAP_OP_FAULT_WRITE : VT_AMAP_OP_FAULT_READ,
	    map->map_id, va, 0, rc);
}

void
vt_amap_faulter_op(struct vt_worker *w)
{
	krw_t how = RW_READER;
	struct vt_amap_proc *p = proc_enter(w, how);
	uint32_t n;

	if (p == NULL) {
		vt_worker_yield();
		return;
	}
	for (n = 1 + (uint32_t)vt_worker_rand_below(w, 8); n > 0; n--) {
		struct vm_map_entry *e;
		vaddr_t va;

		if (proc_state(p) != VT_PROC_LIVE)
			break;
		e = pick_entry(w, &p->p_map);
		if (e == NULL)
			break;
		va = e->start + ptoa(vt_worker_rand_below(w,
		    atop(e->end - e->start)));
		fault_one(w, p, va, vt_worker_chance(w, 50), &how);
	}
	/* amap_lookups over an entry beside amap_lookup of each slot. */
	if (proc_state(p) == VT_PROC_LIVE && vt_worker_chance(w, 20)) {
		struct vm_map_entry *e = pick_entry(w, &p->p_map);
		struct vm_anon *an[64];

		if (e != NULL && e->aref.ar_amap != NULL) {
			int np = (int)MIN(atop(e->end - e->start), 64);

			amap_lock(e->aref.ar_amap);
			amap_lookups(&e->aref, 0, an, np);
			for (int i = 0; i < np; i++)
				if (amap_lookup(&e->aref, ptoa(i)) != an[i])
					vt_fail("amap-slots", "amap_lookups and "
					    "amap_lookup disagree at slot %d",
					    i);
			amap_unlock(e->aref.ar_amap);
			vt_amap_event(w, VT_AMAP_OP_LOOKUPS, p->p_map.map_id,
			    e->start, (uint64_t)np, 0);
		}
	}
	proc_exit(p);
}

void
vt_amap_mapper_op(struct vt_worker *w)
{
	struct vt_amap_proc *p = proc_enter(w, RW_WRITER);
	struct vm_map *map;
	struct vm_map_entry *e;
	uint32_t r = (uint32_t)vt_worker_rand_below(w, 100);

	if (p == NULL) {
		vt_worker_yield();
		return;
	}
	map = &p->p_map;
	e = pick_entry(w, map);
	if (e == NULL || (r < 20 && map->map_nent < VT_MAP_MAXENT / 2)) {
		uint32_t n = entry_pages(w);
		bool ok = map_somewhere(w, p, n);

		vt_amap_event(w, VT_AMAP_OP_MAP, map->map_id, 0, n, ok);
	} else if (vt_map_free_entries(map) < 4) {
		/* Short of entries: unmap a whole one (no clip). */
		vaddr_t s = e->start, t = e->end;

		uvm_unmap(map, s, t);
		believe(p, s, t, false);
		vt_amap_event(w, VT_AMAP_OP_UNMAP, map->map_id, s, atop(t - s),
		    0);
	} else if (r < 60) {
		/*
		 * Unmap a part (or all) of e: clips split its reference.  Now
		 * and then a head or tail is mapped again at once, as
		 * uvm_map does by growing the amap it sits next to (amap_extend
		 * case 1f / 1b over slots the unmap released).
		 */
		uint64_t np = atop(e->end - e->start);
		uint64_t a = vt_worker_rand_below(w, np);
		uint64_t b = a + 1 + vt_worker_rand_below(w, np - a);
		vaddr_t s, t;
		struct vm_map_entry *keep = NULL;
		bool fwd = false;
		int rc;

		if (np > 1 && vt_worker_chance(w, 40)) {
			fwd = vt_worker_chance(w, 50);
			if (fwd)
				b = np;		/* the tail [a, np) */
			else {
				a = 0;		/* the head [0, b) */
				b = MIN(b, np - 1);
			}
			if (a == b || (a == 0 && b == np))
				fwd = false, b = a + 1 > np ? np : a + 1;
			else
				keep = e;
		}
		s = e->start + ptoa(a);
		t = e->start + ptoa(b);
		uvm_unmap(map, s, t);
		believe(p, s, t, false);
		vt_amap_event(w, VT_AMAP_OP_UNMAP, map->map_id, s, b - a, 0);
		if (keep != NULL) {
			/* The entry that remains beside the hole. */
			keep = uvm_map_lookup_entry(map, fwd ? s - PAGE_SIZE :
			    t);
			if (keep != NULL && !keep->shared) {
				uint64_t n = 1 + vt_worker_rand_below(w, b - a);
				vaddr_t gs = fwd ? s : t - ptoa(n);

				rc = vt_map_extend(map, keep, ptoa(n), fwd,
				    vt_worker_chance(w, 50));
				if (rc == 0)
					believe(p, gs, gs + ptoa(n), true);
				vt_amap_event(w, VT_AMAP_OP_EXTEND,
				    map->map_id, gs, n, rc);
			}
		}
	} else if (r < 92) {
		/* Grow e forwards or backwards into a hole. */
		bool fwd = vt_worker_chance(w, 50);
		uint32_t n = 1 + (uint32_t)vt_worker_rand_below(w, 16);
		vaddr_t s = fwd ? e->end : e->start - ptoa(n);
		int rc = EINVAL;

		if (!e->shared && e->wired_count == 0 &&
		    (fwd || e->start >= VT_AMAP_VA + ptoa(n)) &&
		    hole(map, s, s + ptoa(n))) {
			rc = vt_map_extend(map, e, ptoa(n), fwd,
			    vt_worker_chance(w, 50));
			if (rc == 0)
				believe(p, s, s + ptoa(n), true);
		}
		vt_amap_event(w, VT_AMAP_OP_EXTEND, map->map_id, s, n, rc);
	} else if (e->aref.ar_amap != NULL) {
		amap_lock(e->aref.ar_amap);
		amap_share_protect(e, VM_PROT_READ);
		amap_unlock(e->aref.ar_amap);
		vt_amap_event(w, VT_AMAP_OP_SHARE_PROTECT, map->map_id,
		    e->start, 0, 0);
	}
	proc_exit(p);
}

/*
 * The page daemon: scan the page "queue" (the frames, from a random one)
 * for an anon page and swap it out; a wired page is only cleaned.  It
 * reaches pages without any map lock, as the kernel's does.
 */
void
vt_amap_pager_op(struct vt_worker *w)
{
	int rc = vt_pageout_scan((pfn_t)vt_worker_rand_below(w, vt_npages),
	    256);

	if (rc < 0)
		vt_worker_yield();
	vt_amap_event(w, VT_AMAP_OP_PAGEOUT, 0, 0, 0, rc);
}

void
vt_amap_swapoff_op(struct vt_worker *w)
{
	int n = vt_swap_nslots();
	int len = MAX(1, n / 4);
	int s = 1 + (int)vt_worker_rand_below(w, (uint64_t)(n - len + 1));
	boolean_t rv;

	mutex_enter(&W.w_swap_syscall_lock);
	vt_swap_disable(s, s + len);
	rv = amap_swap_off(s, s + len);
	vt_swap_enable();
	mutex_exit(&W.w_swap_syscall_lock);
	vt_amap_event(w, VT_AMAP_OP_SWAP_OFF, 0, (uint64_t)s, (uint64_t)len,
	    rv);
}

int
vt_amap_world_setup(const struct vt_config *c, char *err, size_t errlen)
{
	const struct vt_amap_opts *o = vt_amap_opts_c(c);

	(void) err;
	(void) errlen;
	memset(&W, 0, sizeof (W));
	W.w_nproc = o->procs;
	W.w_va_pages = o->va_pages;
	W.w_proc = calloc(W.w_nproc, sizeof (struct vt_amap_proc));
	if (W.w_proc == NULL)
		vt_fail("harness", "out of memory for %u processes", o->procs);
	mutex_init(&W.w_table_lock, "amap_proc_table", MUTEX_DEFAULT, NULL);
	mutex_init(&W.w_swap_syscall_lock, "swap_syscall_lock", MUTEX_DEFAULT,
	    NULL);
	for (uint32_t i = 0; i < W.w_nproc; i++) {
		struct vt_amap_proc *p = &W.w_proc[i];

		rw_init(&p->p_map.map_as.a_lock, "vm_map", 0, NULL);
		p->p_map.map_id = i + 1;
		p->p_map.map_as.a_id = 100 + i;
		p->p_belief = calloc(W.w_va_pages, sizeof (uint64_t));
		p->p_known = calloc(W.w_va_pages, 1);
		if (p->p_belief == NULL || p->p_known == NULL)
			vt_fail("harness", "out of memory for beliefs");
	}
	W.w_up = true;
	return (0);
}

void
vt_amap_world_teardown(void)
{
	for (uint32_t i = 0; i < W.w_nproc; i++) {
		struct vt_amap_proc *p = &W.w_proc[i];

		if (VT_PEEK(p->p_state) == VT_PROC_LIVE) {
			vm_map_lock(&p->p_map);
			proc_teardown(p);
			VT_POKE(p->p_state, VT_PROC_FREE);
			vm_map_unlock(&p->p_map);
		}
	}
	/* Everything must be gone now (no anon or amap leaks). */
	if (VT_PEEK(vt_anon_live) != 0)
		vt_fail("anon-leak", "%" PRIu64 " anons still allocated after "
		    "every process exited", VT_PEEK(vt_anon_live));
	if (VT_PEEK(vt_amap_live) != 0 || vt_amap_list_first() != NULL)
		vt_fail("amap-list", "%" PRIu64 " amaps still allocated after "
		    "every process exited (amap_list %s)",
		    VT_PEEK(vt_amap_live), vt_amap_list_first() != NULL ?
		    "not empty" : "empty");
	if (VT_PEEK(vt_vm_pages_live) != 0 || vt_swap_used() != 0)
		vt_fail("anon-leak", "%" PRIu64 " pages and %" PRIu64 " swap "
		    "slots still in use after every process exited",
		    VT_PEEK(vt_vm_pages_live), vt_swap_used());
	for (uint32_t i = 0; i < W.w_nproc; i++) {
		struct vt_amap_proc *p = &W.w_proc[i];

		rw_destroy(&p->p_map.map_as.a_lock);
		free(p->p_belief);
		free(p->p_known);
	}
	mutex_destroy(&W.w_table_lock);
	mutex_destroy(&W.w_swap_syscall_lock);
	free(W.w_proc);
	memset(&W, 0, sizeof (W));
}
