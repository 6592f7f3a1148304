/*
 * atomic.h - kernel-named atomics and the marked racy-access macros.
 *
 * atomic_*: sequentially consistent read-modify-write operations with the
 * illumos names and return conventions (atomic_cas_* and cas64 return the
 * old value; atomic_*_nv return the new value).
 *
 * VT_RACY_LOAD / VT_RACY_STORE: the one marked family for the unlocked
 * reads and writes the kernel sources perform on purpose (reserve counts,
 * hat_ht_cached, ht_busy in hment_steal, p_mapping in hment_steal, ...).
 * They are relaxed atomics, so TSan stays quiet about the intended races and
 * reports only unintended ones.  A field that is ever accessed racily has
 * all of its stores done through VT_RACY_STORE (or a kernel atomic), even
 * the ones made under its lock; the struct comment says so.
 */
#ifndef VT_LOCKS_ATOMIC_H
#define VT_LOCKS_ATOMIC_H

#include <stdint.h>
#include "sched_point.h"

#define VT_RACY_LOAD(lv) \
	(vt_sched_point(VT_SP_RACY, &(lv)), \
	__atomic_load_n(&(lv), __ATOMIC_RELAXED))
#define VT_RACY_STORE(lv, v) \
	do { \
		vt_sched_point(VT_SP_RACY, &(lv)); \
		__atomic_store_n(&(lv), (v), __ATOMIC_RELAXED); \
	} while (0)
/* Relaxed load/store without a schedule point: audit and reports only. */
#define VT_PEEK(lv)		__atomic_load_n(&(lv), __ATOMIC_RELAXED)
#define VT_POKE(lv, v)		__atomic_store_n(&(lv), (v), __ATOMIC_RELAXED)

static inline void
atomic_inc_32(volatile uint32_t *p)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static inline void
atomic_dec_32(volatile uint32_t *p)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static inline void
atomic_add_32(volatile uint32_t *p, int32_t d)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_add_fetch(p, (uint32_t)d, __ATOMIC_SEQ_CST);
}

static inline uint32_t
atomic_add_32_nv(volatile uint32_t *p, int32_t d)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	return (__atomic_add_fetch(p, (uint32_t)d, __ATOMIC_SEQ_CST));
}

static inline void
atomic_inc_16(volatile uint16_t *p)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static inline void
atomic_dec_16(volatile uint16_t *p)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static inline void
atomic_add_long(volatile unsigned long *p, long d)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_add_fetch(p, (unsigned long)d, __ATOMIC_SEQ_CST);
}

static inline void
atomic_add_64(volatile uint64_t *p, int64_t d)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_add_fetch(p, (uint64_t)d, __ATOMIC_SEQ_CST);
}

static inline void
atomic_inc_ulong(volatile unsigned long *p)
{
	atomic_add_long(p, 1);
}

static inline uint32_t
atomic_cas_32(volatile uint32_t *p, uint32_t old, uint32_t nv)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_compare_exchange_n(p, &old, nv, 0, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST);
	return (old);
}

static inline uint64_t
atomic_cas_64(volatile uint64_t *p, uint64_t old, uint64_t nv)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_compare_exchange_n(p, &old, nv, 0, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST);
	return (old);
}

static inline void *
atomic_cas_ptr(void *volatile *p, void *old, void *nv)
{
	vt_sched_point(VT_SP_ATOMIC, (const void *)p);
	__atomic_compare_exchange_n(p, &old, nv, 0, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST);
	return (old);
}

/* 2007-era spelling used by x86pte code. */
#define cas64(p, o, n)	atomic_cas_64((p), (o), (n))
#define atomic_inc16(p)	atomic_inc_16(p)
#define atomic_dec16(p)	atomic_dec_16(p)

static inline void
membar_producer(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
membar_consumer(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

#endif /* VT_LOCKS_ATOMIC_H */
