/*
 * hment.h - x86 HAT mapping lists (port of i86pc/vm/hment.c and hment.h).
 *
 * Both seed revisions live in hment.c and are chosen at boot:
 *   HMENT_REV_2007_AVL   - hash of balanced trees (PORT: <bsd/sys/tree.h>
 *                          red-black trees stand in for illumos AVL trees)
 *   HMENT_REV_2006_CHAIN - hash chains, hat_reserves_thread reserve rule
 * Protection: a page's mapping list (p_mapping/p_embed/p_share/p_mlentry and
 * hm_next/hm_prev of its hments) by the page's mlist lock (x86_hm_enter);
 * each hash bucket by hash_lock[bucket]; the reserve by hment_reserve_mutex.
 */
#ifndef VT_CORE_HMENT_H
#define VT_CORE_HMENT_H

#include <bsd/sys/tree.h>

#include "sys.h"
#include "page.h"
#include "htable.h"
#include "../locks/locktable.h"

enum { HMENT_REV_2007_AVL = 0, HMENT_REV_2006_CHAIN = 1 };

typedef struct hment {
	RB_ENTRY(hment)	hm_hashlink;	/* 2007: bucket tree links; hash_lock */
	struct hment	*hm_hashnext;	/* 2006: bucket chain link; hash_lock */
	struct hment	*hm_next;	/* page's mapping list; mlist lock */
	struct hment	*hm_prev;	/* page's mapping list; mlist lock */
	htable_t	*hm_htable;	/* mapping's table; mlist lock */
	pfn_t		hm_pfn;		/* mapped page; mlist lock */
	uint16_t	hm_entry;	/* PTE index in hm_htable; mlist lock */
	uint16_t	hm_pad;
	uint32_t	hm_pad2;
} hment_t;

RB_HEAD(hment_tree, hment);

/* One bucket of the system-wide hash: the revision in force uses one member. */
struct hment_bucket {
	struct hment_tree hb_tree;	/* 2007 */
	hment_t		*hb_chain;	/* 2006 */
};

#define HMENT_EMBEDDED	((hment_t *)(uintptr_t)1)

/* Tunables and state (kernel names). */
extern int		hment_revision;		/* immutable after hment_init */
extern uint_t		hment_reserve_amount;
extern kmutex_t		hment_reserve_mutex;
extern uint_t		hment_reserve_count;	/* racy reads */
extern hment_t		*hment_reserve_pool;
extern kmem_cache_t	*hment_cache;
extern uint_t		hment_hash_entries;	/* HMENT_HASH_SIZE */
extern struct hment_bucket *hment_table;
extern struct vt_lock_class *mlist_lock;	/* MLIST_NUM_LOCK */
extern struct vt_lock_class *hash_lock;		/* HASH_NUM_LOCK */
/* 2006 rule: the one thread allowed to use the reserves (NULL: none). */
extern kthread_t	*hat_reserves_thread;

/* Sizes are powers of two (validated by the caller). */
void hment_init(int revision, uint32_t hash_size, uint32_t mlist_locks,
    uint32_t hash_locks);
void hment_fini(void);

uint32_t vt_hment_hash(pfn_t ptable_pfn, uint_t entry);	/* HMENT_HASH */
kmutex_t *vt_mlist_mutex(const page_t *pp);		/* MLIST_MUTEX */

int x86_hm_held(page_t *pp);
/* Takes / drops the mlist lock of pp. */
void x86_hm_enter(page_t *pp);
void x86_hm_exit(page_t *pp);

/* mlist lock held on entry and on return; may drop and retake it. */
hment_t *hment_prepare(htable_t *ht, uint_t entry, page_t *pp);
void hment_assign(htable_t *ht, uint_t entry, page_t *pp, hment_t *hm);
hment_t *hment_walk(page_t *pp, htable_t **ht, uint_t *entry, hment_t *prev);
hment_t *hment_remove(page_t *pp, htable_t *ht, uint_t entry);
/* No mlist lock held (may take the reserve mutex / call kmem). */
void hment_free(hment_t *hm);
void hment_reserve(uint_t count);
void hment_adjust_reserve(void);
uint_t hment_mapcnt(page_t *pp);

/* Audit helpers (world stopped): visit every hment in bucket idx. */
typedef void (*vt_hment_visit_t)(hment_t *hm, uint32_t bucket, void *arg);
void vt_hment_bucket_foreach(uint32_t idx, vt_hment_visit_t fn, void *arg);

#endif /* VT_CORE_HMENT_H */
