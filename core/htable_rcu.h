/*
 * htable_rcu.h - the --htable-lookup rcu read path and its limbo, shared by
 * htable.c (which owns every decision to free or steal a table) and
 * htable_rcu.c (the lock-free bucket walk and the limbo list).
 * Internal to the HAT: only core/htable*.c and its unit test include it.
 */
#ifndef VT_CORE_HTABLE_RCU_H
#define VT_CORE_HTABLE_RCU_H

#include "htable.h"

/*
 * The lock-free walk of bucket hv of hat for (base, level).  Returns the
 * table with a hold (its ht_busy raised by CAS), or NULL after a complete
 * walk that met no dying table.  *gave_up is set when the walk kept
 * meeting dying tables; the caller then looks under the bucket mutex.
 * Takes no lock.
 */
htable_t *htable_lookup_rcu(struct hat *hat, uintptr_t base, level_t level,
    uint_t hv, int *gave_up);

/*
 * Put a dead (HT_BUSY_DEAD, unhashed) table in the limbo.  Takes and drops
 * htable_rcu_mutex.  Returns NULL, or - when the limbo has filled up - the
 * whole limbo, detached, for the caller to flush (htable.c).
 */
htable_t *htable_rcu_defer(htable_t *ht);

/* Detach and return the whole limbo (NULL if empty).  Takes htable_rcu_mutex. */
htable_t *htable_rcu_take(void);

void htable_rcu_init(void);
void htable_rcu_fini(void);

#endif /* VT_CORE_HTABLE_RCU_H */
