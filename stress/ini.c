/*
 * ini.c - options from an INI scenario file (`-f FILE.ini`, fio style):
 * [global] holds `option = value` lines (option names, '_' or '-', and
 * `scenario = NAME` when the command line names none), and a section
 * named after a role holds `count = N`.  Options given on the command line
 * override the file's.
 *
 * Harness code (not ported).  The file must be a regular text file of at
 * most VT_INI_MAX bytes; every error names file:line.
 */
#include "config_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "engine.h"
#include "run.h"

#define VT_INI_MAX	(1 << 20)

struct ini_ctx {
	struct vt_config *c;		/* NULL: only look for `scenario` */
	const char	*path;
	const char	*text;		/* the whole file, NUL-terminated */
	size_t		pos;
	int		line;		/* of the line inih is handling */
	bool		failed;
	char		scenario[64];	/* [global] scenario = NAME */
	char		**keep;		/* values kept for the run */
	size_t		nkeep;
};

/* inih's line reader over the in-memory file, counting lines. */
static char *
reader(char *str, int num, void *stream)
{
	struct ini_ctx *x = stream;
	size_t n = 0;

	if (x->text[x->pos] == '\0' || num < 2)
		return (NULL);
	while (x->text[x->pos] != '\0' && n + 1 < (size_t)num) {
		char ch = x->text[x->pos++];

		str[n++] = ch;
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	x->line++;
	return (str);
}

/* Is `name` a flag (an option without argument) of c's run? */
static bool
is_flag(const struct vt_config *c, const char *name)
{
	const struct vt_subsys_ops *ss;
	const struct vt_param *p;
	const void *block;

	for (size_t i = 0; (p = vt_config_param_at(c, i, &block, &ss)) != NULL;
	    i++)
		if (strcmp(p->name, name) == 0)
			return (p->kind == VT_P_BOOL);
	return (false);
}

static char *
keep(struct ini_ctx *x, const char *value)
{
	char **k = realloc(x->keep, (x->nkeep + 1) * sizeof (*k));
	char *v;

	if (k == NULL)
		return (NULL);
	x->keep = k;
	if ((v = strdup(value)) == NULL)
		return (NULL);
	x->keep[x->nkeep++] = v;
	return (v);
}

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *x = user;
	char key[64], where[320];
	const char *val;
	bool global = section[0] == '\0' || strcmp(section, "global") == 0;
	int r;

	if (x->failed)
		return (0);
	snprintf(key, sizeof (key), "%s", name);
	for (char *k = key; *k != '\0'; k++)
		if (*k == '_')
			*k = '-';
	snprintf(where, sizeof (where), "%s:%d: ", x->path, x->line);
	if (global && strcmp(key, "scenario") == 0) {
		if (x->c == NULL)
			snprintf(x->scenario, sizeof (x->scenario), "%s", value);
		else if (strcmp(value, x->c->scenario) != 0) {
			vt_usage_err("%sscenario %s, but the run is of %s", where,
			    value, x->c->scenario);
			goto bad;
		}
		return (1);
	}
	if (x->c == NULL)
		return (1);
	/* Values must outlive the parse: kept for the run. */
	if ((val = keep(x, value != NULL ? value : "")) == NULL) {
		vt_usage_err("%sout of memory", where);
		goto bad;
	}
	if (global) {
		if (vt_config_set(x->c, key, is_flag(x->c, key) && *val == '\0' ?
		    NULL : val, where) != 0)
			goto bad;
		return (1);
	}
	if (strcmp(key, "count") != 0) {
		vt_usage_err("%s[%s] %s: unknown key (a role's section takes "
		    "count = N)", where, section, name);
		goto bad;
	}
	if ((r = vt_config_role_index(x->c, section)) < 0) {
		vt_usage_err("%s[%s]: no such role in scenario %s", where,
		    section, x->c->scenario);
		goto bad;
	}
	vt_usage_prefix(where);
	if (vt_config_set_role(x->c, (uint32_t)r, val) != 0) {
		vt_usage_prefix(NULL);
		goto bad;
	}
	vt_usage_prefix(NULL);
	return (1);
bad:
	x->failed = true;
	return (0);
}

/* Read path (a regular text file, bounded) into a NUL-terminated buffer. */
static char *
slurp(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		vt_usage_err("-f %s: cannot read the file: %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		vt_usage_err("-f %s: not a regular file", path);
		close(fd);
		return (NULL);
	}
	if (st.st_size > VT_INI_MAX) {
		vt_usage_err("-f %s: larger than %d bytes", path, VT_INI_MAX);
		close(fd);
		return (NULL);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		vt_usage_err("-f %s: out of memory", path);
		close(fd);
		return (NULL);
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	for (size_t i = 0; i < got; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\0' || (ch < 0x20 && ch != '\n' && ch != '\r' &&
		    ch != '\t')) {
			int line = 1;

			for (size_t j = 0; j < i; j++)
				line += buf[j] == '\n';
			vt_usage_err("%s:%d: not a text file (byte 0x%02x)", path,
			    line, ch);
			free(buf);
			return (NULL);
		}
	}
	return (buf);
}

/* Parse x->text as file path; 0 or -1 (message printed). */
static int
parse_text(struct ini_ctx *x, const char *path)
{
	int rc;

	x->path = path;
	rc = ini_parse_stream(reader, x, ini_cb, x);
	if (x->failed)
		return (-1);
	if (rc > 0) {
		vt_usage_err("%s:%d: syntax error (expected [section], "
		    "key = value or a ; comment)", path, rc);
		return (-1);
	}
	if (rc < 0) {
		vt_usage_err("-f %s: cannot parse the file", path);
		return (-1);
	}
	return (0);
}

/* Parse path with x (x->c set or not); 0 or -1 (message printed). */
static int
parse(struct ini_ctx *x, const char *path)
{
	int rc;

	if ((x->text = slurp(path)) == NULL)
		return (-1);
	rc = parse_text(x, path);
	free((void *)(uintptr_t)x->text);
	x->text = NULL;
	return (rc);
}

/* The file's checks (text, no control bytes) on a buffer; 0 or -1. */
static int
check_text(const char *name, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\0' || (ch < 0x20 && ch != '\n' && ch != '\r' &&
		    ch != '\t')) {
			vt_usage_err("%s: not a text file (byte 0x%02x)", name,
			    ch);
			return (-1);
		}
	}
	return (0);
}

int
vt_config_load_ini_text(struct vt_config *c, const char *name,
    const char *text, size_t len)
{
	static struct ini_ctx x;	/* kept values live until the next call */
	char *copy;
	int rc;

	/*
	 * The values the last call kept (the fuzz target calls this for
	 * every input: kept for ever they grow without bound).
	 */
	for (size_t i = 0; i < x.nkeep; i++)
		free(x.keep[i]);
	free(x.keep);
	x.keep = NULL;
	x.nkeep = 0;
	if (len > VT_INI_MAX || check_text(name, text, len) != 0)
		return (-1);
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	x.c = c;
	x.pos = 0;
	x.line = 0;
	x.failed = false;
	x.text = copy;
	rc = parse_text(&x, name);
	x.text = NULL;
	free(copy);
	return (rc);
}

int
vt_config_load_ini(struct vt_config *c, const char *path)
{
	static struct ini_ctx x;	/* its kept values live for the run */

	x.c = c;
	x.pos = 0;
	x.line = 0;
	x.failed = false;
	return (parse(&x, path));
}

int
vt_config_ini_scenario(const char *path, char *buf, size_t len)
{
	struct ini_ctx x;

	memset(&x, 0, sizeof (x));
	if (parse(&x, path) != 0)
		return (-1);
	if (x.scenario[0] == '\0') {
		vt_usage_err("-f %s: names no scenario (add `scenario = NAME` "
		    "to [global], or give it on the command line)", path);
		return (-1);
	}
	snprintf(buf, len, "%s", x.scenario);
	return (0);
}
