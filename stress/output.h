/*
 * output.h - files a run writes (--json, --trace, shrink's schedule):
 * checked before the run starts, written whole or not at all.
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_OUTPUT_H
#define VT_STRESS_OUTPUT_H

#include <stddef.h>

/*
 * Can path be written as the output of option opt ("--json")?  It must be
 * a regular file or not exist yet, in a directory where a file can be
 * created.  0, or -1 after one line on stderr naming the problem.
 */
int vt_output_check(const char *opt, const char *path);

/*
 * Replace path with data atomically: a temporary file in the same
 * directory, written, flushed and renamed over path, so a reader sees the
 * old file or the new one, never half of one.  0, or -1 after one line on
 * stderr (the temporary file is removed).
 */
int vt_output_write(const char *opt, const char *path, const char *data,
    size_t len);

/* Version and build of this binary ("0.1.0", "gcc 12.2.0, tsan"). */
const char *vt_version(void);
const char *vt_build(void);

#endif /* VT_STRESS_OUTPUT_H */
