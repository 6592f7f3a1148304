/*
 * page_lockstat.c - --lockstat of the simulated page locks: one record per
 * thread, summed at report time (page_lockstat.h).
 *
 * Harness code (not ported).
 *
 * Locking:
 *   pls_lock (a plain pthread mutex; a leaf, never held across a schedule
 *       point) - the list of records and the boot generation.
 *   a record's counts - its own thread only (kthread t_pagels).
 */
#include "page_lockstat.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"
#include "../locks/kthread.h"
#include "../locks/lockstat.h"
#include "../locks/locktable.h"

#define PLS_HELD	8	/* timed holds one thread follows at once */

struct pls_rec {
	struct vt_lockstat	pr_ls;		/* wait, hold, sites; owner only */
	uint64_t		pr_acq;		/* acquisitions; owner only */
	uint64_t		pr_contended;	/* owner only */
	uint32_t		pr_nheld;	/* pr_held[] in use; owner only */
	struct {
		const struct page	*pp;
		uint64_t		t0;
	}			pr_held[PLS_HELD];	/* timed holds; owner only */
	struct pls_rec		*pr_next;	/* the list; pls_lock */
};

struct vt_lock_class *vt_page_lock_class;

static pthread_mutex_t pls_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pls_rec *pls_list;	/* pls_lock */
static uint64_t pls_gen;		/* boots so far; pls_lock (read racy-free
					   by owners: set before workers start) */

/*
 * Register the class when --lockstat is on.  Setup only.
 * Locks: takes and drops pls_lock.
 */
void
vt_page_lockstat_init(void)
{
	if (!vt_lockstat_enabled)
		return;
	(void) pthread_mutex_lock(&pls_lock);
	pls_gen++;
	(void) pthread_mutex_unlock(&pls_lock);
	vt_page_lock_class = vt_lockclass_create("page_lock");
}

/*
 * Free every record and unregister the class.  No workers running.
 * Locks: takes and drops pls_lock.
 */
void
vt_page_lockstat_fini(void)
{
	struct pls_rec *r, *next;

	if (vt_page_lock_class == NULL)
		return;
	(void) pthread_mutex_lock(&pls_lock);
	for (r = pls_list; r != NULL; r = next) {
		next = r->pr_next;
		free(r);
	}
	pls_list = NULL;
	(void) pthread_mutex_unlock(&pls_lock);
	vt_locktable_destroy(vt_page_lock_class);
	vt_page_lock_class = NULL;
}

/*
 * The calling thread's record of this boot, made on first use.
 * Locks: takes and drops pls_lock on first use only.
 */
static struct pls_rec *
own_rec(void)
{
	kthread_t *t = vt_curthread();
	struct pls_rec *r;

	if (__builtin_expect(t->t_pagels != NULL, 1) &&
	    t->t_pagels_gen == pls_gen)
		return (t->t_pagels);
	r = calloc(1, sizeof (*r));
	if (r == NULL)
		panic("page_lockstat: out of memory");
	(void) pthread_mutex_lock(&pls_lock);
	r->pr_next = pls_list;
	pls_list = r;
	(void) pthread_mutex_unlock(&pls_lock);
	t->t_pagels = r;
	t->t_pagels_gen = pls_gen;
	return (r);
}

/* The caller holds pp now (page_lock, page_trylock).  No lock taken. */
void
vt_page_lockstat_acquired(const struct page *pp, bool contended,
    uint64_t t_try, const void *pc)
{
	struct pls_rec *r = own_rec();
	uint64_t now = vt_lockstat_now();

	r->pr_acq++;
	if (contended) {
		r->pr_contended++;
		/* A step clock restarts between runs (PCT's learning pass). */
		vt_lockstat_contended(&r->pr_ls, now > t_try ? now - t_try : 0,
		    pc);
	}
	if (vt_lockstat_timed(r->pr_acq)) {
		/* Full: forget the oldest (another thread may have dropped it). */
		if (r->pr_nheld == PLS_HELD) {
			memmove(&r->pr_held[0], &r->pr_held[1],
			    (PLS_HELD - 1) * sizeof (r->pr_held[0]));
			r->pr_nheld--;
		}
		r->pr_held[r->pr_nheld].pp = pp;
		r->pr_held[r->pr_nheld].t0 = now;
		r->pr_nheld++;
	}
}

/* The caller still holds pp and is about to drop it.  No lock taken. */
void
vt_page_lockstat_release(const struct page *pp)
{
	struct pls_rec *r = own_rec();

	/* The newest timed hold of pp by this thread, if any. */
	for (uint32_t i = r->pr_nheld; i-- > 0; ) {
		if (r->pr_held[i].pp != pp)
			continue;
		r->pr_ls.ls_t0 = r->pr_held[i].t0;
		vt_lockstat_release(&r->pr_ls);
		memmove(&r->pr_held[i], &r->pr_held[i + 1],
		    (r->pr_nheld - i - 1) * sizeof (r->pr_held[0]));
		r->pr_nheld--;
		return;
	}
}

/*
 * Report time, world stopped.
 * Locks: takes and drops pls_lock.
 */
void
vt_page_lockstat_sum(struct vt_lock_stats *s)
{
	(void) pthread_mutex_lock(&pls_lock);
	for (struct pls_rec *r = pls_list; r != NULL; r = r->pr_next) {
		s->acquisitions += r->pr_acq;
		s->contended += r->pr_contended;
		vt_lockstat_sum_add(&s->ls, &r->pr_ls);
	}
	(void) pthread_mutex_unlock(&pls_lock);
}
