/*
 * symbol.h - code addresses as source sites: "hment_steal:core/hment.c:960".
 *
 * Traces, the deadlock report and the flight-recorder dumps name schedule
 * points by the function and source line they are in.  The name depends only
 * on the binary's debug information, never on where the process was loaded
 * (ASLR), so it is the same in every run of one build.  Paths are relative to
 * the source tree.  Inline frames from locks/ (the atomics of atomic.h, lock
 * helpers) are skipped in favour of the code that used them.
 *
 * Harness code (not ported).  Results are cached per address; the lookup
 * takes a process-private mutex and may allocate, so it is not for a signal
 * handler that interrupted malloc.  Without debug information a site reads
 * "function+0xOFF", and without a symbol "pc+0xOFF" (offset in the binary).
 */
#ifndef VT_STRESS_SYMBOL_H
#define VT_STRESS_SYMBOL_H

/*
 * The site of pc, a return address (the call before it is what is named),
 * as a string that stays valid until the process ends; "-" for NULL.
 */
const char *vt_symbol_site(const void *pc);

#endif /* VT_STRESS_SYMBOL_H */
