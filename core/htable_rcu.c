/*
 * htable_rcu.c - PORT: --htable-lookup rcu, an RCU read path for
 * htable_lookup() that the 2015 kernel does not have (issue 18; the
 * argument is in doc/LOCKING.md, "The RCU htable_lookup").
 *
 * The kernel walks a hash bucket under its htable_mutex and raises ht_busy
 * there.  Here the walk runs in an RCU read section with no lock:
 *  - chain links are published with release stores (hash_insert,
 *    hash_remove and the steal list in htable.c) and read with acquire
 *    loads;
 *  - a match is held by a CAS on ht_busy that refuses HT_BUSY_DEAD, the
 *    value the freeing thread swaps in (from its own single hold) under the
 *    bucket mutex before it unhashes the table;
 *  - a dead table's ht_next may already lead into a steal list, so a
 *    walker that meets a dead table starts the bucket again (and after
 *    RCU_TRIES such restarts lets the caller take the bucket mutex);
 *  - a table that was hashed is not reused, cached or freed until a grace
 *    period has passed: it waits here, in the limbo, and htable.c flushes
 *    the limbo in batches of HTABLE_RCU_BATCH.
 * Identity fields (ht_hat, ht_vaddr, ht_level) are written only while no
 * walker can reach the table, so a walker reads them plainly and checks
 * them again after its CAS: a mismatch means a table was reused before a
 * grace period, which is a bug of this file, and panics.
 *
 * Locks: htable_rcu_mutex (a leaf) protects the limbo list and count.
 */
#include "htable_rcu.h"

#include <inttypes.h>

#include "hat.h"
#include "../locks/rcu.h"

#define	HTABLE_RCU_BATCH	32	/* limbo size that triggers a flush */
#define	RCU_TRIES		4	/* restarts before the mutex path */

int vt_htable_rcu = 0;
kmutex_t htable_rcu_mutex;
htable_t *htable_rcu_limbo;		/* htable_rcu_mutex */
uint_t htable_rcu_limbo_cnt;		/* htable_rcu_mutex; racy reads */

static inline int16_t busy_load(htable_t *ht)
{
	return __atomic_load_n(&ht->ht_busy, __ATOMIC_ACQUIRE);
}

/* A hold by CAS, refused once the table is dead.  No lock. */
static bool busy_hold(htable_t *ht)
{
	int16_t b = busy_load(ht);

	while (b != HT_BUSY_DEAD) {
		if (__atomic_compare_exchange_n(&ht->ht_busy, &b,
		    (int16_t)(b + 1), false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/* Takes no lock (RCU read section only); see htable_rcu.h. */
htable_t *htable_lookup_rcu(hat_t *hat, uintptr_t base, level_t level,
    uint_t hv, int *gave_up)
{
	htable_t *ht, *nx;

	*gave_up = 0;
	for (uint_t tries = 0; tries < RCU_TRIES; tries++) {
		vt_rcu_read_lock();
		HATSTAT_INC(vt_rcu_lookups);
		ht = __atomic_load_n(&hat->hat_ht_hash[hv], __ATOMIC_ACQUIRE);
		while (ht != NULL) {
			if (ht->ht_vaddr == base && ht->ht_level == level &&
			    ht->ht_hat == hat) {
				if (!busy_hold(ht))
					break;		/* dying: start again */
				vt_rcu_read_unlock();
				if (ht->ht_vaddr != base || ht->ht_level != level ||
				    ht->ht_hat != hat)
					panic("htable_lookup_rcu: ht %" PRIu64
					    " changed identity under its hold",
					    ht->ht_id);
				return ht;
			}
			nx = __atomic_load_n(&ht->ht_next, __ATOMIC_ACQUIRE);
			if (busy_load(ht) == HT_BUSY_DEAD)
				break;			/* nx may be a steal list */
			ht = nx;
		}
		vt_rcu_read_unlock();
		if (ht == NULL)
			return NULL;			/* a clean miss */
		HATSTAT_INC(vt_rcu_restarts);
	}
	HATSTAT_INC(vt_rcu_fallbacks);
	*gave_up = 1;
	return NULL;
}

/* Takes and drops htable_rcu_mutex; see htable_rcu.h. */
htable_t *htable_rcu_defer(htable_t *ht)
{
	htable_t *all = NULL;
	hat_t *owner = ht->ht_hat;

	ASSERT(busy_load(ht) == HT_BUSY_DEAD);
	/* The owner may not be freed while a table of it waits here. */
	if (owner != NULL)
		atomic_inc_32(&owner->hat_rcu_pending);
	HATSTAT_INC(vt_rcu_deferred);
	mutex_enter(&htable_rcu_mutex);
	ht->ht_rcu_next = htable_rcu_limbo;
	htable_rcu_limbo = ht;
	VT_RACY_STORE(htable_rcu_limbo_cnt, htable_rcu_limbo_cnt + 1);
	if (htable_rcu_limbo_cnt >= HTABLE_RCU_BATCH) {
		all = htable_rcu_limbo;
		htable_rcu_limbo = NULL;
		VT_RACY_STORE(htable_rcu_limbo_cnt, 0);
	}
	mutex_exit(&htable_rcu_mutex);
	return all;
}

/* Takes and drops htable_rcu_mutex. */
htable_t *htable_rcu_take(void)
{
	htable_t *all;

	mutex_enter(&htable_rcu_mutex);
	all = htable_rcu_limbo;
	htable_rcu_limbo = NULL;
	VT_RACY_STORE(htable_rcu_limbo_cnt, 0);
	mutex_exit(&htable_rcu_mutex);
	return all;
}

void htable_rcu_init(void)
{
	mutex_init(&htable_rcu_mutex, "htable_rcu_mutex", MUTEX_DEFAULT, NULL);
	htable_rcu_limbo = NULL;
	VT_POKE(htable_rcu_limbo_cnt, 0);
}

/* Single threaded, limbo already flushed (htable_fini). */
void htable_rcu_fini(void)
{
	ASSERT(htable_rcu_limbo == NULL);
	mutex_destroy(&htable_rcu_mutex);
}
