/*
 * ini.c - options from an INI file (`-f FILE.ini`, fio style): [global]
 * holds `option = value` lines (option names, '_' or '-'), and a section
 * named after a role holds `count = N`.
 *
 * Harness code (not ported).
 */
#include "config_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "engine.h"

struct ini_ctx {
	struct vt_config *c;
	const char	*path;
	bool		failed;
};

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

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *x = user;
	char key[64], where[320];
	char *val;
	int r;

	if (x->failed)
		return (0);
	/* Values must outlive the parse: kept (not freed) for the run. */
	val = strdup(value != NULL ? value : "");
	if (val == NULL)
		return (0);
	snprintf(key, sizeof (key), "%s", name);
	for (char *k = key; *k != '\0'; k++)
		if (*k == '_')
			*k = '-';

	if (section[0] == '\0' || strcmp(section, "global") == 0) {
		snprintf(where, sizeof (where), "%s: [global] ", x->path);
		if (vt_config_set(x->c, key, is_flag(x->c, key) && *val == '\0' ?
		    NULL : val, where) != 0)
			goto bad;
		return (1);
	}
	if (strcmp(key, "count") != 0 && strcmp(key, "threads") != 0 &&
	    strcmp(key, "workers") != 0) {
		vt_usage_err("%s: [%s] %s: unknown key (count)", x->path,
		    section, name);
		goto bad;
	}
	if ((r = vt_config_role_index(x->c, section)) < 0) {
		vt_usage_err("%s: [%s]: no such role in scenario %s",
		    x->path, section, x->c->scenario);
		goto bad;
	}
	if (vt_config_set_role(x->c, (uint32_t)r, val) != 0)
		goto bad;
	return (1);
bad:
	x->failed = true;
	free(val);
	return (0);
}

int
vt_config_load_ini(struct vt_config *c, const char *path)
{
	struct ini_ctx x = { .c = c, .path = path };
	int rc;

	rc = ini_parse(path, ini_cb, &x);
	if (rc < 0) {
		vt_usage_err("-f %s: cannot read the file", path);
		return (-1);
	}
	if (x.failed)
		return (-1);
	if (rc > 0) {
		vt_usage_err("-f %s: line %d: syntax error", path, rc);
		return (-1);
	}
	return (0);
}
