/*
 * trace.c - the trace/schedule file writer and reader (format: trace.h).
 *
 * Harness code (not ported).  The writer sees every decision of a controlled
 * run (tens of millions a second), so the common case, a point where the
 * running worker goes on, only fills a slot of the tail ring.  A slot keeps
 * what naming needs later (a mutex's class and index, not the mutex: it may
 * be freed by the time the tail is written); sites stay code addresses until
 * a line is printed.
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../locks/kmutex.h"
#include "run.h"
#include "symbol.h"

#define TRACE_BUFSZ	(1 << 20)
#define MAX_TOKENS	32

/* One decision as the tail and the lines print it. */
struct entry {
	uint64_t	step;
	const void	*pc;
	const struct vt_lock_class *cls;	/* a mutex's class, or NULL */
	const char	*what;			/* a block's object kind */
	uint32_t	idx;			/* the mutex's index */
	uint16_t	who, next;
	uint8_t		kind, label;
};

/*
 * A switch of a deferred trace, packed (a k-learning pass may switch
 * millions of times): no object (the mutex may be gone); the site as an
 * offset in the binary (0: unknown); who and next (9 bits each: ids up to
 * 256), kind (4 bits) and label (2 bits) in one word.
 */
struct held_switch {
	uint64_t	step;
	uint32_t	pc_off;
	uint32_t	packed;
};

extern char __executable_start;

struct vt_trace {
	FILE		*f;
	char		*path;
	char		*buf;		/* stdio buffer */
	struct vt_trace_opts o;
	struct entry	*ring;		/* o.tail slots */
	uint32_t	head;		/* next slot to fill */
	uint64_t	seen;		/* decisions passed */
	uint64_t	lines;		/* switch lines but the start (written or held) */
	struct held_switch *held;	/* deferred */
	size_t		nheld, capheld;
	bool		held_lost;	/* out of memory: the held list is cut */
	bool		finished;
};

/* ---- writer ---- */

static const char *
point_name(uint8_t kind, uint8_t label)
{
	switch (label) {
	case VT_TRACE_START:
		return ("start");
	case VT_TRACE_END:
		return ("end");
	case VT_TRACE_BLOCK:
		return ("block");
	default:
		return (vt_sp_kind_name((enum vt_sp_kind)kind));
	}
}

static void
object_name(const struct entry *e, char *buf, size_t len)
{
	if (e->cls != NULL) {
		/*
		 * vt_mutex_name reads only the class and the index, which
		 * were copied when the point passed.
		 */
		kmutex_t m;

		memset(&m, 0, sizeof (m));
		m.m_class = e->cls;
		m.m_index = e->idx;
		(void) vt_mutex_name(&m, buf, len);
	} else {
		snprintf(buf, len, "%s", e->what != NULL ? e->what : "-");
	}
}

static void
put_entry(FILE *f, const char *prefix, const struct entry *e)
{
	char obj[96];

	object_name(e, obj, sizeof (obj));
	fprintf(f, "%s%" PRIu64 " %u %s %s %s -> %u\n", prefix, e->step,
	    e->who, point_name(e->kind, e->label), obj,
	    vt_symbol_site(e->pc), e->next);
}

static void
put_format(FILE *f)
{
	fputs("# vmtorture trace: the schedule of the command above as its "
	    "decisions; `vmtorture replay FILE` runs it again.\n"
	    "# STEP WHO POINT OBJECT SITE -> NEXT: at schedule point STEP, "
	    "worker WHO reached POINT (lock, trylock,\n"
	    "#   unlock, cv_wait, cv_wake, atomic, racy, yield; block: WHO "
	    "waits on OBJECT; end: WHO has finished)\n"
	    "#   at SITE (function:file:line), and worker NEXT runs next.  "
	    "OBJECT: a mutex, what a block waits on, or -.\n"
	    "# Only switches (WHO != NEXT) are lines, unless --trace-all: "
	    "elsewhere the running worker goes on.\n"
	    "# Lines starting with '#' are not replayed: this header, the "
	    "tail (the last decisions, every one), the end.\n", f);
}

struct vt_trace *
vt_trace_open(const char *path, const char *cmdline,
    const struct vt_trace_opts *o)
{
	struct vt_trace *t = calloc(1, sizeof (*t));

	if (t == NULL)
		goto oom;
	t->o = *o;
	t->o.note = NULL;
	if (o->all)
		t->o.tail = 0;		/* every point is a line anyway */
	t->path = strdup(path);
	t->buf = malloc(TRACE_BUFSZ);
	if (t->o.tail > 0)
		t->ring = calloc(t->o.tail, sizeof (*t->ring));
	if (t->path == NULL || t->buf == NULL ||
	    (t->o.tail > 0 && t->ring == NULL))
		goto oom;
	t->f = fopen(path, "w");
	if (t->f == NULL) {
		fprintf(stderr, "vmtorture: --trace %s: cannot write: %s\n",
		    path, strerror(errno));
		goto fail;
	}
	setvbuf(t->f, t->buf, _IOFBF, TRACE_BUFSZ);
	fprintf(t->f, "# %s\n", cmdline);
	put_format(t->f);
	if (o->note != NULL)
		fprintf(t->f, "# %s\n", o->note);
	return (t);
oom:
	fprintf(stderr, "vmtorture: --trace %s: out of memory\n", path);
fail:
	if (t != NULL) {
		free(t->ring);
		free(t->buf);
		free(t->path);
		free(t);
	}
	return (NULL);
}

static void
hold(struct vt_trace *t, const struct entry *e)
{
	struct held_switch *h;
	uintptr_t off;

	if (t->held_lost)
		return;
	if (t->nheld == t->capheld) {
		size_t cap = t->capheld ? t->capheld * 2 : 4096;
		struct held_switch *n = realloc(t->held, cap * sizeof (*n));

		if (n == NULL) {
			t->held_lost = true;
			return;
		}
		t->held = n;
		t->capheld = cap;
	}
	h = &t->held[t->nheld++];
	h->step = e->step;
	off = (uintptr_t)e->pc - (uintptr_t)&__executable_start;
	h->pc_off = e->pc != NULL && off < UINT32_MAX ? (uint32_t)off : 0;
	h->packed = (uint32_t)(e->who & 0x1ff) |
	    (uint32_t)(e->next & 0x1ff) << 9 |
	    (uint32_t)(e->kind & 0xf) << 18 | (uint32_t)(e->label & 0x3) << 22;
}

void
vt_trace_point(struct vt_trace *t, const struct vt_trace_point *p)
{
	struct entry scratch, *e;

	if (t->o.tail == 0 && p->who == p->next && !t->o.all) {
		t->seen++;
		return;
	}
	if (t->o.tail > 0) {
		e = &t->ring[t->head];
		if (++t->head == t->o.tail)
			t->head = 0;
	} else {
		e = &scratch;
	}
	t->seen++;
	e->step = p->step;
	e->pc = p->pc;
	e->who = (uint16_t)p->who;
	e->next = (uint16_t)p->next;
	e->kind = (uint8_t)p->kind;
	e->label = (uint8_t)p->label;
	e->what = p->what;
	e->cls = NULL;
	if (p->obj != NULL && ((p->label == VT_TRACE_POINT &&
	    (p->kind == VT_SP_LOCK || p->kind == VT_SP_TRYLOCK ||
	    p->kind == VT_SP_UNLOCK)) || (p->label == VT_TRACE_BLOCK &&
	    p->what != NULL && strcmp(p->what, "mutex") == 0))) {
		const kmutex_t *m = p->obj;

		e->cls = m->m_class;
		e->idx = m->m_index;
	}
	if (p->who == p->next && !t->o.all)
		return;
	if (p->who != p->next && p->label != VT_TRACE_START)
		t->lines++;
	if (t->o.deferred)
		hold(t, e);
	else
		put_entry(t->f, "", e);
}

/* The tail, the held switches if they count, and the end line; flushed. */
static void
finish(struct vt_trace *t, bool failed, const char *how, uint64_t steps,
    uint64_t hash)
{
	uint32_t n;

	if (t->finished)
		return;
	t->finished = true;
	if (t->o.deferred && failed) {
		fprintf(t->f, "# the switches of pct's k-learning pass (random "
		    "strategy), where the run failed; no objects:\n");
		for (size_t i = 0; i < t->nheld; i++) {
			const struct held_switch *h = &t->held[i];
			uint32_t p = h->packed;

			fprintf(t->f, "%" PRIu64 " %u %s - %s -> %u\n", h->step,
			    p & 0x1ff, point_name((p >> 18) & 0xf,
			    (p >> 22) & 0x3), vt_symbol_site(h->pc_off == 0 ?
			    NULL : (const void *)((uintptr_t)
			    &__executable_start + h->pc_off)),
			    (p >> 9) & 0x1ff);
		}
		if (t->held_lost)
			fprintf(t->f, "# (out of memory: later switches "
			    "were not kept; the replay diverges there)\n");
	}
	n = t->seen < t->o.tail ? (uint32_t)t->seen : t->o.tail;
	if (n > 0) {
		uint32_t i = t->seen < t->o.tail ? 0 : t->head;

		fprintf(t->f, "# tail: the last %u of %" PRIu64 " decisions, "
		    "every one (WHO == NEXT: no switch):\n", n, t->seen);
		for (uint32_t k = 0; k < n; k++) {
			put_entry(t->f, "# ", &t->ring[i]);
			if (++i == t->o.tail)
				i = 0;
		}
	}
	fprintf(t->f, "# end: %s at step %" PRIu64 "; %" PRIu64 " switch "
	    "lines; trace hash %016" PRIx64 "\n", how, steps, t->lines,
	    hash);
	fflush(t->f);
}

int
vt_trace_close(struct vt_trace *t, bool failed, const char *how,
    uint64_t steps, uint64_t hash)
{
	int rc = 0;

	if (t == NULL)
		return (0);
	finish(t, failed, how, steps, hash);
	if (ferror(t->f) || fclose(t->f) != 0) {
		fprintf(stderr, "vmtorture: --trace %s: write error\n", t->path);
		rc = -1;
	}
	free(t->held);
	free(t->ring);
	free(t->buf);
	free(t->path);
	free(t);
	return (rc);
}

void
vt_trace_fail(struct vt_trace *t, const char *check, uint64_t step,
    uint64_t hash)
{
	char how[96];

	if (t == NULL)
		return;
	snprintf(how, sizeof (how), "failed (%s)", check);
	finish(t, true, how, step, hash);
}

/* ---- reader ---- */

static int bad(const char *path, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line "vmtorture: FILE:LINE: message"; returns -1. */
static int
bad(const char *path, uint32_t line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof (msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmtorture: %s:%u: %s\n", path, line, msg);
	return (-1);
}

static int
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (vt_parse_u64(s, &v) != 0 || v > UINT32_MAX)
		return (-1);
	*out = (uint32_t)v;
	return (0);
}

/* Split s in place on blanks; returns the count (at most max). */
static int
split(char *s, char **tok, int max)
{
	char *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(s, " \t\r\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return (max + 1);
		tok[n++] = w;
	}
	return (n);
}

static int
read_header(struct vt_trace_file *f, const char *line, uint32_t lineno)
{
	char *copy = strdup(line + 2), *tok[512];
	int n;

	if (copy == NULL)
		return (bad(f->path, lineno, "out of memory"));
	n = split(copy, tok, 511);
	if (n > 511) {
		free(copy);
		return (bad(f->path, lineno, "header: too many words"));
	}
	f->cmd = calloc((size_t)n + 1, sizeof (char *));
	if (f->cmd == NULL) {
		free(copy);
		return (bad(f->path, lineno, "out of memory"));
	}
	for (int i = 0; i < n; i++)
		if ((f->cmd[i] = strdup(tok[i])) == NULL) {
			free(copy);
			return (bad(f->path, lineno, "out of memory"));
		}
	f->ncmd = n;
	f->cmd_line = lineno;
	free(copy);
	return (0);
}

static int
add_switch(struct vt_trace_file *f, size_t *cap,
    const struct vt_trace_switch *s)
{
	if (f->nsw == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct vt_trace_switch *n = realloc(f->sw, ncap * sizeof (*n));

		if (n == NULL)
			return (-1);
		f->sw = n;
		*cap = ncap;
	}
	f->sw[f->nsw++] = *s;
	return (0);
}

/* One non-comment line: "STEP WHO [POINT ...] -> NEXT". */
static int
read_switch(struct vt_trace_file *f, char *line, uint32_t lineno,
    bool keep_text, uint64_t *last, size_t *cap)
{
	struct vt_trace_switch s;
	char *tok[MAX_TOKENS], *text = NULL;
	int n;

	line[strcspn(line, "\r\n")] = '\0';
	if (keep_text && (text = strdup(line)) == NULL)
		return (bad(f->path, lineno, "out of memory"));
	n = split(line, tok, MAX_TOKENS);
	memset(&s, 0, sizeof (s));
	if (n < 4 || n > MAX_TOKENS || strcmp(tok[n - 2], "->") != 0) {
		free(text);
		return (bad(f->path, lineno, "expected a switch line "
		    "'STEP WHO POINT OBJECT SITE -> NEXT'"));
	}
	if (vt_parse_u64(tok[0], &s.step) != 0 || parse_u32(tok[1], &s.who) != 0) {
		free(text);
		return (bad(f->path, lineno, "STEP and WHO must be "
		    "numbers"));
	}
	if (parse_u32(tok[n - 1], &s.next) != 0 || s.next == 0) {
		free(text);
		return (bad(f->path, lineno, "NEXT '%s': expected a worker id "
		    "(1, 2, ...)", tok[n - 1]));
	}
	if (s.step < *last) {
		free(text);
		return (bad(f->path, lineno, "step %s is before the previous "
		    "line's (steps must not go down)", tok[0]));
	}
	*last = s.step;
	if (s.who == s.next) {
		free(text);		/* --trace-all: no switch */
		return (0);
	}
	s.end = n > 4 && strcmp(tok[2], "end") == 0;
	s.line = lineno;
	s.text = text;
	if (add_switch(f, cap, &s) != 0) {
		free(text);
		return (bad(f->path, lineno, "out of memory"));
	}
	return (0);
}

/* A line with control bytes other than tab, CR and the final newline. */
static bool
binary(const char *line)
{
	for (const unsigned char *s = (const unsigned char *)line; *s != '\0';
	    s++)
		if (*s < 0x20 && *s != '\t' && *s != '\r' && *s != '\n')
			return (true);
	return (false);
}

/* path opened for reading if it is a regular file, else NULL (message). */
static FILE *
open_regular(const char *path)
{
	struct stat st;
	FILE *in;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vmtorture: %s: cannot read: %s\n", path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "vmtorture: %s: not a regular file\n", path);
		close(fd);
		return (NULL);
	}
	if ((in = fdopen(fd, "r")) == NULL) {
		fprintf(stderr, "vmtorture: %s: cannot read: %s\n", path,
		    strerror(errno));
		close(fd);
	}
	return (in);
}

int
vt_trace_read(const char *path, int flags, struct vt_trace_file *f)
{
	bool keep_text = (flags & VT_TRACE_KEEP_TEXT) != 0;
	FILE *in;
	char *line = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	uint64_t last = 0;
	uint32_t lineno = 0;
	int rc = 0;

	memset(f, 0, sizeof (*f));
	f->path = path;
	if ((in = open_regular(path)) == NULL)
		return (-1);
	while (rc == 0 && (n = getline(&line, &len, in)) > 0) {
		const char *p = line;

		lineno++;
		if (n > VT_TRACE_LINE_MAX) {
			rc = bad(path, lineno, "line longer than %d bytes: not "
			    "a trace or schedule file", VT_TRACE_LINE_MAX);
			break;
		}
		if (memchr(line, '\0', (size_t)n) != NULL || binary(line)) {
			rc = bad(path, lineno, "binary data: not a trace or "
			    "schedule file");
			break;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (*p == '#') {
			if (f->cmd == NULL &&
			    strncmp(p, "# vmtorture run ", 16) == 0) {
				char *copy = strdup(p);

				if (copy == NULL) {
					rc = bad(path, lineno,
					    "out of memory");
					break;
				}
				copy[strcspn(copy, "\r\n")] = '\0';
				rc = read_header(f, copy, lineno);
				free(copy);
			}
			continue;
		}
		if (flags & VT_TRACE_HEADER_ONLY)
			break;
		rc = read_switch(f, line, lineno, keep_text, &last, &cap);
	}
	if (rc == 0 && ferror(in)) {
		fprintf(stderr, "vmtorture: %s: read error\n", path);
		rc = -1;
	}
	if (rc == 0 && lineno == 0) {
		fprintf(stderr, "vmtorture: %s: empty: not a trace or schedule "
		    "file\n", path);
		rc = -1;
	}
	free(line);
	fclose(in);
	if (rc != 0)
		vt_trace_file_free(f);
	return (rc);
}

void
vt_trace_file_free(struct vt_trace_file *f)
{
	for (int i = 0; i < f->ncmd; i++)
		free(f->cmd[i]);
	free(f->cmd);
	for (size_t i = 0; i < f->nsw; i++)
		free(f->sw[i].text);
	free(f->sw);
	f->cmd = NULL;
	f->ncmd = 0;
	f->sw = NULL;
	f->nsw = 0;
}

int
vt_trace_write_schedule(const char *path, const char *cmdline,
    const char *note, const struct vt_trace_file *f, const bool *keep)
{
	FILE *o = fopen(path, "w");

	if (o == NULL) {
		fprintf(stderr, "vmtorture: cannot write %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	fprintf(o, "# %s\n", cmdline);
	put_format(o);
	if (note != NULL)
		fprintf(o, "# %s\n", note);
	for (size_t i = 0; i < f->nsw; i++) {
		const struct vt_trace_switch *s = &f->sw[i];

		if (keep != NULL && !keep[i])
			continue;
		if (s->text != NULL)
			fprintf(o, "%s\n", s->text);
		else
			fprintf(o, "%" PRIu64 " %u %s - - -> %u\n", s->step,
			    s->who, s->end ? "end" : "switch", s->next);
	}
	if (ferror(o) | (fclose(o) != 0)) {
		fprintf(stderr, "vmtorture: cannot write %s\n", path);
		return (-1);
	}
	return (0);
}
