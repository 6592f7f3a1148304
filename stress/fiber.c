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

/* First code run on a new fiber's stack. */
void
vt_fiber_start(struct vt_fiber *f)
{
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
#if defined(__x86_64__)
	vt_fiber_swap(&from->f_sp, to->f_sp);
#else
	(void) swapcontext(&from->f_uc, &to->f_uc);
#endif
}

void
vt_fiber_destroy(struct vt_fiber *f)
{
#ifdef VT_FIBER_TSAN
	if (f->f_stack != NULL && f->f_tsan != NULL)
		__tsan_destroy_fiber(f->f_tsan);
#endif
	if (f->f_stack != NULL)
		(void) munmap(f->f_stack, f->f_stack_size);
	memset(f, 0, sizeof (*f));
}
