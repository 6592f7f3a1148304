/*
 * hat_spread.c - --hash-spread for the HAT: where the run's own keys land.
 *
 *   MLIST_MUTEX -> mlist_lock   the world's pages (library pages, the
 *                               512 constituents of the large page, the
 *                               ISM segment): the lock each page's mapping
 *                               list is taken under;
 *   HMENT_HASH                  the hments in the hash at the end of the
 *                               run, per bucket, and -> hash_lock;
 *   HTABLE_HASH -> htable_mutex the page tables hashed in every hat at the
 *                               end of the run, per bucket mutex.
 * World stopped (report time): reads without locks.
 *
 * Harness code (not ported).
 */
#include "hat_subsys.h"

#include <stdlib.h>
#include <string.h>

#include "hat_world.h"
#include "../core/hat.h"
#include "../core/hment.h"
#include "../core/htable.h"
#include "../core/page.h"
#include "../locks/locktable.h"
#include "../stress/report.h"

/* Index of m in cls's table. */
static uint32_t
lock_index(const struct vt_lock_class *cls, const kmutex_t *m)
{
	return ((uint32_t)(m - cls->lc_locks));
}

static void
count_page(uint32_t *occ, const page_t *pp)
{
	if (pp != NULL)
		occ[lock_index(mlist_lock, vt_mlist_mutex(pp))]++;
}

static void
mlist_spread(struct vt_report *r)
{
	uint32_t n = mlist_lock->lc_size;
	uint32_t *occ = calloc(n, sizeof (*occ));

	if (occ == NULL)
		return;
	for (uint32_t i = 0; i < vt_world.w_nlib; i++)
		count_page(occ, vt_world.w_lib[i]);
	for (uint32_t i = 0; i < vt_world.w_nism; i++)
		count_page(occ, vt_world.w_ism[i]);
	if (vt_world.w_large != NULL)
		for (uint32_t i = 0; i < VT_WORLD_LARGE_PAGES; i++)
			count_page(occ, page_numtopp_nolock(
			    vt_world.w_large->p_pagenum + i));
	vt_report_spread(r, "MLIST_MUTEX -> mlist_lock", "pages", occ, n);
	free(occ);
}

static void
hment_visit(hment_t *hm, uint32_t bucket, void *arg)
{
	uint32_t *occ = arg;

	(void) hm;
	occ[bucket]++;
}

static void
hment_spread(struct vt_report *r)
{
	uint32_t n = hment_hash_entries, nl = hash_lock->lc_size;
	uint32_t *occ = calloc(n, sizeof (*occ));
	uint32_t *locks = calloc(nl, sizeof (*locks));

	if (occ != NULL && locks != NULL && hment_table != NULL) {
		for (uint32_t i = 0; i < n; i++)
			vt_hment_bucket_foreach(i, hment_visit, occ);
		for (uint32_t i = 0; i < n; i++)
			locks[i & (nl - 1)] += occ[i];
		vt_report_spread(r, "HMENT_HASH buckets", "hments", occ, n);
		vt_report_spread(r, "HMENT_HASH -> hash_lock", "hments",
		    locks, nl);
	}
	free(occ);
	free(locks);
}

/* One hat's hashed tables into occ (per htable_mutex). */
static void
hat_tables(const hat_t *hat, uint32_t *occ)
{
	for (uint_t h = 0; h < hat->hat_num_hash; h++) {
		for (const htable_t *ht = hat->hat_ht_hash[h]; ht != NULL;
		    ht = ht->ht_next)
			occ[lock_index(htable_mutex, vt_htable_mutex(h))]++;
	}
}

static void
htable_spread(struct vt_report *r)
{
	uint32_t n = htable_mutex->lc_size;
	uint32_t *occ = calloc(n, sizeof (*occ));

	if (occ == NULL)
		return;
	for (hat_t *hat = vt_hat_first(); hat != NULL; hat = vt_hat_next(hat))
		if (hat->hat_ht_hash != NULL)
			hat_tables(hat, occ);
	vt_report_spread(r, "HTABLE_HASH -> htable_mutex", "htables", occ, n);
	free(occ);
}

/* --hash-spread: the four spreads into r.  World stopped. */
void
vt_hat_spread(struct vt_report *r)
{
	if (mlist_lock != NULL)
		mlist_spread(r);
	if (hash_lock != NULL)
		hment_spread(r);
	if (htable_mutex != NULL)
		htable_spread(r);
}
