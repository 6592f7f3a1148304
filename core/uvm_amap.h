/*
 * uvm_amap.h - NetBSD UVM anonymous memory maps (uvm_amap.c v1.62, 2005):
 * struct vm_amap and vm_aref, the AMAP_* constants, the entry points of
 * uvm_amap.c and of the 2005 uvm_amap_i.h (digest §7.1, §7.2, §7.4), the
 * simulated malloc/pool the seed allocates from, and the amap counters.
 *
 * Lock order (digest §7.6): map lock -> amap lock (am_l) -> anon lock
 * (an_lock) -> page lock -> HAT locks; amap lock -> amap_list_lock.
 */
#ifndef VT_CORE_UVM_AMAP_H
#define VT_CORE_UVM_AMAP_H

#include "sys.h"

typedef uintptr_t	vaddr_t;
typedef uintptr_t	vsize_t;
typedef int		vm_prot_t;

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1 << PAGE_SHIFT)
#define atop(x)		((vaddr_t)(x) >> PAGE_SHIFT)
#define ptoa(x)		((vaddr_t)(x) << PAGE_SHIFT)

#define VM_PROT_NONE	0x0
#define VM_PROT_READ	0x1
#define VM_PROT_WRITE	0x2

struct vm_anon;
struct vm_map;
struct vm_map_entry;

/* Port of sys/queue.h LIST_ENTRY: le_prev is the previous next-pointer. */
struct vt_amap_link {
	struct vm_amap	*le_next;
	struct vm_amap	**le_prev;
};

/*
 * Port of struct vm_amap (uvm_amap.h 2005 layout, digest §7.1).
 * Invariants: am_anon[X] != NULL implies am_slots[am_bckptr[X]] == X;
 * am_slots[0..am_nused) is packed.
 */
struct vm_amap {
	kmutex_t	am_l;		/* the amap lock: every field below */
	int		am_ref;		/* am_l; amap_copy peeks unlocked (VT_RACY) */
	int		am_flags;	/* am_l; uvmspace_fork reads it unlocked (VT_RACY) */
	int		am_maxslot;	/* am_l */
	int		am_nslot;	/* am_l */
	int		am_nused;	/* am_l */
	int		*am_slots;	/* am_l */
	int		*am_bckptr;	/* am_l */
	struct vm_anon	**am_anon;	/* am_l */
	int		*am_ppref;	/* am_l; NULL, PPREF_NONE or the chunks */
	struct vt_amap_link am_list;	/* amap_list_lock */
	uint32_t	am_id;		/* PORT: identity for reports; immutable */
	bool		am_marker;	/* PORT: a swap-off marker; immutable */
};

/* Port of struct vm_aref (digest §7.3).  Map lock. */
struct vm_aref {
	int		ar_pageoff;	/* first slot of the amap this entry uses */
	struct vm_amap	*ar_amap;
};

#define AMAP_SHARED		0x1
#define AMAP_REFALL		0x2
#define AMAP_SWAPOFF		0x4

#define AMAP_EXTEND_BACKWARDS	0x00
#define AMAP_EXTEND_FORWARDS	0x01
#define AMAP_EXTEND_NOWAIT	0x02

#define UVM_AMAP_LARGE		256
#define UVM_AMAP_CHUNK		16
#define PPREF_NONE		((int *)-1)

#define AMAP_B2SLOT(S, B) do { \
	ASSERT(((B) & (PAGE_SIZE - 1)) == 0); \
	(S) = (int)((B) >> PAGE_SHIFT); \
} while (0)

#define amap_flags(A)	((A)->am_flags)
#define amap_refs(A)	((A)->am_ref)

/* The lock of the amap (functions, so no macro takes a lock). */
void amap_lock(struct vm_amap *amap);
void amap_unlock(struct vm_amap *amap);
int amap_lock_try(struct vm_amap *amap);

/* Simulated kernel malloc(9) and pool(9) (digest §7.6). */
#define M_WAITOK	0x0000
#define M_NOWAIT	0x0001
#define M_CANFAIL	0x0004
#define PR_WAITOK	0x0002
void *vt_uvm_malloc(size_t size, int flags);
void vt_uvm_free(void *p);
size_t malloc_roundup(size_t size);
/* Injected failure probabilities (ppm); set at boot, read-only after. */
struct vt_uvm_faults {
	uint32_t	malloc_ppm;	/* M_NOWAIT / M_CANFAIL malloc */
	uint32_t	pool_ppm;	/* pool_get without PR_WAITOK */
	uint32_t	pagealloc_ppm;	/* uvm_pagealloc */
};
extern struct vt_uvm_faults vt_uvm_faults;
/* True when an injected failure hits (per-thread PRNG). */
bool vt_uvm_fault_hit(uint32_t ppm);

/*
 * Candidate fixes of the findings (doc/amap.md), --amap-fix; set at boot.
 */
#define VT_AMAP_FIX_ALLOC_NULL		0x1
#define VT_AMAP_FIX_EXTEND_WIPE		0x2
#define VT_AMAP_FIX_SWAPOFF_RESTART	0x4
#define VT_AMAP_FIX_COWNOW_RESTART	0x8
extern uint32_t vt_amap_fixes;

/* uvm_amap.c */
struct vm_amap *amap_alloc(vaddr_t sz, vaddr_t padsz, int waitf);
void amap_free(struct vm_amap *amap);
int amap_extend(struct vm_map_entry *entry, vsize_t addsize, int flags);
void amap_share_protect(struct vm_map_entry *entry, vm_prot_t prot);
void amap_wipeout(struct vm_amap *amap);
void amap_copy(struct vm_map *map, struct vm_map_entry *entry, int waitf,
    boolean_t canchunk, vaddr_t startva, vaddr_t endva);
void amap_cow_now(struct vm_map *map, struct vm_map_entry *entry);
void amap_splitref(struct vm_aref *origref, struct vm_aref *splitref,
    vaddr_t offset);
void amap_pp_establish(struct vm_amap *amap, vaddr_t offset);
void amap_pp_adjref(struct vm_amap *amap, int curslot, vsize_t slotlen,
    int adjval);
void amap_wiperange(struct vm_amap *amap, int slotoff, int slots);
boolean_t amap_swap_off(int startslot, int endslot);
/* The ppref encoding (exported for the unit test). */
void pp_getreflen(int *ppref, int offset, int *refp, int *lenp);
void pp_setreflen(int *ppref, int offset, int ref, int len);

/* uvm_amap_i.h (uvm_amap_i.c) */
struct vm_anon *amap_lookup(struct vm_aref *aref, vaddr_t offset);
void amap_lookups(struct vm_aref *aref, vaddr_t offset,
    struct vm_anon **anons, int npages);
void amap_add(struct vm_aref *aref, vaddr_t offset, struct vm_anon *anon,
    boolean_t replace);
void amap_unadd(struct vm_aref *aref, vaddr_t offset);
void amap_ref(struct vm_amap *amap, vaddr_t offset, vsize_t len, int flags);
void amap_unref(struct vm_amap *amap, vaddr_t offset, vsize_t len,
    boolean_t all);

/* Boot / teardown of the amap module (the list, the counters). */
void vt_amap_init(uint32_t nthreads);
void vt_amap_fini(void);
/* Internal to the amap files (uvm_amap_sys.c, uvm_amap_list.c). */
void vt_amap_sys_init(uint32_t nthreads);
void vt_amap_sys_fini(void);
void vt_amap_list_init(void);
void vt_amap_list_fini(void);
struct vm_amap *vt_amap_pool_get(int prflags);
void vt_amap_pool_put(struct vm_amap *am);
void amap_list_insert(struct vm_amap *amap);
void amap_list_remove(struct vm_amap *amap);
/* The global amap list, for the audit (world stopped). */
struct vm_amap *vt_amap_list_first(void);
struct vm_amap *vt_amap_list_next(struct vm_amap *am);
extern uint64_t vt_amap_live;		/* amaps allocated, not freed; atomics */

/*
 * Counters (PORT: the seed has UVMHIST logs only), one set per kthread
 * (indexed by t_id), summed for reports.
 */
#define VT_AMAPSTATS(X) \
	X(amap_alloc) X(amap_alloc_fail) X(amap_free) \
	X(extend_1f) X(extend_1b) X(extend_2f) X(extend_2b) X(extend_3f) \
	X(extend_3b) X(extend_e2big) X(extend_enomem) \
	X(copy_new) X(copy_takeover_peek) X(copy_takeover_locked) \
	X(copy_copied) X(copy_fail) X(copy_chunked) \
	X(cow_now) X(cow_now_copies) X(cow_now_busy_restart) \
	X(cow_now_oom_restart) \
	X(splitref) X(pp_establish) X(pp_establish_none) X(pp_adjref) \
	X(wiperange) X(wipeout) X(wipeout_deferred) X(share_protect) \
	X(swapoff_calls) X(swapoff_lock_try_fail) X(swapoff_pageins) \
	X(swapoff_wipeouts) X(swapoff_fail) \
	X(anon_alloc) X(anon_free) X(anon_free_released) \
	X(page_alloc) X(page_alloc_fail) X(page_copy) X(page_protect) \
	X(pageouts) X(pageout_aborts) X(fault_pageins) X(page_busy_waits) \
	X(fault_restarts) X(fault_enomem)

struct amapstats {
#define VT_AMAPSTAT_MEMBER(f)	uint64_t f;
	VT_AMAPSTATS(VT_AMAPSTAT_MEMBER)
#undef VT_AMAPSTAT_MEMBER
};
enum {
#define VT_AMAPSTAT_COUNT(f)	VT_AMAPSTAT_IDX_##f,
	VT_AMAPSTATS(VT_AMAPSTAT_COUNT)
#undef VT_AMAPSTAT_COUNT
	VT_AMAPSTAT_FIELDS
};
extern struct amapstats *vt_amapstats;	/* [vt_amapstats_n] */
extern uint32_t vt_amapstats_n;
extern const char *const vt_amapstat_names[VT_AMAPSTAT_FIELDS];
void vt_amapstats_sum(uint64_t out[VT_AMAPSTAT_FIELDS]);
#define AMAPSTAT_INC(x)	((void)vt_amapstats[curthread->t_id].x++)

#endif /* VT_CORE_UVM_AMAP_H */
