/*
 * trace.h - trace and schedule files of controlled runs: the one writer
 * (`run --trace`, `shrink`'s schedules) and the one reader (`run
 * --schedule`, `replay`, `shrink`).
 *
 * A trace records the schedule as its decisions, which is what a replay
 * needs, plus a bounded tail for a person to read:
 *
 *   # vmtorture run SCENARIO --seed S ...	the command (always line 1)
 *   # ...					comments: the format, notes
 *   0 0 start - - -> W				step 0: worker W runs first
 *   STEP WHO POINT OBJECT SITE -> NEXT		one line per context switch
 *   # tail: ...				the last N points, every one
 *   # STEP WHO POINT OBJECT SITE -> NEXT	(as comments: not replayed)
 *   # end: done at step N ...; trace hash H
 *
 * STEP counts schedule points from 1; WHO is the worker that reached
 * point STEP and NEXT the one that runs after it (worker ids from 1).
 * POINT is the point's kind (lock, trylock, unlock, cv_wait, cv_wake,
 * atomic, racy, yield), "block" (WHO cannot go on: it waits on OBJECT) or
 * "end" (WHO has finished; STEP is then its last point's).  OBJECT is a
 * mutex's name ("mlist_lock[37]"), what a block waits on, or "-".  SITE
 * is function:file:line of the point ("-" if unknown).  A point where the
 * running worker goes on is not a line: replay continues the worker that
 * runs unless a line says otherwise.  With `--trace-all` every point is a
 * line (WHO == NEXT where nothing switched); the reader skips those.
 *
 * Only STEP, WHO, the POINT "end" and NEXT matter to the reader; a schedule
 * file (from shrink, or written by hand) is any subset of a trace's switch
 * lines under the same header.  Lines starting with '#' and blank lines
 * are ignored.  The trace hash of a run covers every decision, listed or
 * not, and no site, so it is the same with and without a trace and in every
 * build.
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_TRACE_H
#define VT_STRESS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../locks/sched_point.h"

/* ---- writer ---- */

enum vt_trace_label {
	VT_TRACE_POINT = 0,	/* a schedule point of its kind */
	VT_TRACE_BLOCK,		/* WHO blocks on obj (`what`) */
	VT_TRACE_END,		/* WHO has finished */
	VT_TRACE_START,		/* step 0: who runs first (WHO 0) */
};

/* One decision, as the scheduler passes it (pointers valid for the call). */
struct vt_trace_point {
	uint64_t	step;
	uint32_t	who, next;	/* worker ids; who 0 at the start */
	enum vt_sp_kind	kind;
	enum vt_trace_label label;
	const void	*obj;		/* lock kinds: the kmutex_t; block: its object */
	const char	*what;		/* block: "mutex", "cv", "rwlock", ... */
	const void	*pc;		/* the site as a return address, or NULL */
};

struct vt_trace_opts {
	uint32_t	tail;		/* points kept for the tail (0: no tail) */
	bool		all;		/* --trace-all: every point is a line */
	/*
	 * Keep the switch lines in memory and write them only if the run
	 * fails (pct's k-learning pass: its schedule matters only then).
	 */
	bool		deferred;
	const char	*note;		/* one more header comment, or NULL */
};

struct vt_trace;

/*
 * Create path and write the header (cmdline is "vmtorture run ...").
 * NULL after a one-line message on stderr if it cannot be written.
 */
struct vt_trace *vt_trace_open(const char *path, const char *cmdline,
    const struct vt_trace_opts *o);

/* Every decision, in order.  Cheap unless it is a line. */
void vt_trace_point(struct vt_trace *t, const struct vt_trace_point *p);

/*
 * The run is over: write the tail (and, deferred, the switches if failed)
 * and the end line "# end: HOW at step N ...", and close.  0, or -1 after
 * a message if the file could not be completed.
 */
int vt_trace_close(struct vt_trace *t, bool failed, const char *how,
    uint64_t steps, uint64_t hash);

/*
 * Failure path (the process ends next, without exit handlers): the same
 * as vt_trace_close(t, true, ...) but the stream is only flushed, not
 * freed, so a second call does nothing.
 */
void vt_trace_fail(struct vt_trace *t, const char *check, uint64_t step,
    uint64_t hash);

/* ---- reader ---- */

struct vt_trace_switch {
	uint64_t	step;
	uint32_t	who, next;	/* worker ids */
	bool		end;		/* at WHO's end, not at point STEP */
	uint32_t	line;		/* line number in the file */
	char		*text;		/* the line itself (VT_TRACE_KEEP_TEXT), else NULL */
};

struct vt_trace_file {
	const char	*path;
	char		**cmd;		/* header words: "vmtorture" "run" SCENARIO ...; NULL if none */
	int		ncmd;
	uint32_t	cmd_line;	/* its line number (0: no header) */
	struct vt_trace_switch *sw;	/* the switches (WHO != NEXT), in order */
	size_t		nsw;
};

/* Longest line a trace or schedule file may have. */
#define VT_TRACE_LINE_MAX	4096

/* vt_trace_read flags. */
#define VT_TRACE_KEEP_TEXT	0x1	/* keep each switch line's text (rewriting) */
#define VT_TRACE_HEADER_ONLY	0x2	/* stop at the first switch line */

/*
 * Read path.  0, or -1 after one line "vmtorture: FILE:LINE: problem" (or
 * "vmtorture: FILE: problem") on stderr.
 */
int vt_trace_read(const char *path, int flags, struct vt_trace_file *f);
void vt_trace_file_free(struct vt_trace_file *f);

/*
 * Write a schedule: the header (cmdline), the format comment, note (if
 * not NULL), then the switches of f flagged in keep (NULL: all) as they
 * were read (f read with VT_TRACE_KEEP_TEXT).  0, or -1 after a message.
 */
int vt_trace_write_schedule(const char *path, const char *cmdline,
    const char *note, const struct vt_trace_file *f, const bool *keep);

#endif /* VT_STRESS_TRACE_H */
