/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share: libFuzzer's two
 * entry points (declared here, so every target defines them with a
 * prototype in scope), silencing the harness's own messages, and turning
 * the fuzz input into an argument vector.
 *
 * Built only with -Dfuzz=true (clang; see tests/fuzz/meson.build).
 */
#ifndef VT_TESTS_FUZZ_H
#define VT_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Bounds of vt_fuzz_argv: words per input and bytes per word. */
#define VT_FUZZ_MAX_WORDS	64
#define VT_FUZZ_MAX_WORD	256

/* libFuzzer's entry points (each target defines both). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Send what the parser prints (usage errors on stderr, --help on stdout)
 * to /dev/null.  Only the stdio streams are replaced: libFuzzer keeps the
 * FILE it took at start-up and the sanitizers write to fd 2, so their
 * reports and statistics still show.  Call once, from LLVMFuzzerInitialize.
 */
void vt_fuzz_quiet(void);

/*
 * Split data into words at NUL and newline bytes (empty words kept, so an
 * empty argument can be expressed; at most VT_FUZZ_MAX_WORDS words, each
 * cut at VT_FUZZ_MAX_WORD bytes).  Every word is a malloc'd string of its
 * exact size, so ASan sees a parser reading past one.  Returns the
 * NULL-terminated vector (vt_fuzz_argv_free), *argcp its length; NULL if
 * out of memory.
 */
char **vt_fuzz_argv(const uint8_t *data, size_t size, int *argcp);
void vt_fuzz_argv_free(char **argv);

#endif /* VT_TESTS_FUZZ_H */
