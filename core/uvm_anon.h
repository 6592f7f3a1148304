/*
 * uvm_anon.h - what uvm_amap.c needs around it: anons (struct vm_anon,
 * uvm_analloc, uvm_anfree, uvm_anon_pagein), a vm_page side table indexed
 * by pfn over the simulated machine's frames (uvm_pagealloc, uvm_pagecopy,
 * PG_BUSY / PG_WANTED / PG_RELEASED), a simulated swap area with real page
 * contents, and pmap_page_protect through the HAT (digest §7.3, §7.6).
 *
 * Locks: an_lock protects an anon and the flags, swap slot and wiring of
 * the page it owns; uvm_swap_lock (leaf) the swap allocator.  Order: amap
 * lock -> an_lock -> page lock (SE_EXCL in pmap_page_protect) -> HAT.
 */
#ifndef VT_CORE_UVM_ANON_H
#define VT_CORE_UVM_ANON_H

#include "sys.h"
#include "page.h"
#include "uvm_amap.h"

struct vm_page;

/* Port of struct vm_anon (2005 flat layout, digest §7.3). */
struct vm_anon {
	int		an_ref;		/* an_lock */
	kmutex_t	an_lock;
	struct vm_page	*an_page;	/* an_lock; amap_share_protect: VT_RACY */
	int		an_swslot;	/* an_lock; 0 = none */
	uint32_t	an_id;		/* PORT: identity for reports; immutable */
};

/* Page flags (digest §7.6). */
#define PG_BUSY		0x0001
#define PG_WANTED	0x0002
#define PG_CLEAN	0x0008
#define PG_RELEASED	0x0020
#define PG_FAKE		0x0040

/*
 * The vm_page side table entry of frame pg_pfn (core/page.h stays
 * untouched).  Fields are protected by the owning anon's an_lock.
 */
struct vm_page {
	int		flags;		/* an_lock of uanon */
	int		loan_count;	/* always 0: PORT: no loans */
	int		wire_count;	/* an_lock of uanon */
	struct vm_anon	*uanon;		/* an_lock; NULL when free */
	kmutex_t	pg_mtx;		/* the sleep lock of PG_WANTED waiters */
	kcondvar_t	pg_cv;		/* PG_WANTED sleepers; pg_mtx */
	uint64_t	pg_busygen;	/* un-busy count; pg_mtx */
	pfn_t		pg_pfn;		/* immutable */
	bool		pg_inuse;	/* allocated (audit); an_lock */
};

/* Page contents checked by the data check: word 0 and the last word. */
#define VT_PAGE_WORDS	(PAGE_SIZE / sizeof (uint64_t))
uint64_t vt_page_word(struct vm_page *pg);
void vt_page_write(struct vm_page *pg, uint64_t stamp);
/* True if the page is intact (first and last words agree). */
bool vt_page_intact(struct vm_page *pg);

/* The side table (vt_uvm_init), [vt_npages]. */
extern struct vm_page *vt_vm_pages;
static inline page_t *
vt_vm_page_pp(struct vm_page *pg)
{
	return (page_numtopp_nolock(pg->pg_pfn));
}

struct vm_anon *uvm_analloc(void);
void uvm_anfree(struct vm_anon *anon);
boolean_t uvm_anon_pagein(struct vm_anon *anon);
/* Port of uvm_anon_dropswap (an_lock held). */
void uvm_anon_dropswap(struct vm_anon *anon);

struct vm_page *uvm_pagealloc(void *obj, vaddr_t off, struct vm_anon *anon,
    int flags);
void uvm_pagefree(struct vm_page *pg);
void uvm_pagecopy(struct vm_page *src, struct vm_page *dst);
/* Clear PG_BUSY and wake PG_WANTED sleepers (an_lock held). */
void uvm_page_unbusy(struct vm_page *pg);
/*
 * Port of UVM_UNLOCK_AND_WAIT(pg, slock): sleep until pg is un-busied,
 * dropping slock (the owner's an_lock).  Returns holding nothing and
 * never touches the anon again (it may be freed meanwhile).
 */
void uvm_unlock_and_wait(struct vm_page *pg, kmutex_t *slock);
/* Port of uvm_wait: sleep until memory may be free (PORT: a yield). */
void uvm_wait(const char *msg);
void pmap_page_protect(struct vm_page *pg, vm_prot_t prot);
/*
 * pmap_destroy: hat_free_end once no pmap_page_protect is inside the HAT.
 * PORT: NetBSD's pmap keeps its pv-list walkers and pmap_destroy apart
 * with its own locks; the illumos HAT relies on as_free having locked
 * every page, which a NetBSD-style caller does not do, so vt_pmap_lock
 * (reader in pmap_page_protect, writer here) stands in.  The hat's
 * mappings are all unloaded (hat_free_start and hat_unload done).
 */
struct hat;
void vt_pmap_destroy(struct hat *hat);

/*
 * Simulated swap: slots 1..nslots each hold a page's contents.  Slots in
 * a range being swapped off are not handed out (swap_off disables the
 * device first).
 */
int vt_swap_alloc(void);		/* 0 if none */
void uvm_swap_free(int slot, int n);
void vt_swap_write(int slot, struct vm_page *pg);
void vt_swap_read(int slot, struct vm_page *pg);
void vt_swap_disable(int start, int end);	/* [start, end) */
void vt_swap_enable(void);
int vt_swap_nslots(void);
bool vt_swap_inuse(int slot);		/* audit (world stopped) */
uint64_t vt_swap_used(void);		/* audit */
uint64_t vt_swap_peek(int slot);		/* word 0 of a slot (audit) */

/*
 * Page in an anon's page at fault time (PORT: synchronous, under an_lock,
 * the uvmfault_anonget I/O without its unlocked window).  Returns the page
 * or NULL for lack of memory.
 */
struct vm_page *vt_anon_fault_pagein(struct vm_anon *anon);
/*
 * The page daemon's swap-out of one anon page (an_lock held on entry,
 * released as side effect; the page is busy while its contents are
 * written).  Returns true if the page was swapped out.
 */
bool vt_anon_pageout(struct vm_anon *anon);
int vt_pageout_scan(pfn_t pfn, uint32_t n);

void vt_uvm_init(uint32_t swap_slots);
void vt_uvm_fini(void);
extern uint64_t vt_anon_live;		/* anons allocated, not freed; atomics */
extern uint64_t vt_vm_pages_live;	/* pages owned by anons; atomics */

#endif /* VT_CORE_UVM_ANON_H */
