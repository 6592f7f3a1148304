/*
 * tsan_options.c - ThreadSanitizer defaults for every binary of the project.
 *
 * halt_on_error=1 and exitcode=66: the first report ends the run with an
 * exit status meson counts as an error even when the TAP output says "ok".
 * detect_deadlocks=0: TSan's deadlock detector hangs once a thread holds
 * more than 64 mutexes and slows everything with tables of thousands of
 * locks (DESIGN §9); lock-order checking is the port's and the audit's job.
 *
 * Harness code.  In builds without TSan this file defines nothing; the
 * typedef keeps it a valid, warning-free translation unit.
 */
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
 * linker would never pull this object out of libvt.a for it; the engine
 * references this anchor instead (engine.c, bench.c), which does.
 */
const int vt_tsan_options_anchor = 1;
const char *__tsan_default_options(void);

const char *
__tsan_default_options(void)
{
	return ("halt_on_error=1 exitcode=66 detect_deadlocks=0 "
	    "second_deadlock_stack=1");
}
#else
typedef int vt_tsan_options_unused_t;
#endif
