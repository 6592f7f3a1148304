/*
 * tap.h - a tiny TAP producer for the unit tests (meson protocol: 'tap').
 */
#ifndef VT_TESTS_TAP_H
#define VT_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

static inline void
tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void tap_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	++tap_n;
	if (!cond)
		++tap_failed;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return (cond);
}

static inline void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int
tap_done(void)
{
	return (tap_failed ? 1 : 0);
}

#endif /* VT_TESTS_TAP_H */
