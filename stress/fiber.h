/*
 * fiber.h - user-level execution contexts for the controlled scheduler.
 *
 * A hand-written x86-64 context switch saves only the callee-saved registers,
 * MXCSR and the x87 control word (no signal-mask system call, unlike
 * swapcontext).  Other architectures fall back to ucontext.  Under
 * ThreadSanitizer each fiber is announced with __tsan_create_fiber and every
 * switch with __tsan_switch_to_fiber, so TSan follows the fibers as threads.
 * Under AddressSanitizer every switch is bracketed by
 * __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber, so ASan
 * knows which stack is live (and each fiber keeps its own fake stack for
 * detect_stack_use_after_return); vt_fiber_destroy frees the fake stack of a
 * fiber left suspended (finished or abandoned) and clears the shadow of the
 * stack its frames left poisoned.  Under valgrind each fiber stack is
 * registered (VALGRIND_STACK_REGISTER), so memcheck follows the switches.
 */
#ifndef VT_STRESS_FIBER_H
#define VT_STRESS_FIBER_H

#include <stddef.h>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

struct vt_fiber {
	void		*f_sp;		/* saved stack pointer (x86-64) */
#if !defined(__x86_64__)
	ucontext_t	f_uc;
#endif
	void		*f_stack;	/* mmap'd stack, NULL for the main context */
	size_t		f_stack_size;
	void		(*f_fn)(void *);
	void		*f_arg;
	void		*f_tsan;	/* TSan fiber handle, or NULL */
	/* ASan (unused otherwise): */
	void		*f_asan_fake;	/* fake stack saved while switched out */
	const void	*f_asan_bottom;	/* stack ASan is told about (the main */
	size_t		f_asan_size;	/* context's: learnt at the first switch) */
	int		f_asan_die;	/* destroy: free the fake stack, come back */
	unsigned	f_valgrind;	/* valgrind's stack id (fiber.c) */
};

/* Describe the calling OS thread's own context as a fiber (switch target). */
void vt_fiber_init_main(struct vt_fiber *f);
/* Create a fiber that will run fn(arg) on its own stack; 0 or -1. */
int vt_fiber_create(struct vt_fiber *f, size_t stack_size, void (*fn)(void *),
    void *arg);
/*
 * Save the current context in from and resume to.  fn must never return; a
 * fiber that is done switches away for the last time and is destroyed
 * later, from another context.
 */
void vt_fiber_switch(struct vt_fiber *from, struct vt_fiber *to);
/* Free f's stack (f must not be the running context). */
void vt_fiber_destroy(struct vt_fiber *f);

#endif /* VT_STRESS_FIBER_H */
