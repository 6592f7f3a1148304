/*
 * rcu.c - liburcu (memb flavour) behind rcu.h: lazy per-thread
 * registration, the TSan grace-period token, a grace-period count.
 *
 * Harness code (not ported).
 */
#include "rcu.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RCU_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(RCU_TSAN)
#define RCU_TSAN 1
#endif

#ifdef RCU_TSAN
#include <sanitizer/tsan_interface.h>
/* Released by every reader as its section ends, acquired after a grace period. */
static char gp_token;
#define GP_RELEASE()	__tsan_release(&gp_token)
#define GP_ACQUIRE()	__tsan_acquire(&gp_token)
#else
#define GP_RELEASE()	((void)0)
#define GP_ACQUIRE()	((void)0)
#endif

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t reg_key;
static _Thread_local bool registered;
static uint64_t grace_periods;		/* atomics */

/* Thread exit: liburcu must forget the thread before its TLS goes away. */
static void
unregister(void *arg)
{
	(void)arg;
	if (registered) {
		urcu_memb_unregister_thread();
		registered = false;
	}
}

static void
make_key(void)
{
	if (pthread_key_create(&reg_key, unregister) != 0) {
		fprintf(stderr, "vmtorture: rcu: pthread_key_create failed\n");
		exit(4);
	}
}

static void
register_self(void)
{
	(void)pthread_once(&key_once, make_key);
	urcu_memb_register_thread();
	registered = true;
	/* Any non-NULL value makes the destructor run at thread exit. */
	(void)pthread_setspecific(reg_key, &registered);
}

void
vt_rcu_read_lock(void)
{
	if (__builtin_expect(!registered, 0))
		register_self();
	urcu_memb_read_lock();
}

void
vt_rcu_read_unlock(void)
{
	GP_RELEASE();
	urcu_memb_read_unlock();
}

void
vt_rcu_synchronize(void)
{
	urcu_memb_synchronize_rcu();
	GP_ACQUIRE();
	__atomic_add_fetch(&grace_periods, 1, __ATOMIC_RELAXED);
}

uint64_t
vt_rcu_grace_periods(void)
{
	return (__atomic_load_n(&grace_periods, __ATOMIC_RELAXED));
}
