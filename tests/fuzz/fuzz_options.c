/*
 * fuzz_options.c - libFuzzer target: the `vmtorture run` option parser.
 *
 * The input is an argument vector (words split at NUL or newline, see
 * vt_fuzz_argv): the scenario, then options, as after `vmtorture run`.
 * vt_config_parse must refuse anything bad with a usage error (-1), never
 * crash, and leak nothing.  When it accepts the words, the configuration
 * must survive the trip through the argument vectors hunt gives its child
 * runs and through the replay line: both parse again to the very same
 * values (a difference aborts, which libFuzzer reports as a crash), except
 * the controlled-mode options of a free run, which it does not use.
 *
 * -f FILE words read files as the real command line does; the parser opens
 * no other path (outputs such as --json are only recorded).
 */
#include "fuzz.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../scenarios/scenario.h"
#include "../../stress/config_impl.h"
#include "../../stress/run.h"
#include "../../stress/subsys.h"
#include "../../subsys/registry.h"

/* Large (subsystem blocks): static, not on the stack. */
static struct vt_config first, again;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (vt_engine_register(vt_scenarios, vt_subsystems) != 0)
		abort();
	vt_fuzz_quiet();
	return (0);
}

/* Exactly equal values of option p in blocks a and b (no formatting). */
static bool
same_value(const struct vt_param *p, const void *a, const void *b)
{
	const char *x = (const char *)a + p->off, *y = (const char *)b + p->off;

	switch (p->kind) {
	case VT_P_U32:
	case VT_P_POW2:
		return (memcmp(x, y, sizeof (uint32_t)) == 0);
	case VT_P_U64:
		return (memcmp(x, y, sizeof (uint64_t)) == 0);
	case VT_P_DBL:
	case VT_P_PROB:
		return (memcmp(x, y, sizeof (double)) == 0);
	case VT_P_BOOL:
		return (*(const bool *)(const void *)x ==
		    *(const bool *)(const void *)y);
	case VT_P_ENUM:
		return (memcmp(x, y, sizeof (int)) == 0);
	case VT_P_STR:
	case VT_P_LOCK: {
		const char *s = *(const char *const *)(const void *)x;
		const char *t = *(const char *const *)(const void *)y;

		return (s == t || (s != NULL && t != NULL && strcmp(s, t) == 0));
	}
	}
	return (false);
}

/* Abort with both command lines where b is not a's configuration. */
static void
expect_same(const struct vt_config *a, const struct vt_config *b,
    const char *how)
{
	const struct vt_subsys_ops *ss;
	const struct vt_param *p;
	const void *ba, *bb;
	const char *what = NULL;
	static char la[4096], lb[4096];

	for (size_t i = 0; what == NULL &&
	    (p = vt_config_param_at(a, i, &ba, &ss)) != NULL; i++) {
		if (vt_config_param_at(b, i, &bb, &ss) != p)
			what = "option table";
		else if ((p->flags & VT_PF_CTRL) && a->sched == VT_SCHED_FREE)
			continue;	/* unused by free runs, not on their lines */
		else if (!same_value(p, ba, bb))
			what = p->name;
	}
	if (what == NULL && a->nroles != b->nroles)
		what = "roles";
	for (uint32_t r = 0; what == NULL && r < a->nroles; r++)
		if (a->role_count[r] != b->role_count[r])
			what = a->roles[r]->name;
	if (what == NULL)
		return;
	/* On the real stderr (fd 2), which vt_fuzz_quiet left alone. */
	dprintf(2, "fuzz_options: %s changes %s:\n  %s\n  %s\n", how, what,
	    vt_config_cmdline(a, true, la, sizeof (la)),
	    vt_config_cmdline(b, true, lb, sizeof (lb)));
	abort();
}

/* Parse the words of c's line (all options, or the replay line) again. */
static void
reparse(const struct vt_config *c, bool all)
{
	const struct vt_scenario_ops *sc;
	int argc, rc;
	char **argv = vt_config_argv(c, all, true, &argc);

	if (argv == NULL)
		return;		/* out of memory */
	/* argv[0] is "run": vt_config_parse starts at the scenario. */
	rc = vt_config_parse(&again, &sc, argc - 1, argv + 1);
	if (rc != 0) {
		static char line[4096];

		dprintf(2, "fuzz_options: the %s of an accepted run is refused "
		    "(%d): %s\n", all ? "child argv" : "replay line", rc,
		    vt_config_cmdline(c, all, line, sizeof (line)));
		abort();
	}
	expect_same(c, &again, all ? "the child argv" : "the replay line");
	vt_config_argv_free(argv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vt_scenario_ops *sc;
	int argc;
	char **argv = vt_fuzz_argv(data, size, &argc);

	if (argv == NULL)
		return (0);
	if (vt_config_parse(&first, &sc, argc, argv) == 0) {
		reparse(&first, true);
		reparse(&first, false);
	}
	vt_fuzz_argv_free(argv);
	return (0);
}
