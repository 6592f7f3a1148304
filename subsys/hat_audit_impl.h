/*
 * hat_audit_impl.h - what the two halves of the HAT audit share
 * (hat_audit.c: hats, tables, busy counts and the driver;
 * hat_audit_lists.c: the hment hash, mapping lists, reserves and
 * counters).  The walk's records and maps; nothing here is for others.
 */
#ifndef VT_SUBSYS_HAT_AUDIT_IMPL_H
#define VT_SUBSYS_HAT_AUDIT_IMPL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hat_audit.h"
#include "../stress/audit.h"
#include "../stress/objmap.h"
#include "../core/hat.h"
#include "../core/hment.h"
#include "../core/htable.h"
#include "../core/page.h"
#include "../core/sys.h"

/* Object identity as a map key. */
#define PKEY(p)	((uint64_t)(uintptr_t)(p))

/* Growable arrays. */
#define VEC_PUSH(arr, n, cap, item) do { \
	if ((n) == (cap)) { \
		size_t nc_ = (cap) ? (cap) * 2 : 64; \
		void *np_ = realloc((arr), nc_ * sizeof (*(arr))); \
		if (np_ == NULL) \
			panic("audit: out of memory"); \
		(arr) = np_; \
		(cap) = nc_; \
	} \
	(arr)[(n)++] = (item); \
} while (0)


/* -------------------------------------------------------- audit state */

enum { WHERE_HASHED = 1, WHERE_CACHED = 2, WHERE_RESERVE = 3 };

/* One htable met in the walk. */
struct trec {
	htable_t	*ht;
	hat_t		*hat;		/* hat whose hash/cache holds it; NULL: reserve */
	uint8_t		where;		/* WHERE_* */
	uint8_t		frame_ok;	/* its frame can be read as a page table */
	uint32_t	bucket;		/* hash bucket (hashed only) */
	uint32_t	children;	/* hashed tables with ht_parent == ht */
	uint32_t	sharers;	/* SHARED_PFN tables with ht_shares == ht */
};

/* A valid consistent leaf PTE: must be on exactly one mapping list. */
struct expect {
	uint32_t	rec;		/* table (index into recs) */
	uint16_t	entry;
	uint8_t		matched;
	pfn_t		pfn;
	x86pte_t	pte;
};

/* One hment met in the hment hash. */
struct hrec {
	hment_t		*hm;
	uint32_t	bucket;		/* first bucket it was seen in */
	uint32_t	count;		/* times seen */
	uint8_t		listed;
};

struct audit {
	struct vt_audit_result *r;

	hat_t		**hats;		/* kernel hat first, then the list */
	size_t		nhats, hats_cap;

	struct trec	*recs;
	size_t		nrecs, recs_cap;
	struct vt_objmap	tmap;		/* htable_t* -> rec index */
	struct vt_objmap	vmap;		/* (hat, vaddr, level) -> rec index (hashed) */
	uint64_t	nhashed, ncached, nreserve_ht, nlimbo;

	uint32_t	*frame_owner;	/* pfn -> rec index + 1 (0: none) */
	uint64_t	owned_frames;	/* frames owned by non-shared tables */

	struct expect	*exp;
	size_t		nexp, exp_cap;
	struct vt_objmap	emap;		/* (htable_t*, entry) -> expect index */

	struct hrec	*hrecs;
	size_t		nhrecs, hrecs_cap;
	struct vt_objmap	hmap;		/* hment_t* in the hash -> hrec index */
	struct vt_objmap	lmap;		/* hment_t* on some list -> pfn (low 32) */
	uint64_t	nlisted;
	uint64_t	bucket_visits;	/* hments visited in the current bucket */
	uint64_t	bucket_limit;	/* more than this: the bucket loops */
	jmp_buf		bucket_escape;
};


#define PTE_NOREFMOD(p)	((p) & ~(x86pte_t)(PT_REF | PT_MOD))
#define NPTES		512u

/* Count a violation of c; the first one's message is kept. */
void vt_hat_audit_viol(struct audit *a, enum vt_hat_check c,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "hat 3 ht 17 L0 va 0x200000" for a table the walk knows. */
const char *vt_hat_audit_tname(const htable_t *ht, char *buf, size_t len);
/* The walk's record of ht, or NULL. */
struct trec *vt_hat_audit_rec_of(struct audit *a, const htable_t *ht);
bool vt_hat_audit_pfn_ok(pfn_t pfn);
x86pte_t *vt_hat_audit_ptes(const htable_t *ht);

/* Steps 5-8 (hat_audit_lists.c). */
void vt_hat_audit_hment_hash(struct audit *a);
void vt_hat_audit_pages(struct audit *a);
void vt_hat_audit_unlisted(struct audit *a);
void vt_hat_audit_hash_extra(struct audit *a);
void vt_hat_audit_hment_reserve(struct audit *a);
void vt_hat_audit_htable_conserve(struct audit *a);
void vt_hat_audit_frames(struct audit *a);

#endif /* VT_SUBSYS_HAT_AUDIT_IMPL_H */
