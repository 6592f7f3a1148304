/*
 * panic.c - panic, asserts and named failures (see panic.h).
 *
 * Harness code except panic() itself, which keeps the kernel's contract:
 * it does not return.  The first thread to fail publishes its message in
 * panicstr and hands it to vt_panic_hook; any later failure waits for that
 * report to end the process.
 */
#include "panic.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *volatile panicstr;
vt_panic_hook_t vt_panic_hook;

/* The thread layer's ops (panic.h); atomics, NULL until installed. */
static const struct vt_panic_thread_ops *panic_thread_ops;

/* Set once by the first thread to fail (atomics). */
static int vt_panicking;
static const void *vt_panic_thread;	/* atomics */
static char vt_panic_buf[1024];		/* written by the first panicker only */

void
vt_panic_set_thread_ops(const struct vt_panic_thread_ops *ops)
{
	__atomic_store_n(&panic_thread_ops, ops, __ATOMIC_RELEASE);
}

/* The failing thread as the thread layer names it (NULL: anonymous). */
static const void *
vt_panic_self(void)
{
	const struct vt_panic_thread_ops *ops =
	    __atomic_load_n(&panic_thread_ops, __ATOMIC_ACQUIRE);

	return (ops != NULL ? ops->pto_self() : NULL);
}

static void
vt_panic_yield(const void *obj)
{
	const struct vt_panic_thread_ops *ops =
	    __atomic_load_n(&panic_thread_ops, __ATOMIC_ACQUIRE);

	if (ops != NULL)
		ops->pto_yield(obj);
}

/*
 * A second failure while the first one is being reported.  If it is the
 * same thread (the report itself failed), give up at once.  Otherwise wait
 * a few seconds so the first report can finish, yielding so the controlled
 * scheduler can keep running the first panicker, then leave.
 */
static void __attribute__((noreturn))
vt_panic_second(const char *check, const char *msg)
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms */
	int i;

	if (__atomic_load_n(&vt_panic_thread, __ATOMIC_ACQUIRE) ==
	    vt_panic_self()) {
		fprintf(stderr, "panic: recursive failure (%s): %s\n", check,
		    msg);
		fflush(stderr);
		_exit(1);
	}
	for (i = 0; i < 10000; i++) {
		vt_panic_yield(&vt_panicking);
		nanosleep(&ts, NULL);
	}
	_exit(1);
}

/*
 * Common tail of every failure: the first caller publishes the message in
 * panicstr and hands it to the engine's hook (which prints the replay line
 * and the flight recorders and exits 1); without a hook it prints the
 * message and exits 1.
 */
static void __attribute__((noreturn, format(printf, 2, 0)))
vt_fail_common(const char *check, const char *fmt, va_list ap)
{
	char local[1024];
	int expect = 0;

	if (!__atomic_compare_exchange_n(&vt_panicking, &expect, 1, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		(void) vsnprintf(local, sizeof (local), fmt, ap);
		vt_panic_second(check, local);
	}
	__atomic_store_n(&vt_panic_thread, vt_panic_self(), __ATOMIC_RELEASE);
	(void) vsnprintf(vt_panic_buf, sizeof (vt_panic_buf), fmt, ap);
	/*
	 * panicstr is read with plain loads by USE_HAT_RESERVES(); the store
	 * is atomic, and from here on the process only reports and exits.
	 */
	__atomic_store_n((const char **)&panicstr, vt_panic_buf,
	    __ATOMIC_SEQ_CST);
	if (vt_panic_hook != NULL)
		vt_panic_hook(check, vt_panic_buf);
	if (strcmp(check, "panic") == 0)
		fprintf(stderr, "panic: %s\n", vt_panic_buf);
	else
		fprintf(stderr, "panic: [%s] %s\n", check, vt_panic_buf);
	fflush(stderr);
	exit(1);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_fail_common("panic", fmt, ap);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
vt_fail_l(const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_fail_common(check, fmt, ap);
}

void
vt_assfail(const char *expr, const char *file, int line)
{
	vt_fail_l("assert", "assertion failed: %s, file: %s, line: %d",
	    expr, file, line);
}

void
vt_fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_fail_common(check, fmt, ap);
}
