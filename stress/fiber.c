/*
 * fiber.c - context switching for the controlled scheduler (see fiber.h).
 */
#include "fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VT_FIBER_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif
#if __has_feature(address_sanitizer)
#define VT_FIBER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(VT_FIBER_ASAN)
#define VT_FIBER_ASAN 1		/* gcc -fsanitize=address */
#endif
#ifdef VT_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
/*
 * valgrind: every fiber stack is registered, so that memcheck takes a
 * switch for what it is and not for a frame of a hundred gigabytes (no
 * --max-stackframe needed; a value that large makes valgrind mark the
 * whole distance between the stacks and abort).  The client requests cost
 * a few instructions outside valgrind; without the header (Debian package
 * valgrind) the build leaves them out.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#define VT_FIBER_VALGRIND 1
#include <valgrind/valgrind.h>
#endif
#endif

#if defined(__x86_64__)
/*
 * vt_fiber_swap(&from->f_sp, to->f_sp): push the callee-saved registers and
 * the FP control state on the current stack, publish the stack pointer,
 * adopt the other one and pop its saved state.  A new fiber's stack is laid
 * out so that the first swap "returns" into fiber_entry with the fiber in
 * %r12.
 */
void vt_fiber_swap(void **save_sp, void *new_sp);
void vt_fiber_entry(void);

__asm__(
	".text\n"
	".globl vt_fiber_swap\n"
	".type vt_fiber_swap,@function\n"
	"vt_fiber_swap:\n"
	"\tpushq %rbp\n"
	"\tpushq %rbx\n"
	"\tpushq %r12\n"
	"\tpushq %r13\n"
	"\tpushq %r14\n"
	"\tpushq %r15\n"
	"\tsubq $8, %rsp\n"
	"\tstmxcsr (%rsp)\n"
	"\tfnstcw 4(%rsp)\n"
	"\tmovq %rsp, (%rdi)\n"
	"\tmovq %rsi, %rsp\n"
	"\tldmxcsr (%rsp)\n"
	"\tfldcw 4(%rsp)\n"
	"\taddq $8, %rsp\n"
	"\tpopq %r15\n"
	"\tpopq %r14\n"
	"\tpopq %r13\n"
	"\tpopq %r12\n"
	"\tpopq %rbx\n"
	"\tpopq %rbp\n"
	"\tret\n"
	".size vt_fiber_swap, .-vt_fiber_swap\n"
	".globl vt_fiber_entry\n"
	".type vt_fiber_entry,@function\n"
	"vt_fiber_entry:\n"
	"\tmovq %r12, %rdi\n"
	"\tcall vt_fiber_start\n"
	"\tud2\n"
	".size vt_fiber_entry, .-vt_fiber_entry\n"
	".section .note.GNU-stack,\"\",@progbits\n"
	".text\n");
#endif

void vt_fiber_start(struct vt_fiber *f);

/* Adopt to's stack: the machine part of a switch, no sanitizer calls. */
static void
swap_to(struct vt_fiber *from, struct vt_fiber *to)
{
#if defined(__x86_64__)
	vt_fiber_swap(&from->f_sp, to->f_sp);
#else
	(void) swapcontext(&from->f_uc, &to->f_uc);
#endif
}

#ifdef VT_FIBER_ASAN
/*
 * ASan's view of a switch.  Before it: __sanitizer_start_switch_fiber with
 * the stack about to run, saving the leaving fiber's fake stack in its
 * f_asan_fake (NULL there instead: the fake stack is freed, for a fiber
 * that never runs again).  After it, first thing on the new stack:
 * __sanitizer_finish_switch_fiber with the arriving fiber's saved fake
 * stack (NULL at a fiber's first entry: ASan makes it a new one), which
 * also hands back the bounds of the stack just left; they are stored in
 * the fiber that left (fiber_from), which is how the main context's bounds,
 * never given to vt_fiber_init_main, become known before anybody switches
 * back to it.  No instrumented code with stack objects may run between the
 * two calls, so switch_in/switch_out have none.
 */
static _Thread_local struct vt_fiber *fiber_from;	/* the one leaving */
static _Thread_local struct vt_fiber fiber_reaper;	/* vt_fiber_destroy's */

static void
asan_switch_out(struct vt_fiber *from, struct vt_fiber *to)
{
	fiber_from = from;
	__sanitizer_start_switch_fiber(&from->f_asan_fake, to->f_asan_bottom,
	    to->f_asan_size);
}

/* Back on self's stack (first entry: fake NULL). */
static void
asan_switch_in(struct vt_fiber *self, void *fake)
{
	struct vt_fiber *prev = fiber_from;

	__sanitizer_finish_switch_fiber(fake, &prev->f_asan_bottom,
	    &prev->f_asan_size);
	if (self->f_asan_die) {
		/*
		 * vt_fiber_destroy resumed us only to free our fake stack:
		 * leave with NULL (ASan frees it) and never come back.
		 */
		self->f_asan_fake = NULL;
		fiber_from = self;
		__sanitizer_start_switch_fiber(NULL, prev->f_asan_bottom,
		    prev->f_asan_size);
		swap_to(self, prev);
		abort();
	}
}
#endif

/* First code run on a new fiber's stack. */
void
vt_fiber_start(struct vt_fiber *f)
{
#ifdef VT_FIBER_ASAN
	asan_switch_in(f, NULL);
#endif
	f->f_fn(f->f_arg);
	abort();		/* a fiber body must switch away, never return */
}

#if !defined(__x86_64__)
static void
uc_trampoline(unsigned hi, unsigned lo)
{
	vt_fiber_start((struct vt_fiber *)(((uintptr_t)hi << 32) | lo));
}
#endif

void
vt_fiber_init_main(struct vt_fiber *f)
{
	memset(f, 0, sizeof (*f));
#ifdef VT_FIBER_TSAN
	f->f_tsan = __tsan_get_current_fiber();
#endif
}

int
vt_fiber_create(struct vt_fiber *f, size_t stack_size, void (*fn)(void *),
    void *arg)
{
	void *stk;

	memset(f, 0, sizeof (*f));
	stack_size = (stack_size + 4095) & ~(size_t)4095;
	stk = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stk == MAP_FAILED)
		return (-1);
	/* Lowest page is a guard against overflow. */
	(void) mprotect(stk, 4096, PROT_NONE);
	f->f_stack = stk;
	f->f_stack_size = stack_size;
	f->f_asan_bottom = (char *)stk + 4096;
	f->f_asan_size = stack_size - 4096;
#ifdef VT_FIBER_ASAN
	/* The shadow may still hold a dead mapping's poison. */
	__asan_unpoison_memory_region(stk, stack_size);
#endif
#ifdef VT_FIBER_VALGRIND
	f->f_valgrind = VALGRIND_STACK_REGISTER((char *)stk + 4096,
	    (char *)stk + stack_size);
#endif
	f->f_fn = fn;
	f->f_arg = arg;
#if defined(__x86_64__)
	{
		uint64_t *sp = (uint64_t *)((char *)stk + stack_size);

		/*
		 * After the first swap's ret, %rsp is the 16-aligned top, so
		 * the call in vt_fiber_entry enters vt_fiber_start with the
		 * ABI's alignment (%rsp + 8 a multiple of 16).
		 */
		*--sp = (uint64_t)(uintptr_t)vt_fiber_entry;	/* return address */
		*--sp = 0;				/* rbp */
		*--sp = 0;				/* rbx */
		*--sp = (uint64_t)(uintptr_t)f;		/* r12: the fiber */
		*--sp = 0;				/* r13 */
		*--sp = 0;				/* r14 */
		*--sp = 0;				/* r15 */
		*--sp = ((uint64_t)0x037f << 32) | 0x1f80;	/* fpu cw | mxcsr */
		f->f_sp = sp;
	}
#else
	if (getcontext(&f->f_uc) != 0)
		return (-1);
	f->f_uc.uc_stack.ss_sp = (char *)stk + 4096;
	f->f_uc.uc_stack.ss_size = stack_size - 4096;
	f->f_uc.uc_link = NULL;
	makecontext(&f->f_uc, (void (*)(void))uc_trampoline, 2,
	    (unsigned)((uintptr_t)f >> 32), (unsigned)(uintptr_t)f);
#endif
#ifdef VT_FIBER_TSAN
	f->f_tsan = __tsan_create_fiber(0);
#endif
	return (0);
}

void
vt_fiber_switch(struct vt_fiber *from, struct vt_fiber *to)
{
#ifdef VT_FIBER_TSAN
	__tsan_switch_to_fiber(to->f_tsan, 0);
#endif
#ifdef VT_FIBER_ASAN
	asan_switch_out(from, to);
#endif
	swap_to(from, to);
#ifdef VT_FIBER_ASAN
	asan_switch_in(from, from->f_asan_fake);
#endif
}

void
vt_fiber_destroy(struct vt_fiber *f)
{
#ifdef VT_FIBER_TSAN
	if (f->f_stack != NULL && f->f_tsan != NULL)
		__tsan_destroy_fiber(f->f_tsan);
#endif
#ifdef VT_FIBER_ASAN
	if (f->f_stack != NULL && f->f_asan_fake != NULL) {
		/*
		 * f is suspended in its last switch (done, or abandoned by a
		 * deadlock/stop/budget) holding a fake stack: resume it once
		 * so that it leaves with NULL and ASan frees the fake stack.
		 */
		vt_fiber_init_main(&fiber_reaper);
		f->f_asan_die = 1;
		vt_fiber_switch(&fiber_reaper, f);
	}
	/* Frames abandoned on f's stack leave their redzones poisoned. */
	if (f->f_stack != NULL)
		__asan_unpoison_memory_region(f->f_stack, f->f_stack_size);
#endif
#ifdef VT_FIBER_VALGRIND
	if (f->f_stack != NULL)
		VALGRIND_STACK_DEREGISTER(f->f_valgrind);
#endif
	if (f->f_stack != NULL)
		(void) munmap(f->f_stack, f->f_stack_size);
	memset(f, 0, sizeof (*f));
}
