/*
 * child.c - starting, waiting for and reading child `vmtorture run`s (see
 * child.h).
 *
 * Harness code (not ported).  The child's command line is built from a
 * configuration (vt_config_argv), so it carries exactly the options in
 * force; its result comes from its --json report (json-c).  Wall-clock time
 * is read only for timeouts.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "run.h"


double
vt_child_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

void
vt_child_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * What a SIGINT/SIGTERM must clean up: the children started and not yet
 * cleaned up, the private directories and files noted in them.  The
 * handler uses only async-signal-safe calls (kill, waitpid, unlink, rmdir,
 * _exit) on these tables; the tables are written by the main thread with
 * the signals blocked.
 */
#define TRACK_MAX	512
#define DIRS_MAX	8
#define NOTES_MAX	16

static const struct vt_child *tracked[TRACK_MAX];
static const char *dirs[DIRS_MAX];
static const char *notes[NOTES_MAX];
static bool handlers_set;

static void
block_stops(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, old);
}

static void
put_slot(const void **tab, size_t n, const void *p, bool add)
{
	sigset_t old;

	block_stops(&old);
	for (size_t i = 0; i < n; i++) {
		if (add && tab[i] == NULL) {
			tab[i] = p;
			break;
		}
		if (!add && tab[i] == p)
			tab[i] = NULL;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * A child writes its JSON report through JSON.vt-tmp.PID and probes the
 * directory with JSON.vt-check.PID (stress/output.c); killed inside either
 * window it leaves that file behind.  Remove both.  Async-signal-safe
 * (strlen, memcpy and unlink only): the stop handler calls it.
 */
static void
unlink_child_temps(const char *json, pid_t pid)
{
	static const char *const infix[] = { ".vt-tmp.", ".vt-check." };
	char buf[4096 + 32], num[24];
	size_t jl = strlen(json), nl = 0;
	unsigned long v = (unsigned long)pid;

	if (pid <= 0 || jl + 10 + sizeof (num) >= sizeof (buf))
		return;
	do {
		num[sizeof (num) - 1 - nl++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < 2; i++) {
		size_t il = strlen(infix[i]);

		memcpy(buf, json, jl);
		memcpy(buf + jl, infix[i], il);
		memcpy(buf + jl + il, num + sizeof (num) - nl, nl);
		buf[jl + il + nl] = '\0';
		(void) unlink(buf);
	}
}

static void
on_stop(int sig)
{
	for (size_t i = 0; i < TRACK_MAX; i++) {
		const struct vt_child *k = tracked[i];

		if (k == NULL)
			continue;
		if (k->pid > 0) {
			(void) kill(k->pid, SIGKILL);
			(void) waitpid(k->pid, NULL, 0);
		}
		(void) unlink(k->out);
		(void) unlink(k->err);
		(void) unlink(k->json);
		unlink_child_temps(k->json, k->pid > 0 ? k->pid : k->spawned);
	}
	for (size_t i = 0; i < NOTES_MAX; i++)
		if (notes[i] != NULL)
			(void) unlink(notes[i]);
	for (size_t i = 0; i < DIRS_MAX; i++)
		if (dirs[i] != NULL)
			(void) rmdir(dirs[i]);
	_exit(128 + sig);
}

static void
set_handlers(void)
{
	struct sigaction sa;

	if (handlers_set)
		return;
	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_stop;
	sigfillset(&sa.sa_mask);
	(void) sigaction(SIGINT, &sa, NULL);
	(void) sigaction(SIGTERM, &sa, NULL);
	handlers_set = true;
}

void
vt_child_note_file(const char *path, bool add)
{
	put_slot((const void **)notes, NOTES_MAX, path, add);
}

void
vt_child_rmdir(const char *dir)
{
	(void) rmdir(dir);
	put_slot((const void **)dirs, DIRS_MAX, dir, false);
}

int
vt_child_tmpdir(char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if ((size_t)snprintf(dir, len, "%s/vmtorture-XXXXXX", t) >= len ||
	    mkdtemp(dir) == NULL) {
		fprintf(stderr, "vmtorture: cannot create a temporary directory "
		    "in %s: %s\n", t, strerror(errno));
		return (-1);
	}
	set_handlers();
	put_slot((const void **)dirs, DIRS_MAX, dir, true);
	return (0);
}

int
vt_child_files(struct vt_child *k, const char *dir, const char *name)
{
	memset(k, 0, sizeof (*k));
	if ((size_t)snprintf(k->out, sizeof (k->out), "%s/%s.out", dir,
	    name) >= sizeof (k->out) ||
	    (size_t)snprintf(k->err, sizeof (k->err), "%s/%s.err", dir,
	    name) >= sizeof (k->err) ||
	    (size_t)snprintf(k->json, sizeof (k->json), "%s/%s.json", dir,
	    name) >= sizeof (k->json)) {
		fprintf(stderr, "vmtorture: %s: path too long\n", dir);
		return (-1);
	}
	return (0);
}

/* The running binary, for the children. */
static const char *
self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0] != '\0')
		return (path);
	n = readlink("/proc/self/exe", path, sizeof (path) - 1);
	if (n <= 0)
		snprintf(path, sizeof (path), "/proc/self/exe");
	else
		path[n] = '\0';
	return (path);
}

int
vt_child_start(struct vt_child *k, const struct vt_config *c)
{
	posix_spawn_file_actions_t fa;
	struct vt_config cc = *c;
	char **words, **argv;
	int n, rc;

	cc.json = k->json;
	cc.quiet = true;
	cc.tap = false;
	words = vt_config_argv(&cc, false, true, &n);
	argv = words != NULL ? calloc((size_t)n + 2, sizeof (char *)) : NULL;
	if (argv == NULL) {
		vt_config_argv_free(words);
		fprintf(stderr, "vmtorture: out of memory\n");
		return (-1);
	}
	/* argv[0] is the binary, then "run", SCENARIO and the options. */
	argv[0] = (char *)(uintptr_t)self_exe();
	memcpy(argv + 1, words, (size_t)n * sizeof (char *));
	(void) unlink(k->json);		/* no stale report may pass for its own */
	put_slot((const void **)tracked, TRACK_MAX, k, false);
	put_slot((const void **)tracked, TRACK_MAX, k, true);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, k->out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, k->err,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawn(&k->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	vt_config_argv_free(words);
	if (rc != 0) {
		k->pid = 0;
		fprintf(stderr, "vmtorture: cannot start %s: %s\n", self_exe(),
		    strerror(rc));
		return (-1);
	}
	k->spawned = k->pid;
	k->started = vt_child_now();
	return (0);
}

int
vt_child_exit_code(int st)
{
	if (WIFEXITED(st))
		return (WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return (128 + WTERMSIG(st));
	return (VT_EXIT_INTERNAL);
}

static json_object *
member(json_object *o, const char *name)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, name, &v))
		return (NULL);
	return (v);
}

static void
copy_string(json_object *v, char *buf, size_t len)
{
	const char *s = v != NULL ? json_object_get_string(v) : NULL;

	snprintf(buf, len, "%s", s != NULL ? s : "");
}

void
vt_child_result(const struct vt_child *k, int code, struct vt_child_result *r)
{
	json_object *root, *fo, *so;

	memset(r, 0, sizeof (*r));
	r->code = code;
	root = code == VT_CHILD_TIMEOUT ? NULL :
	    json_object_from_file(k->json);
	if (root != NULL) {
		r->have_json = true;
		copy_string(member(root, "result"), r->check, sizeof (r->check));
		r->failed = strcmp(r->check, "fail") == 0;
		r->check[0] = '\0';
		fo = member(root, "failure");
		so = member(root, "schedule");
		copy_string(member(fo, "check"), r->check, sizeof (r->check));
		copy_string(member(fo, "message"), r->message,
		    sizeof (r->message));
		copy_string(member(fo, "replay"), r->replay, sizeof (r->replay));
		if (member(fo, "step") != NULL)
			r->step = json_object_get_uint64(member(fo, "step"));
		if (member(so, "steps") != NULL)
			r->steps = json_object_get_uint64(member(so, "steps"));
		copy_string(member(so, "trace_hash"), r->trace_hash,
		    sizeof (r->trace_hash));
		json_object_put(root);
	}
	if (r->check[0] != '\0' || code == VT_EXIT_PASS)
		return;
	/* No report (or none that names the check): say what the code means. */
	if (code == VT_CHILD_TIMEOUT)
		snprintf(r->check, sizeof (r->check), "timeout");
	else if (code == VT_EXIT_HANG)
		snprintf(r->check, sizeof (r->check), "hang");
	else if (code > 128)
		snprintf(r->check, sizeof (r->check), "signal %d", code - 128);
	else
		snprintf(r->check, sizeof (r->check), "exit %d", code);
}

void
vt_child_run(struct vt_child *k, const struct vt_config *c, double timeout,
    struct vt_child_result *r)
{
	int st, code = -1;

	memset(r, 0, sizeof (*r));
	r->code = -1;
	if (vt_child_start(k, c) != 0)
		return;
	for (;;) {
		pid_t p = waitpid(k->pid, &st, timeout > 0 ? WNOHANG : 0);

		if (p == k->pid) {
			code = vt_child_exit_code(st);
			break;
		}
		if (p < 0 && errno != EINTR) {
			fprintf(stderr, "vmtorture: waitpid: %s\n",
			    strerror(errno));
			k->pid = 0;
			return;
		}
		if (p == 0) {
			if (vt_child_now() >= k->started + timeout) {
				kill(k->pid, SIGKILL);
				(void) waitpid(k->pid, &st, 0);
				code = VT_CHILD_TIMEOUT;
				break;
			}
			vt_child_sleep_ms(2);
		}
	}
	k->pid = 0;
	vt_child_result(k, code, r);
}

void
vt_child_first_error(const struct vt_child *k, char *buf, size_t len)
{
	FILE *f = fopen(k->err, "r");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int
vt_child_wait_any(struct vt_child *const *kids, size_t n, int *code)
{
	for (;;) {
		bool any = false;
		int st;
		pid_t p;

		for (size_t j = 0; j < n; j++)
			any |= kids[j]->pid != 0;
		if (!any)
			return (-1);
		p = waitpid(-1, &st, WNOHANG);
		if (p < 0 && errno != EINTR) {
			fprintf(stderr, "vmtorture: waitpid: %s\n",
			    strerror(errno));
			return (-1);
		}
		for (size_t j = 0; p > 0 && j < n; j++) {
			if (kids[j]->pid != p)
				continue;
			kids[j]->pid = 0;
			*code = kids[j]->timedout ? VT_CHILD_TIMEOUT :
			    vt_child_exit_code(st);
			return ((int)j);
		}
		if (p > 0)
			continue;	/* not one of ours */
		for (size_t j = 0; j < n; j++) {
			struct vt_child *k = kids[j];

			if (k->pid != 0 && k->timeout > 0 && !k->timedout &&
			    vt_child_now() > k->started + k->timeout) {
				(void) kill(k->pid, SIGKILL);
				k->timedout = true;
			}
		}
		if (p == 0)
			vt_child_sleep_ms(2);
	}
}

void
vt_child_cleanup(const struct vt_child *k)
{
	(void) unlink(k->out);
	(void) unlink(k->err);
	(void) unlink(k->json);
	unlink_child_temps(k->json, k->spawned);
	put_slot((const void **)tracked, TRACK_MAX, k, false);
}

bool
vt_child_take_opt(int argc, char **argv, int *i, const char *name,
    const char **val)
{
	const char *a = argv[*i];
	size_t len = strlen(name);

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0)
		return (false);
	if (a[2 + len] == '=') {
		*val = a + 3 + len;
		return (true);
	}
	if (a[2 + len] != '\0')
		return (false);
	*val = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (*val != NULL)
		(*i)++;
	return (true);
}

bool
vt_child_is_opt(const char *a, const char *name)
{
	size_t len = strlen(name);

	return (strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, len) == 0 &&
	    (a[2 + len] == '\0' || a[2 + len] == '='));
}

int
vt_child_parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	const char *dash;

	if (s == NULL || strlen(s) >= sizeof (buf))
		return (-1);
	dash = strchr(s, '-');
	if (dash == NULL) {
		if (vt_parse_u64(s, lo) != 0)
			return (-1);
		*hi = *lo;
		return (0);
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (vt_parse_u64(buf, lo) != 0 || vt_parse_u64(dash + 1, hi) != 0 ||
	    *lo > *hi)
		return (-1);
	return (0);
}

void
vt_child_join_words(const char *const *w, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; w[i] != NULL && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "",
		    w[i]);
}

int
vt_child_split_replay(char *line, const char **w, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t != NULL && n < max - 1;
	    t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	w[n] = NULL;
	if (n >= 2 && strcmp(w[0], "vmtorture") == 0 &&
	    strcmp(w[1], "run") == 0) {
		memmove(w, w + 2, (size_t)(n - 1) * sizeof (*w));
		n -= 2;
	}
	return (n);
}
