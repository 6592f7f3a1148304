/*
 * child.h - child runs for hunt and shrink: `vmtorture run ...` started from
 * a parsed configuration, waited for (with an optional timeout), and its
 * result read from the JSON report it writes (--json), never from its text.
 *
 * Harness code (not ported).  A child's stdin is /dev/null; its stdout and
 * stderr go to files in a private temporary directory, kept only so that a
 * usage error can be passed on (the child's first stderr line).
 */
#ifndef VT_STRESS_CHILD_H
#define VT_STRESS_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* Exit code of a child killed by its --timeout (as timeout(1) says). */
#define VT_CHILD_TIMEOUT	124

/* One child run: its files (under a directory) and its process. */
struct vt_child {
	pid_t		pid;		/* 0: not running */
	pid_t		spawned;	/* the pid it was started as, kept after
					   it is reaped: names its own
					   JSON.vt-tmp.PID / .vt-check.PID */
	char		out[4096], err[4096], json[4096];
	double		started;	/* vt_child_now() at the start */
	double		timeout;	/* vt_child_wait_any kills it after this
					   many seconds (0: never) */
	bool		timedout;	/* it did: its code is VT_CHILD_TIMEOUT */
};

/* What a finished child reported. */
struct vt_child_result {
	int		code;		/* exit code; 128 + signal; VT_CHILD_TIMEOUT */
	bool		have_json;	/* its JSON report was read */
	bool		failed;		/* "result": "fail" */
	char		check[64];	/* failure.check, or from the exit code */
	char		message[800];	/* failure.message */
	char		replay[2048];	/* failure.replay */
	uint64_t	step;		/* failure.step (controlled), else 0 */
	uint64_t	steps;		/* schedule.steps */
	char		trace_hash[24];	/* schedule.trace_hash, or "" */
};

/* Monotonic seconds (timeouts and rates only). */
double vt_child_now(void);
void vt_child_sleep_ms(long ms);

/*
 * A private directory for the children's files; -1 after a message.  From
 * then on SIGINT/SIGTERM kills every child started and not yet cleaned up,
 * removes their files, the noted files and the directory, and exits with
 * 128 + the signal.  vt_child_rmdir removes it at the end.
 */
int vt_child_tmpdir(char *dir, size_t len);
void vt_child_rmdir(const char *dir);
/* Note (add) or forget a file of the directory the cleanup must remove. */
void vt_child_note_file(const char *path, bool add);

/*
 * Name the child's files DIR/NAME.out, .err, .json.  0, or -1 if the
 * names do not fit.
 */
int vt_child_files(struct vt_child *k, const char *dir, const char *name);

/*
 * Start `vmtorture run ...` for c (the replay options of c, plus --json
 * k->json and -q; c's own json/tap/quiet are replaced).  0, or -1 after a
 * message.
 */
int vt_child_start(struct vt_child *k, const struct vt_config *c);

/* The exit code of a wait status: 128 + signal for a signal death. */
int vt_child_exit_code(int status);

/*
 * Read the result of k, which exited with code (VT_CHILD_TIMEOUT when it
 * was killed for its timeout), from its JSON report.  Without a report the
 * check says what the exit code means ("hang", "timeout", "signal 9", ...).
 */
void vt_child_result(const struct vt_child *k, int code,
    struct vt_child_result *r);

/*
 * Run c in a child to its end (killed after timeout seconds if > 0) and
 * read its result.  r->code -1: it could not be started (message printed).
 */
void vt_child_run(struct vt_child *k, const struct vt_config *c,
    double timeout, struct vt_child_result *r);

/* The first line of the child's stderr (its usage error), or "". */
void vt_child_first_error(const struct vt_child *k, char *buf, size_t len);

/*
 * Wait for one of the n children in kids (pid 0: a free slot) to end,
 * killing each one that has run past its timeout.  Returns its index with
 * *code its exit code (VT_CHILD_TIMEOUT when it was killed for its
 * timeout) and its pid set to 0; -1 when none is running or waitpid
 * failed (message printed).  A child of another caller is reaped and
 * ignored.
 */
int vt_child_wait_any(struct vt_child *const *kids, size_t n, int *code);

/* Remove the child's files. */
void vt_child_cleanup(const struct vt_child *k);

/*
 * Command-line words of hunt and shrink: their own options are taken out,
 * the rest are run options for the children.  Is argv[*i] the option name
 * (--name VALUE or --name=VALUE)?  If so *val is its value (NULL when
 * missing) and *i moves past it.
 */
bool vt_child_take_opt(int argc, char **argv, int *i, const char *name,
    const char **val);
/* Is word a the option name, in either spelling (its value not taken)? */
bool vt_child_is_opt(const char *a, const char *name);

/* "A-B" or "A" into *lo, *hi (A <= B).  0, or -1 if malformed. */
int vt_child_parse_range(const char *s, uint64_t *lo, uint64_t *hi);

/* Words w (NULL-terminated) joined with single spaces into out. */
void vt_child_join_words(const char *const *w, char *out, size_t len);

/*
 * Split line in place at spaces into at most max - 1 words (w ends with
 * NULL); a leading "vmtorture run" is dropped, so a printed replay line
 * gives SCENARIO and its options.  Returns the number of words.
 */
int vt_child_split_replay(char *line, const char **w, int max);

#endif /* VT_STRESS_CHILD_H */
