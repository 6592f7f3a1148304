/*
 * audit.c - the stop-the-world invariant audit (DESIGN §5.2).
 *
 * Harness code, not a port.  vt_audit_run() is called while every worker is
 * parked at a safe point: no HAT lock is held and no operation is half done.
 * The park barrier orders every earlier store before our loads, so plain
 * reads are correct; fields that the port declares atomic or racy are read
 * with VT_PEEK anyway (relaxed, no schedule point) so ThreadSanitizer sees
 * atomic-vs-atomic accesses only.  The audit takes no locks and changes
 * nothing in the HAT state.
 *
 * The walk, in order (each step records what later steps need):
 *   1. the hat list (kernel hat as anchor, then vt_hat_first/vt_hat_next);
 *   2. every hat's hash buckets, its hat_ht_cached list, the htable reserve;
 *   3. every hashed/cached table: frame tag and ownership, parent PTP, and a
 *      scan of its 512 PTEs (valid count, PTP -> child, leaf frames, the set
 *      of consistent leaf mappings that must be listed);
 *   4. ht_busy of every hashed table;
 *   5. the hment hash (vt_hment_bucket_foreach over every bucket);
 *   6. every page's mapping list (embedded entry or hment chain);
 *   7. listed <-> PTE matching, hash membership both ways;
 *   8. reserves and kmem conservation, freemem and active_ptables.
 * Lookups use private hash maps keyed by object address; the maps only
 * answer membership questions, so nothing reported depends on heap
 * addresses: messages name hats, tables and pages by hat_id, ht_id, level,
 * vaddr, entry and pfn.
 *
 * The audit keeps going after a violation; r->violations counts them all and
 * r->first/r->msg describe the first one met in the walk order above.
 */
#include "audit.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/sys.h"
#include "../core/hat.h"
#include "../core/htable.h"
#include "../core/hment.h"
#include "../core/page.h"

/* ---------------------------------------------------------------- names */

static const char *const check_names[VT_AUDIT_NCHECKS] = {
#define VT_AUDIT_NAME(id, name, desc) name,
	VT_AUDIT_CHECKS(VT_AUDIT_NAME)
#undef VT_AUDIT_NAME
};

static const char *const check_descs[VT_AUDIT_NCHECKS] = {
#define VT_AUDIT_DESC(id, name, desc) desc,
	VT_AUDIT_CHECKS(VT_AUDIT_DESC)
#undef VT_AUDIT_DESC
};

const char *
vt_audit_check_name(enum vt_audit_check c)
{
	if ((unsigned)c >= VT_AUDIT_NCHECKS)
		return ("unknown");
	return (check_names[c]);
}

const char *
vt_audit_check_desc(enum vt_audit_check c)
{
	if ((unsigned)c >= VT_AUDIT_NCHECKS)
		return ("unknown check");
	return (check_descs[c]);
}

/* ------------------------------------------------------ small hash map */

/*
 * Open-addressing map from a three-word key to a 32-bit value.  Used with
 * (pointer, 0, 0) keys for object identity and with (hat, vaddr, level) or
 * (table, entry, 0) keys for lookups.  Memory comes from malloc, never from
 * the simulated kmem, so the audit does not disturb the counters it checks.
 */
struct amap_slot {
	uint64_t	k0, k1, k2;
	uint32_t	val;
	uint32_t	used;
};

struct amap {
	struct amap_slot *slots;
	size_t		cap;		/* power of two */
	size_t		n;
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (x);
}

static size_t
amap_hash(uint64_t k0, uint64_t k1, uint64_t k2)
{
	return ((size_t)mix64(k0 ^ mix64(k1 ^ mix64(k2 + 0x9e3779b97f4a7c15ULL))));
}

static void
amap_init(struct amap *m, size_t hint)
{
	size_t cap = 64;

	while (cap < hint * 2)
		cap <<= 1;
	m->slots = calloc(cap, sizeof (*m->slots));
	if (m->slots == NULL)
		panic("audit: out of memory (%zu map slots)", cap);
	m->cap = cap;
	m->n = 0;
}

static void
amap_fini(struct amap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

static struct amap_slot *
amap_find_slot(struct amap_slot *slots, size_t cap, uint64_t k0, uint64_t k1,
    uint64_t k2)
{
	size_t i = amap_hash(k0, k1, k2) & (cap - 1);

	for (;;) {
		struct amap_slot *s = &slots[i];

		if (!s->used || (s->k0 == k0 && s->k1 == k1 && s->k2 == k2))
			return (s);
		i = (i + 1) & (cap - 1);
	}
}

static void
amap_grow(struct amap *m)
{
	struct amap old = *m;
	size_t i;

	amap_init(m, old.cap);
	for (i = 0; i < old.cap; i++) {
		struct amap_slot *s = &old.slots[i], *d;

		if (!s->used)
			continue;
		d = amap_find_slot(m->slots, m->cap, s->k0, s->k1, s->k2);
		*d = *s;
		m->n++;
	}
	free(old.slots);
}

/* Returns the value stored under the key, or UINT32_MAX if absent. */
static uint32_t
amap_get(const struct amap *m, uint64_t k0, uint64_t k1, uint64_t k2)
{
	struct amap_slot *s = amap_find_slot(m->slots, m->cap, k0, k1, k2);

	return (s->used ? s->val : UINT32_MAX);
}

/*
 * Insert key -> val unless the key is present.  Returns UINT32_MAX if the
 * key was new, else the value already stored (which is kept).
 */
static uint32_t
amap_put(struct amap *m, uint64_t k0, uint64_t k1, uint64_t k2, uint32_t val)
{
	struct amap_slot *s;

	if ((m->n + 1) * 2 > m->cap)
		amap_grow(m);
	s = amap_find_slot(m->slots, m->cap, k0, k1, k2);
	if (s->used)
		return (s->val);
	s->k0 = k0;
	s->k1 = k1;
	s->k2 = k2;
	s->val = val;
	s->used = 1;
	m->n++;
	return (UINT32_MAX);
}

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
	struct amap	tmap;		/* htable_t* -> rec index */
	struct amap	vmap;		/* (hat, vaddr, level) -> rec index (hashed) */
	uint64_t	nhashed, ncached, nreserve_ht;

	uint32_t	*frame_owner;	/* pfn -> rec index + 1 (0: none) */
	uint64_t	owned_frames;	/* frames owned by non-shared tables */

	struct expect	*exp;
	size_t		nexp, exp_cap;
	struct amap	emap;		/* (htable_t*, entry) -> expect index */

	struct hrec	*hrecs;
	size_t		nhrecs, hrecs_cap;
	struct amap	hmap;		/* hment_t* in the hash -> hrec index */
	struct amap	lmap;		/* hment_t* on some list -> pfn (low 32) */
	uint64_t	nlisted;
	uint64_t	bucket_visits;	/* hments visited in the current bucket */
	uint64_t	bucket_limit;	/* more than this: the bucket loops */
	jmp_buf		bucket_escape;
};

static void
viol(struct audit *a, enum vt_audit_check c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
viol(struct audit *a, enum vt_audit_check c, const char *fmt, ...)
{
	va_list ap;

	if (a->r->violations++ != 0)
		return;
	a->r->first = c;
	va_start(ap, fmt);
	(void) vsnprintf(a->r->msg, sizeof (a->r->msg), fmt, ap);
	va_end(ap);
}

/* "hat 3 ht 17 L0 va 0x200000" for a table the walk knows. */
static const char *
tname(const htable_t *ht, char *buf, size_t len)
{
	const hat_t *hat = ht->ht_hat;

	if (hat != NULL)
		(void) snprintf(buf, len, "hat %" PRIu32 " ht %" PRIu64
		    " L%d va 0x%" PRIxPTR, hat->hat_id, ht->ht_id,
		    (int)ht->ht_level, ht->ht_vaddr);
	else
		(void) snprintf(buf, len, "ht %" PRIu64 " L%d va 0x%" PRIxPTR
		    " (no hat)", ht->ht_id, (int)ht->ht_level, ht->ht_vaddr);
	return (buf);
}

static struct trec *
rec_of(struct audit *a, const htable_t *ht)
{
	uint32_t i;

	if (ht == NULL)
		return (NULL);
	i = amap_get(&a->tmap, PKEY(ht), 0, 0);
	return (i == UINT32_MAX ? NULL : &a->recs[i]);
}

static struct trec *
hashed_lookup(struct audit *a, const hat_t *hat, uintptr_t va, level_t l)
{
	uint32_t i = amap_get(&a->vmap, PKEY(hat), va, (uint64_t)(uint8_t)l);

	return (i == UINT32_MAX ? NULL : &a->recs[i]);
}

static bool
pfn_ok(pfn_t pfn)
{
	return (pfn < vt_npages);
}

static x86pte_t *
table_ptes(const htable_t *ht)
{
	return ((x86pte_t *)vt_frame_va(ht->ht_pfn));
}

/* First VA mapped by entry e of ht (htable_e2va's rule, VA hole included). */
static uintptr_t
entry_va(const htable_t *ht, uint_t e)
{
	uintptr_t va = ht->ht_vaddr + ((uintptr_t)e << LEVEL_SHIFT(ht->ht_level));

	if (ht->ht_level == (level_t)mmu.max_level && va >= mmu.hole_start)
		va += (mmu.hole_end - mmu.hole_start) + 1;
	return (va);
}

/* Base VA of the level-l table covering va. */
static uintptr_t
table_base(uintptr_t va, level_t l)
{
	if (l == (level_t)mmu.max_level)
		return (0);
	return (va & LEVEL_MASK(l + 1));
}

#define PTE_NOREFMOD(p)	((p) & ~(x86pte_t)(PT_REF | PT_MOD))
#define NPTES		512u

/* ------------------------------------------------------ 1. hat list */

static void
walk_hats(struct audit *a)
{
	hat_t *khat = kas.a_hat;
	hat_t *hat, *prev = NULL;
	struct amap seen;
	uint16_t fl;

	amap_init(&seen, 64);
	VEC_PUSH(a->hats, a->nhats, a->hats_cap, khat);
	(void) amap_put(&seen, PKEY(khat), 0, 0, 0);
	fl = VT_PEEK(khat->hat_flags);
	if (fl & (HAT_VICTIM | HAT_FREEING))
		viol(a, VT_AUDIT_HAT_LIST, "kernel hat %" PRIu32
		    " has flags 0x%x (VICTIM/FREEING) at rest",
		    khat->hat_id, fl);

	hat = vt_hat_first();
	if (hat != khat->hat_next)
		viol(a, VT_AUDIT_HAT_LIST, "vt_hat_first() disagrees with "
		    "kas.a_hat->hat_next");
	for (; hat != NULL; prev = hat, hat = vt_hat_next(hat)) {
		if (amap_put(&seen, PKEY(hat), 0, 0, 0) != UINT32_MAX) {
			viol(a, VT_AUDIT_HAT_LIST, "hat %" PRIu32 " met twice "
			    "on the hat list (cycle) after hat %" PRIu32,
			    hat->hat_id, prev != NULL ? prev->hat_id : 0);
			break;
		}
		VEC_PUSH(a->hats, a->nhats, a->hats_cap, hat);
		if (hat->hat_prev != prev)
			viol(a, VT_AUDIT_HAT_LIST, "hat %" PRIu32 ": hat_prev "
			    "is not the previous hat on the list (%s%" PRIu32
			    ")", hat->hat_id, prev ? "hat " : "none ",
			    prev ? prev->hat_id : 0);
		if (hat->hat_next != vt_hat_next(hat))
			viol(a, VT_AUDIT_HAT_LIST, "hat %" PRIu32 ": hat_next "
			    "disagrees with vt_hat_next()", hat->hat_id);
		fl = VT_PEEK(hat->hat_flags);
		if (fl & (HAT_VICTIM | HAT_FREEING))
			viol(a, VT_AUDIT_HAT_LIST, "hat %" PRIu32 " has flags "
			    "0x%x (%s) at rest", hat->hat_id, fl,
			    (fl & (HAT_VICTIM | HAT_FREEING)) ==
			    (HAT_VICTIM | HAT_FREEING) ? "VICTIM|FREEING" :
			    (fl & HAT_VICTIM) ? "VICTIM" : "FREEING");
	}
	if (khat->hat_prev != prev)
		viol(a, VT_AUDIT_HAT_LIST, "kas.a_hat->hat_prev is not the "
		    "last hat on the list (%s%" PRIu32 ")",
		    prev ? "hat " : "none ", prev ? prev->hat_id : 0);
	amap_fini(&seen);
}

/* ------------------------------------------- 2. collect the tables */

/* Add ht to the records; returns its index or UINT32_MAX if met before. */
static uint32_t
add_rec(struct audit *a, htable_t *ht, hat_t *hat, uint8_t where,
    uint32_t bucket, uint8_t *prev_where)
{
	struct trec t;
	uint32_t old, idx = (uint32_t)a->nrecs;

	old = amap_put(&a->tmap, PKEY(ht), 0, 0, idx);
	if (old != UINT32_MAX) {
		*prev_where = a->recs[old].where;
		return (UINT32_MAX);
	}
	memset(&t, 0, sizeof (t));
	t.ht = ht;
	t.hat = hat;
	t.where = where;
	t.bucket = bucket;
	VEC_PUSH(a->recs, a->nrecs, a->recs_cap, t);
	a->r->objects++;
	return (idx);
}

static const char *
where_name(uint8_t w)
{
	return (w == WHERE_HASHED ? "a hash chain" :
	    w == WHERE_CACHED ? "a cached list" : "the reserve");
}

static void
walk_hat_tables(struct audit *a, hat_t *hat)
{
	char b1[96], b2[96];
	uint8_t pw;
	uint_t h;
	level_t top = (level_t)mmu.max_level;
	htable_t *ht, *prev;

	if (hat->hat_num_hash == 0 ||
	    (hat->hat_num_hash & (hat->hat_num_hash - 1)) != 0 ||
	    hat->hat_ht_hash == NULL) {
		viol(a, VT_AUDIT_HT_HASHED, "hat %" PRIu32 ": bad hash "
		    "(hat_num_hash %u, table %s)", hat->hat_id,
		    hat->hat_num_hash, hat->hat_ht_hash ? "set" : "NULL");
		return;
	}
	for (h = 0; h < hat->hat_num_hash; h++) {
		prev = NULL;
		for (ht = hat->hat_ht_hash[h]; ht != NULL;
		    prev = ht, ht = ht->ht_next) {
			uint32_t idx = add_rec(a, ht, hat, WHERE_HASHED, h, &pw);
			uint32_t dup;

			if (idx == UINT32_MAX) {
				viol(a, VT_AUDIT_HT_HASHED, "hat %" PRIu32
				    " bucket %u: %s met again (already on %s)",
				    hat->hat_id, h, tname(ht, b1, sizeof (b1)),
				    where_name(pw));
				break;
			}
			a->nhashed++;
			if (ht->ht_prev != prev)
				viol(a, VT_AUDIT_HT_HASHED, "hat %" PRIu32
				    " bucket %u: %s has ht_prev %s, expected %s",
				    hat->hat_id, h, tname(ht, b1, sizeof (b1)),
				    ht->ht_prev == NULL ? "NULL" : "set",
				    prev == NULL ? "NULL" :
				    tname(prev, b2, sizeof (b2)));
			if (ht->ht_hat != hat) {
				viol(a, VT_AUDIT_HT_HASHED, "hat %" PRIu32
				    " bucket %u: table ht %" PRIu64 " has ht_hat"
				    " %s%" PRIu32, hat->hat_id, h, ht->ht_id,
				    ht->ht_hat ? "hat " : "NULL ",
				    ht->ht_hat ? ht->ht_hat->hat_id : 0);
				continue;
			}
			if (ht->ht_level < 0 || ht->ht_level > top) {
				viol(a, VT_AUDIT_HT_HASHED, "%s: level out of "
				    "range", tname(ht, b1, sizeof (b1)));
				continue;
			}
			if (HTABLE_HASH(hat, ht->ht_vaddr, ht->ht_level) != h)
				viol(a, VT_AUDIT_HT_HASHED, "%s: in bucket %u,"
				    " HTABLE_HASH says %u",
				    tname(ht, b1, sizeof (b1)), h,
				    (uint_t)HTABLE_HASH(hat, ht->ht_vaddr,
				    ht->ht_level));
			if (table_base(ht->ht_vaddr, ht->ht_level) !=
			    ht->ht_vaddr)
				viol(a, VT_AUDIT_HT_HASHED, "%s: ht_vaddr not "
				    "aligned for its level",
				    tname(ht, b1, sizeof (b1)));
			dup = amap_put(&a->vmap, PKEY(hat), ht->ht_vaddr,
			    (uint64_t)(uint8_t)ht->ht_level, idx);
			if (dup != UINT32_MAX)
				viol(a, VT_AUDIT_HT_HASHED, "%s: a second "
				    "table (ht %" PRIu64 ") is hashed for the "
				    "same vaddr and level",
				    tname(ht, b1, sizeof (b1)),
				    a->recs[dup].ht->ht_id);
		}
	}

	/* The top-level table. */
	ht = hat->hat_htable;
	{
		struct trec *t = rec_of(a, ht);

		if (t == NULL || t->where != WHERE_HASHED || t->hat != hat ||
		    ht->ht_level != top || ht->ht_vaddr != 0)
			viol(a, VT_AUDIT_HT_HASHED, "hat %" PRIu32 ": hat_htable"
			    " is %s", hat->hat_id, ht == NULL ? "NULL" :
			    "not a hashed top-level table of this hat at va 0");
	}

	/* The cached list (free tables that keep their page table). */
	for (ht = VT_PEEK(hat->hat_ht_cached); ht != NULL; ht = ht->ht_next) {
		uint32_t idx = add_rec(a, ht, hat, WHERE_CACHED, 0, &pw);

		if (idx == UINT32_MAX) {
			viol(a, pw == WHERE_HASHED ? VT_AUDIT_HT_HASHED :
			    VT_AUDIT_HTABLE_CONSERVE, "hat %" PRIu32 ": cached "
			    "table ht %" PRIu64 " is also on %s", hat->hat_id,
			    ht->ht_id, where_name(pw));
			break;
		}
		a->ncached++;
		if (ht->ht_hat != hat)
			viol(a, VT_AUDIT_HTABLE_CONSERVE, "hat %" PRIu32
			    ": cached table ht %" PRIu64 " belongs to %s%" PRIu32,
			    hat->hat_id, ht->ht_id, ht->ht_hat ? "hat " :
			    "no hat ", ht->ht_hat ? ht->ht_hat->hat_id : 0);
	}
}

static void
walk_htable_reserve(struct audit *a)
{
	htable_t *ht;
	uint8_t pw;
	uint64_t n = 0;
	uint_t cnt = VT_PEEK(htable_reserve_cnt);

	for (ht = htable_reserve_pool; ht != NULL; ht = ht->ht_next) {
		if (add_rec(a, ht, NULL, WHERE_RESERVE, 0, &pw) ==
		    UINT32_MAX) {
			viol(a, pw == WHERE_HASHED ? VT_AUDIT_HT_HASHED :
			    VT_AUDIT_HTABLE_CONSERVE, "htable reserve: ht %"
			    PRIu64 " is also on %s", ht->ht_id,
			    where_name(pw));
			break;
		}
		n++;
		if (ht->ht_pfn != PFN_INVALID)
			viol(a, VT_AUDIT_FRAME_TAG, "htable reserve: ht %"
			    PRIu64 " still owns frame pfn %" PRIu64,
			    ht->ht_id, (uint64_t)ht->ht_pfn);
	}
	a->nreserve_ht = n;
	if (n != cnt)
		viol(a, VT_AUDIT_RESERVE_CNT, "htable_reserve_cnt is %u but "
		    "the reserve list holds %" PRIu64 " tables", cnt, n);
}

/* ------------------------------------------------- 3. table contents */

/* Frame tag and single ownership of a (non-shared) table's frame. */
static void
check_frame(struct audit *a, uint32_t idx)
{
	struct trec *t = &a->recs[idx];
	htable_t *ht = t->ht;
	char b1[96], b2[96];
	uint8_t tag;

	if (!pfn_ok(ht->ht_pfn)) {
		viol(a, VT_AUDIT_FRAME_TAG, "%s: ht_pfn %" PRIu64 " is not a "
		    "frame", tname(ht, b1, sizeof (b1)),
		    (uint64_t)ht->ht_pfn);
		return;
	}
	if (ht->ht_level < 0 || ht->ht_level >= MAX_NUM_LEVEL)
		return;			/* reported by the hash walk */
	t->frame_ok = 1;
	tag = VT_PEEK(vt_frame_tag[ht->ht_pfn]);
	if (tag != VT_FRAME_PT + ht->ht_level)
		viol(a, VT_AUDIT_FRAME_TAG, "%s: frame pfn %" PRIu64
		    " is tagged %u, expected %u (page table L%d)%s",
		    tname(ht, b1, sizeof (b1)), (uint64_t)ht->ht_pfn, tag,
		    (unsigned)(VT_FRAME_PT + ht->ht_level), (int)ht->ht_level,
		    tag == VT_FRAME_FREE ? ": a free frame in use" : "");
	if (a->frame_owner[ht->ht_pfn] != 0) {
		struct trec *o = &a->recs[a->frame_owner[ht->ht_pfn] - 1];

		viol(a, VT_AUDIT_FRAME_TAG, "frame pfn %" PRIu64 " is owned "
		    "by both %s and %s", (uint64_t)ht->ht_pfn,
		    tname(o->ht, b1, sizeof (b1)), tname(ht, b2, sizeof (b2)));
	} else {
		a->frame_owner[ht->ht_pfn] = idx + 1;
		a->owned_frames++;
	}
}

/* Each hashed table below the top: its parent holds the right PTP. */
static void
check_parent(struct audit *a, uint32_t idx)
{
	struct trec *t = &a->recs[idx], *pt;
	htable_t *ht = t->ht, *p;
	level_t l = ht->ht_level, top = (level_t)mmu.max_level;
	char b1[96], b2[96];
	x86pte_t pte, want;
	uint_t e;

	if (l == top) {
		if (ht != t->hat->hat_htable)
			viol(a, VT_AUDIT_HT_HASHED, "%s: a top-level table "
			    "that is not hat_htable", tname(ht, b1,
			    sizeof (b1)));
		if (ht->ht_parent != NULL)
			viol(a, VT_AUDIT_PARENT_PTP, "%s: top-level table has "
			    "ht_parent set", tname(ht, b1, sizeof (b1)));
		return;
	}
	p = ht->ht_parent;
	pt = rec_of(a, p);
	if (pt == NULL || pt->where != WHERE_HASHED) {
		viol(a, VT_AUDIT_PARENT_PTP, "%s: ht_parent is %s",
		    tname(ht, b1, sizeof (b1)), p == NULL ? "NULL" :
		    "not a hashed table");
		return;
	}
	pt->children++;
	if (pt->hat != t->hat || p->ht_level != l + 1 ||
	    p->ht_vaddr != table_base(ht->ht_vaddr, l + 1)) {
		viol(a, VT_AUDIT_PARENT_PTP, "%s: ht_parent %s does not "
		    "cover it", tname(ht, b1, sizeof (b1)),
		    tname(p, b2, sizeof (b2)));
		return;
	}
	if (!pt->frame_ok)
		return;			/* parent's frame already reported */
	e = (uint_t)((ht->ht_vaddr >> LEVEL_SHIFT(l + 1)) & (NPTES - 1));
	pte = VT_PEEK(table_ptes(p)[e]);
	want = MAKEPTP(ht->ht_pfn, l);
	if (PTE_NOREFMOD(pte) != PTE_NOREFMOD(want))
		viol(a, VT_AUDIT_PARENT_PTP, "%s: parent %s entry %u is "
		    "0x%" PRIx64 ", expected PTP 0x%" PRIx64,
		    tname(ht, b1, sizeof (b1)), tname(p, b2, sizeof (b2)), e,
		    (uint64_t)pte, (uint64_t)want);
}

static void
scan_table(struct audit *a, uint32_t idx)
{
	struct trec *t = &a->recs[idx], *c;
	htable_t *ht = t->ht;
	level_t l = ht->ht_level;
	x86pte_t *ptes = table_ptes(ht);
	char b1[96], b2[96];
	uint_t e, nvalid = 0;
	int16_t vc;

	for (e = 0; e < NPTES; e++) {
		x86pte_t pte = VT_PEEK(ptes[e]);
		pfn_t pfn;

		a->r->objects++;
		if (!PTE_ISVALID(pte))
			continue;
		if (t->where == WHERE_CACHED) {
			nvalid++;
			continue;
		}
		if (!PTE_ISPAGE(pte, l)) {
			/* A PTP: must lead to a hashed child of this hat. */
			uintptr_t va = entry_va(ht, e);

			c = hashed_lookup(a, t->hat, va, l - 1);
			/*
			 * Note: the kernel's hat_alloc copies the kernel's
			 * top-level PTPs into each user top table; this port's
			 * does not (hat_i86.c), so no foreign PTP is excused.
			 */
			if (c == NULL) {
				nvalid++;
				viol(a, VT_AUDIT_PARENT_PTP, "%s entry %u: PTP "
				    "0x%" PRIx64 " (va 0x%" PRIxPTR ") leads "
				    "to no hashed L%d table",
				    tname(ht, b1, sizeof (b1)), e,
				    (uint64_t)pte, va, (int)(l - 1));
				continue;
			}
			nvalid++;
			if (c->ht->ht_pfn != PTE2PFN(pte, l) ||
			    c->ht->ht_parent != ht)
				viol(a, VT_AUDIT_PARENT_PTP, "%s entry %u: PTP "
				    "0x%" PRIx64 " does not lead to its child "
				    "%s (pfn %" PRIu64 ", %s)",
				    tname(ht, b1, sizeof (b1)), e,
				    (uint64_t)pte, tname(c->ht, b2,
				    sizeof (b2)), (uint64_t)c->ht->ht_pfn,
				    c->ht->ht_parent == ht ? "parent ok" :
				    "parent differs");
			continue;
		}

		/* A leaf mapping. */
		nvalid++;
		pfn = PTE2PFN(pte, l);
		if (pfn == 0)
			viol(a, VT_AUDIT_FRAME_TAG, "%s entry %u: PTE 0x%" PRIx64
			    " maps pfn 0, which the machine keeps back",
			    tname(ht, b1, sizeof (b1)), e, (uint64_t)pte);
		{
			pgcnt_t n = l == 0 ? 1 : SZCPAGES(l), i;

			if (l > 0 && (pfn & (n - 1)) != 0)
				viol(a, VT_AUDIT_FRAME_TAG, "%s entry %u: large"
				    " PTE 0x%" PRIx64 " maps unaligned pfn %"
				    PRIu64, tname(ht, b1, sizeof (b1)), e,
				    (uint64_t)pte, (uint64_t)pfn);
			for (i = 0; i < n; i++) {
				uint8_t tag;

				if (!pfn_ok(pfn + i)) {
					viol(a, VT_AUDIT_FRAME_TAG, "%s entry "
					    "%u: PTE 0x%" PRIx64 " maps pfn %"
					    PRIu64 " beyond the machine",
					    tname(ht, b1, sizeof (b1)), e,
					    (uint64_t)pte,
					    (uint64_t)(pfn + i));
					break;
				}
				tag = VT_PEEK(vt_frame_tag[pfn + i]);
				if (tag != VT_FRAME_DATA) {
					viol(a, VT_AUDIT_FRAME_TAG, "%s entry "
					    "%u: PTE 0x%" PRIx64 " maps pfn %"
					    PRIu64 " tagged %s (%u)",
					    tname(ht, b1, sizeof (b1)), e,
					    (uint64_t)pte,
					    (uint64_t)(pfn + i),
					    tag == VT_FRAME_FREE ? "free" :
					    "page table", tag);
					break;
				}
			}
		}
		if ((pte & PT_SOFTWARE) < PT_NOCONSIST && pfn_ok(pfn)) {
			struct expect x;

			x.rec = idx;
			x.entry = (uint16_t)e;
			x.matched = 0;
			x.pfn = pfn;
			x.pte = pte;
			(void) amap_put(&a->emap, PKEY(ht), e, 0,
			    (uint32_t)a->nexp);
			VEC_PUSH(a->exp, a->nexp, a->exp_cap, x);
		}
	}

	vc = VT_PEEK(ht->ht_valid_cnt);
	if (t->where == WHERE_CACHED) {
		if (nvalid != 0 || vc != 0)
			viol(a, VT_AUDIT_VALID_CNT, "cached %s: %u valid "
			    "entries, ht_valid_cnt %d (a cached table must be "
			    "empty)", tname(ht, b1, sizeof (b1)), nvalid,
			    (int)vc);
	} else if ((int)vc != (int)nvalid) {
		viol(a, VT_AUDIT_VALID_CNT, "%s: ht_valid_cnt %d but %u valid "
		    "entries", tname(ht, b1, sizeof (b1)), (int)vc, nvalid);
	}
}

static void
check_tables(struct audit *a)
{
	size_t i;
	char b1[96], b2[96];

	/* Frames first, so scans know which frames are readable. */
	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];
		htable_t *ht = t->ht;

		if (t->where == WHERE_RESERVE)
			continue;
		if (ht->ht_flags & HTABLE_SHARED_PFN) {
			struct trec *s = rec_of(a, ht->ht_shares);

			if (t->where != WHERE_HASHED) {
				viol(a, VT_AUDIT_FRAME_TAG, "cached %s is a "
				    "SHARED_PFN table", tname(ht, b1,
				    sizeof (b1)));
				continue;
			}
			if (s == NULL || s->where != WHERE_HASHED ||
			    (s->ht->ht_flags & HTABLE_SHARED_PFN)) {
				viol(a, VT_AUDIT_FRAME_TAG, "%s: SHARED_PFN "
				    "table whose ht_shares is not a hashed "
				    "table", tname(ht, b1, sizeof (b1)));
				continue;
			}
			s->sharers++;
			if (ht->ht_pfn != s->ht->ht_pfn)
				viol(a, VT_AUDIT_FRAME_TAG, "%s: SHARED_PFN "
				    "ht_pfn %" PRIu64 " but it shares %s with "
				    "pfn %" PRIu64, tname(ht, b1, sizeof (b1)),
				    (uint64_t)ht->ht_pfn, tname(s->ht, b2,
				    sizeof (b2)), (uint64_t)s->ht->ht_pfn);
			else if (pfn_ok(ht->ht_pfn))
				t->frame_ok = 1;
			continue;
		}
		check_frame(a, (uint32_t)i);
	}
	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];

		if (t->where == WHERE_HASHED && t->ht->ht_hat == t->hat &&
		    t->ht->ht_level >= 0 &&
		    t->ht->ht_level <= (level_t)mmu.max_level)
			check_parent(a, (uint32_t)i);
	}
	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];

		if (t->where == WHERE_RESERVE || !t->frame_ok ||
		    (t->ht->ht_flags & HTABLE_SHARED_PFN))
			continue;
		if (t->where == WHERE_HASHED && t->ht->ht_hat != t->hat)
			continue;
		scan_table(a, (uint32_t)i);
	}
}

/* -------------------------------------------------------------- 4. busy */

/*
 * At rest a hashed table's ht_busy is exactly the holds that outlive an
 * operation (htable.c 2015):
 *  - htable_create links a new child under `higher` and keeps the hold it
 *    took on `higher` ("we don't do htable_release(higher)"); htable_release
 *    of the child hands that hold up the tree when the child is freed.
 *    So one hold per hashed child whose ht_parent is this table.
 *  - hat_alloc keeps the hold htable_create returned on the top-level table
 *    (hat_htable) for the life of the hat.
 *  - htable_create of a SHARED_PFN table takes an htable_lookup() hold on
 *    the ISM table it borrows; htable_release of the sharer drops it.
 * Every other hold (lookup/create/acquire) is released before an operation
 * ends.
 */
static void
check_busy(struct audit *a)
{
	size_t i;
	char b1[96];

	for (i = 0; i < a->nrecs; i++) {
		struct trec *t = &a->recs[i];
		htable_t *ht = t->ht;
		int want;
		int16_t busy;

		if (t->where != WHERE_HASHED)
			continue;
		want = (int)t->children + (int)t->sharers +
		    (t->hat->hat_htable == ht ? 1 : 0);
		busy = VT_PEEK(ht->ht_busy);
		if ((int)busy != want)
			viol(a, VT_AUDIT_BUSY, "%s: ht_busy %d, expected %d "
			    "(%u children + %u sharers + %d top-level hold)",
			    tname(ht, b1, sizeof (b1)), (int)busy, want,
			    t->children, t->sharers,
			    t->hat->hat_htable == ht ? 1 : 0);
	}
}

/* ------------------------------------------------------ 5. hment hash */

static void
hash_visit(hment_t *hm, uint32_t bucket, void *arg)
{
	struct audit *a = arg;
	uint32_t i;

	i = amap_put(&a->hmap, PKEY(hm), 0, 0, (uint32_t)a->nhrecs);
	if (i == UINT32_MAX) {
		struct hrec h;

		h.hm = hm;
		h.bucket = bucket;
		h.count = 1;
		h.listed = 0;
		VEC_PUSH(a->hrecs, a->nhrecs, a->hrecs_cap, h);
		a->r->objects++;
	} else {
		a->hrecs[i].count++;
	}
	/*
	 * A corrupted chain or tree can loop forever.  The bucket walk takes
	 * no locks (world stopped), so leaving it with longjmp is safe.
	 */
	if (++a->bucket_visits > a->bucket_limit)
		longjmp(a->bucket_escape, 1);
}

static void
walk_hment_hash(struct audit *a)
{
	volatile uint32_t idx;

	if (hment_table == NULL)
		return;
	a->bucket_limit = 1024 + 2 * (hment_cache != NULL ?
	    VT_PEEK(hment_cache->cache_outstanding) : 0);
	for (idx = 0; idx < hment_hash_entries; idx++) {
		a->bucket_visits = 0;
		if (setjmp(a->bucket_escape) == 0)
			vt_hment_bucket_foreach(idx, hash_visit, a);
		else
			viol(a, VT_AUDIT_HASH_EXTRA, "hment hash bucket %u "
			    "does not end after %" PRIu64 " visits (cycle?)",
			    (uint32_t)idx, a->bucket_visits);
	}
}

/* ------------------------------------------------- 6. mapping lists */

/* "hment (ht 12 entry 5)" or "embedded (ht 12 entry 5)". */
static void
match_entry(struct audit *a, pfn_t pfn, htable_t *ht, uint_t entry,
    const char *kind)
{
	struct trec *t = rec_of(a, ht);
	char b1[96];
	uint32_t xi;
	struct expect *x;

	if (t == NULL || t->where != WHERE_HASHED) {
		viol(a, VT_AUDIT_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "entry %u names %s", (uint64_t)pfn, kind, entry,
		    t == NULL ? "no known table" :
		    t->where == WHERE_CACHED ? "a cached (free) table" :
		    "a reserve table");
		return;
	}
	if (entry >= NPTES) {
		viol(a, VT_AUDIT_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "in %s has entry %u out of range", (uint64_t)pfn, kind,
		    tname(ht, b1, sizeof (b1)), entry);
		return;
	}
	xi = amap_get(&a->emap, PKEY(ht), entry, 0);
	if (xi == UINT32_MAX) {
		x86pte_t pte = 0;

		if (t->frame_ok)
			pte = VT_PEEK(table_ptes(ht)[entry]);
		viol(a, VT_AUDIT_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "%s entry %u has no valid consistent leaf PTE (pte 0x%"
		    PRIx64 "%s)", (uint64_t)pfn, kind,
		    tname(ht, b1, sizeof (b1)), entry, (uint64_t)pte,
		    (ht->ht_flags & HTABLE_SHARED_PFN) ? ", SHARED_PFN table" :
		    !PTE_ISVALID(pte) ? ", invalid" :
		    !PTE_ISPAGE(pte, ht->ht_level) ? ", a PTP" :
		    (pte & PT_SOFTWARE) >= PT_NOCONSIST ? ", NOCONSIST" : "");
		return;
	}
	x = &a->exp[xi];
	if (x->pfn != pfn) {
		viol(a, VT_AUDIT_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "%s entry %u but the PTE 0x%" PRIx64 " maps pfn %" PRIu64,
		    (uint64_t)pfn, kind, tname(ht, b1, sizeof (b1)), entry,
		    (uint64_t)x->pte, (uint64_t)x->pfn);
		return;
	}
	if (x->matched) {
		viol(a, VT_AUDIT_PTE_MLIST, "page pfn %" PRIu64 ": %s mapping "
		    "%s entry %u is listed more than once", (uint64_t)pfn,
		    kind, tname(ht, b1, sizeof (b1)), entry);
		return;
	}
	x->matched = 1;
}

/* A listed hment must be in the hash once, in the bucket HMENT_HASH names. */
static void
check_hashed_once(struct audit *a, pfn_t pfn, hment_t *hm)
{
	struct trec *t = rec_of(a, hm->hm_htable);
	uint32_t hi = amap_get(&a->hmap, PKEY(hm), 0, 0);
	char b1[96];
	uint64_t htid = t != NULL ? t->ht->ht_id : 0;

	if (hi == UINT32_MAX) {
		viol(a, VT_AUDIT_HASH_ONCE, "page pfn %" PRIu64 ": hment "
		    "(ht %" PRIu64 " entry %u) is not in the hment hash",
		    (uint64_t)pfn, htid, hm->hm_entry);
		return;
	}
	a->hrecs[hi].listed = 1;
	if (a->hrecs[hi].count != 1)
		viol(a, VT_AUDIT_HASH_ONCE, "page pfn %" PRIu64 ": hment "
		    "(ht %" PRIu64 " entry %u) is in the hment hash %u times",
		    (uint64_t)pfn, htid, hm->hm_entry, a->hrecs[hi].count);
	if (t != NULL && t->where != WHERE_RESERVE &&
	    hm->hm_htable->ht_pfn != PFN_INVALID) {
		uint32_t want = vt_hment_hash(hm->hm_htable->ht_pfn,
		    hm->hm_entry);

		if (a->hrecs[hi].bucket != want)
			viol(a, VT_AUDIT_HASH_ONCE, "page pfn %" PRIu64 ": "
			    "hment (%s entry %u) is in hash bucket %u, "
			    "HMENT_HASH says %u", (uint64_t)pfn,
			    tname(hm->hm_htable, b1, sizeof (b1)),
			    hm->hm_entry, a->hrecs[hi].bucket, want);
	}
}

static void
walk_pages(struct audit *a)
{
	pfn_t pfn;

	for (pfn = 0; pfn < vt_npages; pfn++) {
		page_t *pp = &pages[pfn];
		void *mapping = VT_PEEK(pp->p_mapping);
		uchar_t embed = VT_PEEK(pp->p_embed);
		uint_t share = pp->p_share;
		hment_t *hm, *prev;
		uint64_t n;

		if (mapping == NULL) {
			if (embed != 0 || share != 0)
				viol(a, VT_AUDIT_EMBED, "page pfn %" PRIu64
				    ": no mappings but p_embed %u p_share %u",
				    (uint64_t)pfn, embed, share);
			continue;
		}
		if (embed == 1) {
			if (share != 0)
				viol(a, VT_AUDIT_EMBED, "page pfn %" PRIu64
				    ": embedded mapping but p_share %u",
				    (uint64_t)pfn, share);
			match_entry(a, pfn, (htable_t *)mapping,
			    pp->p_mlentry, "embedded");
			continue;
		}
		if (embed != 0) {
			viol(a, VT_AUDIT_EMBED, "page pfn %" PRIu64 ": p_embed "
			    "is %u", (uint64_t)pfn, embed);
			continue;
		}
		n = 0;
		prev = NULL;
		for (hm = mapping; hm != NULL; prev = hm, hm = hm->hm_next) {
			uint32_t other = amap_put(&a->lmap, PKEY(hm), 0, 0,
			    (uint32_t)pfn);

			if (other != UINT32_MAX) {
				viol(a, VT_AUDIT_MLIST_LINKS, "page pfn %"
				    PRIu64 ": hment #%" PRIu64 " of the list "
				    "was already met on page pfn %" PRIu32
				    " (cycle or shared hment)",
				    (uint64_t)pfn, n, other);
				break;
			}
			n++;
			a->nlisted++;
			a->r->objects++;
			if (hm->hm_prev != prev)
				viol(a, VT_AUDIT_MLIST_LINKS, "page pfn %"
				    PRIu64 ": hment #%" PRIu64 " (entry %u) "
				    "has a wrong hm_prev", (uint64_t)pfn,
				    n - 1, hm->hm_entry);
			if (hm->hm_pfn != pfn)
				viol(a, VT_AUDIT_MLIST_LINKS, "page pfn %"
				    PRIu64 ": hment #%" PRIu64 " (entry %u) "
				    "has hm_pfn %" PRIu64, (uint64_t)pfn,
				    n - 1, hm->hm_entry,
				    (uint64_t)hm->hm_pfn);
			match_entry(a, pfn, hm->hm_htable, hm->hm_entry,
			    "hment");
			check_hashed_once(a, pfn, hm);
		}
		if (share != n)
			viol(a, VT_AUDIT_EMBED, "page pfn %" PRIu64 ": p_share "
			    "%u but the hment list holds %" PRIu64,
			    (uint64_t)pfn, share, n);
	}
}

/* Every consistent leaf PTE must have been matched by some list entry. */
static void
check_unlisted(struct audit *a)
{
	size_t i;
	char b1[96];

	for (i = 0; i < a->nexp; i++) {
		struct expect *x = &a->exp[i];

		if (!x->matched)
			viol(a, VT_AUDIT_PTE_MLIST, "%s entry %u: valid PTE 0x%"
			    PRIx64 " maps pfn %" PRIu64 " but page pfn %"
			    PRIu64 "'s mapping list has no entry for it",
			    tname(a->recs[x->rec].ht, b1, sizeof (b1)),
			    x->entry, (uint64_t)x->pte, (uint64_t)x->pfn,
			    (uint64_t)x->pfn);
	}
}

static void
check_hash_extra(struct audit *a)
{
	size_t i;

	for (i = 0; i < a->nhrecs; i++) {
		struct hrec *h = &a->hrecs[i];
		struct trec *t;

		if (h->listed)
			continue;
		t = rec_of(a, h->hm->hm_htable);
		viol(a, VT_AUDIT_HASH_EXTRA, "hment hash bucket %u holds an "
		    "hment (ht %" PRIu64 " entry %u pfn %" PRIu64 ") that is "
		    "on no mapping list", h->bucket,
		    t != NULL ? t->ht->ht_id : 0, h->hm->hm_entry,
		    (uint64_t)h->hm->hm_pfn);
	}
}

/* ------------------------------------------ 8. reserves and counters */

static void
check_hment_reserve(struct audit *a)
{
	hment_t *hm;
	uint64_t n = 0, outstanding;
	uint_t cnt = VT_PEEK(hment_reserve_count);
	struct amap seen;

	amap_init(&seen, 256);
	for (hm = hment_reserve_pool; hm != NULL; hm = hm->hm_next) {
		if (amap_put(&seen, PKEY(hm), 0, 0, 0) != UINT32_MAX) {
			viol(a, VT_AUDIT_RESERVE_CNT, "hment reserve list "
			    "meets an hment twice after %" PRIu64 " (cycle)",
			    n);
			break;
		}
		n++;
		a->r->objects++;
		if (amap_get(&a->lmap, PKEY(hm), 0, 0) != UINT32_MAX)
			viol(a, VT_AUDIT_HMENT_CONSERVE, "hment #%" PRIu64
			    " of the reserve is also on page pfn %" PRIu32
			    "'s mapping list", n - 1,
			    amap_get(&a->lmap, PKEY(hm), 0, 0));
	}
	amap_fini(&seen);
	if (n != cnt)
		viol(a, VT_AUDIT_RESERVE_CNT, "hment_reserve_count is %u but "
		    "the reserve list holds %" PRIu64 " hments", cnt, n);
	if (hment_cache != NULL) {
		outstanding = VT_PEEK(hment_cache->cache_outstanding);
		if (outstanding != a->nlisted + n)
			viol(a, VT_AUDIT_HMENT_CONSERVE, "hment_cache has %"
			    PRIu64 " outstanding, but %" PRIu64 " are listed "
			    "and %" PRIu64 " in reserve", outstanding,
			    a->nlisted, n);
	}
}

static void
check_htable_conserve(struct audit *a)
{
	uint64_t outstanding;

	if (htable_cache == NULL)
		return;
	outstanding = VT_PEEK(htable_cache->cache_outstanding);
	if (outstanding != a->nhashed + a->ncached + a->nreserve_ht)
		viol(a, VT_AUDIT_HTABLE_CONSERVE, "htable_cache has %" PRIu64
		    " outstanding, but %" PRIu64 " hashed + %" PRIu64
		    " cached + %" PRIu64 " in reserve", outstanding,
		    a->nhashed, a->ncached, a->nreserve_ht);
}

/*
 * freemem counts every frame tagged free.  machine.c keeps pfn 0 back at
 * boot by tagging it VT_FRAME_DATA (never mapped), so it needs no special
 * case here; the PTE scan reports any PTE or PTP naming pfn 0.
 */
static void
check_frames(struct audit *a)
{
	pfn_t pfn;
	uint64_t nfree = 0, fm = VT_PEEK(freemem);
	uint32_t ap = VT_PEEK(active_ptables);

	for (pfn = 0; pfn < vt_npages; pfn++) {
		uint8_t tag = VT_PEEK(vt_frame_tag[pfn]);

		if ((tag == VT_FRAME_FREE) != (PP_ISFREE(&pages[pfn]) != 0))
			viol(a, VT_AUDIT_FRAME_TAG, "frame pfn %" PRIu64
			    " is tagged %u but its page_t is %s",
			    (uint64_t)pfn, tag, PP_ISFREE(&pages[pfn]) ?
			    "P_FREE" : "not P_FREE");
		if (tag == VT_FRAME_FREE) {
			nfree++;
		} else if (tag >= VT_FRAME_PT && tag < VT_FRAME_NTAGS) {
			if (a->frame_owner[pfn] == 0)
				viol(a, VT_AUDIT_FRAME_TAG, "frame pfn %" PRIu64
				    " is tagged page table L%u but no table "
				    "owns it", (uint64_t)pfn,
				    (unsigned)(tag - VT_FRAME_PT));
		} else if (tag != VT_FRAME_DATA) {
			viol(a, VT_AUDIT_FRAME_TAG, "frame pfn %" PRIu64
			    " has unknown tag %u", (uint64_t)pfn, tag);
		}
	}
	if (fm != nfree)
		viol(a, VT_AUDIT_FREEMEM, "freemem is %" PRIu64 " but %" PRIu64
		    " frames are tagged free", fm, nfree);
	if ((uint64_t)ap != a->owned_frames)
		viol(a, VT_AUDIT_FREEMEM, "active_ptables is %" PRIu32 " but %"
		    PRIu64 " page-table frames are in use", ap,
		    a->owned_frames);
}

/* ------------------------------------------------------------- driver */

uint32_t
vt_audit_run(struct vt_audit_result *r)
{
	struct audit a;
	size_t i;

	memset(r, 0, sizeof (*r));
	r->first = VT_AUDIT_NCHECKS;
	memset(&a, 0, sizeof (a));
	a.r = r;
	amap_init(&a.tmap, 1024);
	amap_init(&a.vmap, 1024);
	amap_init(&a.emap, 4096);
	amap_init(&a.hmap, 4096);
	amap_init(&a.lmap, 4096);
	a.frame_owner = calloc(vt_npages ? vt_npages : 1,
	    sizeof (*a.frame_owner));
	if (a.frame_owner == NULL)
		panic("audit: out of memory (%" PRIu64 " frames)",
		    (uint64_t)vt_npages);

	walk_hats(&a);
	for (i = 0; i < a.nhats; i++)
		walk_hat_tables(&a, a.hats[i]);
	walk_htable_reserve(&a);
	check_tables(&a);
	check_busy(&a);
	walk_hment_hash(&a);
	walk_pages(&a);
	check_unlisted(&a);
	check_hash_extra(&a);
	check_hment_reserve(&a);
	check_htable_conserve(&a);
	check_frames(&a);

	amap_fini(&a.tmap);
	amap_fini(&a.vmap);
	amap_fini(&a.emap);
	amap_fini(&a.hmap);
	amap_fini(&a.lmap);
	free(a.frame_owner);
	free(a.hats);
	free(a.recs);
	free(a.exp);
	free(a.hrecs);
	if (r->violations == 0)
		r->first = VT_AUDIT_NCHECKS;
	return (r->violations);
}
