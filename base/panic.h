/*
 * panic.h - panic(), the named failures and ASSERT/VERIFY for every layer.
 *
 * panic() never returns.  The stress engine installs vt_panic_hook to print
 * the replay line, the failing check and the flight recorders, then exit 1;
 * without a hook the message goes to stderr and the process exits 1.
 * panicstr is non-NULL once any thread has panicked.
 *
 * base/ knows no threads.  The thread layer (locks/kthread.c) tells it, with
 * vt_panic_set_thread_ops(), who is running (so a failure inside the report
 * of a failure is recognised) and how to let the other workers run while
 * a second failure waits for the first one's report (a schedule point, so
 * the controlled scheduler keeps running the first panicker).
 */
#ifndef VT_BASE_PANIC_H
#define VT_BASE_PANIC_H

#include <stdint.h>

extern const char *volatile panicstr;
typedef void (*vt_panic_hook_t)(const char *check, const char *msg);
extern vt_panic_hook_t vt_panic_hook;

void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
void vt_assfail(const char *expr, const char *file, int line)
    __attribute__((noreturn));
/* Fail with a named check class ("audit", "assert", "watchdog", ...). */
void vt_fail(const char *check, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* Asserts are always compiled in (DESIGN §5). */
#define ASSERT(x)	((x) ? (void)0 : vt_assfail(#x, __FILE__, __LINE__))
#define VERIFY(x)	ASSERT(x)
#define ASSERT3U(a, op, b) ASSERT((uint64_t)(a) op (uint64_t)(b))

struct vt_panic_thread_ops {
	/* The running thread (curthread); compared, never dereferenced. */
	const void	*(*pto_self)(void);
	/* Let the other threads run once (a yield schedule point on obj). */
	void		(*pto_yield)(const void *obj);
};

/*
 * Installs ops (static storage).  Until then every caller counts as one
 * anonymous thread and waiting does not yield.
 */
void vt_panic_set_thread_ops(const struct vt_panic_thread_ops *ops);

#endif /* VT_BASE_PANIC_H */
