/*
 * tsan_options.c - ThreadSanitizer defaults for every binary of the project.
 *
 * The options themselves are vt_tsan_options in the root meson.build (with
 * what each one is for); meson writes them into tsan_options.h and gives
 * the same string to the unit tests as TSAN_OPTIONS, so the two cannot
 * drift apart.
 *
 * Harness code.  In builds without TSan this file defines nothing; the
 * typedef keeps it a valid, warning-free translation unit.
 */
#include "stress/tsan_options.h"	/* generated (stress/meson.build) */

#include "locks/rcu.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VT_TSAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(VT_TSAN_BUILD)
#define VT_TSAN_BUILD 1
#endif

#ifdef VT_TSAN_BUILD
/*
 * The TSan runtime carries a weak default of __tsan_default_options, so a
 * linker would never pull this object out of libvt_stress.a for it; the
 * engine references this anchor instead (engine.c), which does.
 */
const int vt_tsan_options_anchor = 1;
const char *__tsan_default_options(void);

const char *
__tsan_default_options(void)
{
	return (VT_TSAN_OPTIONS);
}

/*
 * liburcu 0.13 is not built for TSan (DESIGN §9): its grace-period
 * machinery synchronizes through membarrier(2) and plain loads that TSan
 * cannot see, so reports from inside it are suppressed.  What our readers
 * and updaters do around it is ordered for TSan by locks/rcu.c's
 * grace-period token; that is checked, not suppressed.
 */
const char *__tsan_default_suppressions(void);

const char *
__tsan_default_suppressions(void)
{
	return (VT_RCU_TSAN_SUPPRESSIONS);
}
#else
typedef int vt_tsan_options_unused_t;
#endif
