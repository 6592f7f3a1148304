/*
 * cmdline.c - a configuration printed back: the command line of every
 * option in force (summaries), the replay line (options that differ from
 * the scenario's defaults), argument vectors for child runs, the "config"
 * object of the JSON report, and the option help.
 *
 * Harness code (not ported).
 */
#include "config_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "run.h"
#include "subsys.h"

/* Word sink for the command-line builders. */
struct words {
	char	**v;		/* argv mode: NULL-terminated, malloc'd */
	int	n, cap;
	bool	oom;
	char	*buf;		/* text mode */
	size_t	len, used;
};

static void
word(struct words *w, const char *s)
{
	if (w->buf != NULL) {
		if (w->used < w->len)
			w->used += (size_t)snprintf(w->buf + w->used,
			    w->len - w->used, "%s%s", w->used ? " " : "", s);
		return;
	}
	if (w->oom)
		return;
	if (w->n + 2 > w->cap) {
		int cap = w->cap ? w->cap * 2 : 64;
		char **v = realloc(w->v, (size_t)cap * sizeof (*v));

		if (v == NULL) {
			w->oom = true;
			return;
		}
		w->v = v;
		w->cap = cap;
	}
	if ((w->v[w->n] = strdup(s)) == NULL) {
		w->oom = true;
		return;
	}
	w->n++;
	w->v[w->n] = NULL;
}

/* Is p an option the line for c leaves out? */
static bool
skip(const struct vt_config *c, const struct vt_param *p, const void *block,
    const struct vt_subsys_ops *ss, bool outputs)
{
	if (vt_param_unset(p, block))
		return (true);
	if (ss == NULL && p->off == offsetof(struct vt_config, seed))
		return (true);		/* always first */
	if ((p->flags & VT_PF_OUTPUT) && (!outputs ||
	    (p->kind == VT_P_BOOL && !*(const bool *)(const void *)
	    ((const char *)block + p->off))))
		return (true);
	if ((p->flags & VT_PF_CTRL) && c->sched == VT_SCHED_FREE)
		return (true);
	if (ss == NULL && p->off == offsetof(struct vt_config, duration) &&
	    c->duration <= 0)
		return (true);
	if (ss == NULL && p->off == offsetof(struct vt_config, ops) &&
	    c->ops == 0)
		return (true);
	return (false);
}

/*
 * The words of c's command line after "vmtorture": run SCENARIO --seed S
 * and the options in force (all) or those that differ from the scenario's
 * defaults; outputs: also the output options that are set.
 */
static void
cmd_words(const struct vt_config *c, bool all, bool outputs, struct words *w)
{
	static struct vt_config base;	/* large: not on a worker's stack */
	const struct vt_subsys_ops *ss, *bss;
	const struct vt_param *p;
	const void *block, *bblock;
	char v[160], opt[96];

	if (c->sc != NULL) {
		vt_config_base(&base, c->sc);
		vt_config_bound_mode(&base, false, false);
	} else {
		vt_config_defaults(&base);
	}
	word(w, "run");
	word(w, c->scenario != NULL ? c->scenario : "?");
	word(w, "--seed");
	snprintf(v, sizeof (v), "%" PRIu64, c->seed);
	word(w, v);
	for (size_t i = 0; (p = vt_config_param_at(c, i, &block, &ss)) != NULL;
	    i++) {
		if (skip(c, p, block, ss, outputs))
			continue;
		(void) vt_config_param_at(&base, i, &bblock, &bss);
		if (!all && !vt_param_differs(p, block, bblock))
			continue;
		if (p->kind == VT_P_BOOL && !*(const bool *)(const void *)
		    ((const char *)block + p->off)) {
			/* A flag that is off but on by default. */
			snprintf(opt, sizeof (opt), "--%s=false", p->name);
			word(w, opt);
			continue;
		}
		if (p->shortc != 0 && p->kind == VT_P_BOOL)
			snprintf(opt, sizeof (opt), "-%c", p->shortc);
		else
			snprintf(opt, sizeof (opt), "--%s", p->name);
		word(w, opt);
		if (p->kind == VT_P_STR || p->kind == VT_P_LOCK) {
			/* Whole: a path may be longer than v. */
			const char *s = *(const char *const *)(const void *)
			    ((const char *)block + p->off);

			word(w, s != NULL ? s : "");
		} else if (p->kind != VT_P_BOOL) {
			vt_param_format(p, block, v, sizeof (v));
			word(w, v);
		}
	}
	for (uint32_t r = 0; r < c->nroles; r++) {
		if (!all && c->role_override[r] < 0)
			continue;
		snprintf(opt, sizeof (opt), "--%s", c->roles[r]->name);
		word(w, opt);
		snprintf(v, sizeof (v), "%" PRIu32, all ? c->role_count[r] :
		    (uint32_t)c->role_override[r]);
		word(w, v);
	}
}

const char *
vt_config_cmdline(const struct vt_config *c, bool all, char *buf, size_t len)
{
	struct words w = { .buf = buf, .len = len };

	buf[0] = '\0';
	word(&w, "vmtorture");
	cmd_words(c, all, false, &w);
	if (w.used >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return (buf);
}

char **
vt_config_argv(const struct vt_config *c, bool all, bool outputs, int *argcp)
{
	struct words w = { 0 };

	cmd_words(c, all, outputs, &w);
	if (w.oom) {
		vt_config_argv_free(w.v);
		return (NULL);
	}
	if (argcp != NULL)
		*argcp = w.n;
	return (w.v);
}

void
vt_config_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

void *
vt_config_json(const struct vt_config *c)
{
	json_object *o = json_object_new_object();
	json_object *roles = json_object_new_object();
	const struct vt_subsys_ops *ss;
	const struct vt_param *p;
	const void *block;

	for (size_t i = 0; (p = vt_config_param_at(c, i, &block, &ss)) != NULL;
	    i++)
		json_object_object_add(o, p->name, vt_param_json(p, block));
	for (uint32_t r = 0; r < c->nroles; r++)
		json_object_object_add(roles, c->roles[r]->name,
		    json_object_new_int64(c->role_count[r]));
	json_object_object_add(o, "roles", roles);
	return (o);
}

/* The options of one table, under a heading. */
static void
print_table(FILE *f, const char *head, const struct vt_param *t, size_t n)
{
	fprintf(f, "%s\n", head);
	for (size_t i = 0; i < n; i++)
		vt_param_help(&t[i], f);
}

void
vt_config_print_options(FILE *f, const struct vt_scenario_ops *sc)
{
	const struct vt_subsys_ops *const *all = vt_engine_subsystems();
	char head[160];

	print_table(f, "options of `vmtorture run SCENARIO` (defaults before "
	    "the scenario's own):", vt_engine_params, vt_engine_nparams);
	fprintf(f, "  %-30s %s\n", "--ROLE N",
	    "workers of one role of the scenario (overrides --threads' split)");
	fprintf(f, "  %-30s %s\n", "-f FILE.ini",
	    "options from an INI file: [global] key = value (option names), "
	    "[ROLE] count = N");
	for (int s = 0; all != NULL && all[s] != NULL; s++) {
		const struct vt_subsys_ops *ss = all[s];

		if (ss->nparams == 0 || (sc != NULL &&
		    !vt_scenario_uses(sc, ss)))
			continue;
		snprintf(head, sizeof (head), "options of subsystem %s:",
		    ss->name);
		print_table(f, head, ss->params, ss->nparams);
	}
}

void
vt_config_print_scenario_defaults(FILE *f, const struct vt_scenario_ops *sc)
{
	static struct vt_config d, s;
	const struct vt_subsys_ops *ss;
	const struct vt_param *p;
	const void *block, *dblock;
	char a[160];
	bool any = false;

	vt_config_defaults(&d);
	d.sc = sc;
	vt_config_base(&s, sc);
	fprintf(f, "    defaults:");
	for (size_t i = 0; (p = vt_config_param_at(&s, i, &block, &ss)) != NULL;
	    i++) {
		(void) vt_config_param_at(&d, i, &dblock, &ss);
		if ((p->flags & VT_PF_OUTPUT) || vt_param_unset(p, block) ||
		    !vt_param_differs(p, block, dblock))
			continue;
		vt_param_format(p, block, a, sizeof (a));
		fprintf(f, " --%s %s", p->name, a);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " (built-in)");
}
