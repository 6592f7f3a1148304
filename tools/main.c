/*
 * main.c - the vmtorture command line (DESIGN §8).
 *
 *   vmtorture run SCENARIO [options]   run a scenario (stress/engine.c)
 *   vmtorture list                     scenarios, roles, lock back ends, options
 *   vmtorture bench [options]          micro-benchmarks (stress/bench.c)
 *   vmtorture hunt SCENARIO --seeds A-B [--jobs N] [options]
 *                                      lowest failing seed (stress/hunt.c)
 *   vmtorture replay FILE|SCENARIO [options]  replay a trace/schedule file
 *   vmtorture shrink SCENARIO [options]       minimise a failing schedule
 *   vmtorture selftest [--budget T] [--only NAME,...]  the bug catalogue
 *   vmtorture campaign [--budget T | --seeds A-B] [--jobs N] [--shard I/N]
 *                                      scenarios x options x strategies
 *   vmtorture merge FILE.jsonl...      fold campaign shards into one report
 *   vmtorture sweep SCENARIO --X-locks LIST [...]  lock-table sizes
 *                                      (stress/sweep.c)
 *   vmtorture help | --help | -h       usage
 *   vmtorture version
 *
 * Exit codes: 0 pass, 1 a check failed, 2 usage error, 3 hang or deadlock,
 * 4 internal error.
 */
#include <stdio.h>
#include <string.h>

#include "../base/inject.h"
#include "../locks/lockops.h"
#include "../scenarios/scenario.h"
#include "../stress/output.h"
#include "../stress/run.h"
#include "../stress/subsys.h"
#include "../subsys/hat_subsys.h"
#include "../subsys/registry.h"


static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vmtorture run SCENARIO [options]   run a scenario\n"
	    "       vmtorture list                     scenarios, roles, lock "
	    "back ends, options\n"
	    "       vmtorture bench [--seconds S] [--lock NAME] [--tap]\n"
	    "                                          lock and hat_memload "
	    "cost figures\n"
	    "       vmtorture hunt SCENARIO --seeds A-B | --sched-seeds A-B "
	    "[--jobs N] [--shrink]\n"
	    "                      [run options]        lowest failing seed, "
	    "in child processes\n"
	    "       vmtorture replay FILE [run options]  re-run a trace/schedule "
	    "file's header\n"
	    "                                          command following its "
	    "switches\n"
	    "       vmtorture shrink SCENARIO [run options] [--out FILE] "
	    "[--max-runs N]\n"
	    "                                          delete switches of a "
	    "failing controlled run\n"
	    "       vmtorture selftest [--budget T] [--only NAME,...] [--jobs N] "
	    "[--json FILE]\n"
	    "                                          every mutant of the bug "
	    "catalogue caught?\n"
	    "       vmtorture campaign [-f FILE] [--scenarios ...] [--strategies "
	    "free,random,pct:D]\n"
	    "                      [--budget T | --seeds A-B] [--jobs N] "
	    "[--shard I/N|auto] [run options]\n"
	    "                                          a matrix of cells over "
	    "seeds, JSON lines\n"
	    "       vmtorture merge FILE.jsonl...       fold campaign shards "
	    "into one report\n"
	    "       vmtorture sweep SCENARIO --mlist-locks N,N,... [--threads "
	    "N,...] [--repeat R]\n"
	    "                      [--csv F] [--png F] [--plot dumb] [run options]\n"
	    "                                          lock-table sizes measured, "
	    "modelled, recommended\n"
	    "       vmtorture help | version\n"
	    "\n"
	    "A run prints a summary that begins and ends with every option in "
	    "force and\nends with RESULT: PASS or RESULT: FAIL (<check>).  On "
	    "failure the first line\non stderr is the command that replays it.\n"
	    "Exit codes: 0 pass, 1 a check failed, 2 usage error, 3 hang or "
	    "deadlock,\n4 internal error.\n"
	    "\n");
	vt_config_print_options(f, NULL);
}

static void
list_roles(const struct vt_role *roles, uint32_t n)
{
	for (uint32_t r = 0; r < n; r++)
		printf("    --%-14s weight %u, min %u: %s\n", roles[r].name,
		    roles[r].weight, roles[r].min_count, roles[r].desc);
}

/* The roles of a run of sc: its own, then its subsystems'. */
static void
list_scenario_roles(const struct vt_scenario_ops *sc)
{
	list_roles(sc->roles, sc->nroles);
	for (int s = 0; sc->subsys != NULL && sc->subsys[s] != NULL; s++)
		list_roles(sc->subsys[s]->roles, sc->subsys[s]->nroles);
}

static void
list_subsystems(void)
{
	const struct vt_subsys_ops *const *all = vt_engine_subsystems();

	printf("subsystems:\n");
	for (int s = 0; all[s] != NULL; s++) {
		const struct vt_subsys_ops *ss = all[s];
		size_t n = 0;
		char buf[1024];

		printf("  %s: %s\n", ss->name, ss->desc);
		buf[0] = '\0';
		for (int i = 0; vt_engine_scenarios()[i] != NULL; i++)
			if (vt_scenario_uses(vt_engine_scenarios()[i], ss) &&
			    n < sizeof (buf))
				n += (size_t)snprintf(buf + n, sizeof (buf) - n,
				    "%s%s", n ? ", " : "",
				    vt_engine_scenarios()[i]->name);
		printf("    scenarios: %s\n", n ? buf : "(none)");
		if (ss->nroles > 0) {
			printf("    roles any of its scenarios offers:\n");
			list_roles(ss->roles, ss->nroles);
		}
		n = 0;
		buf[0] = '\0';
		for (uint32_t i = 0; i < ss->nparams && n < sizeof (buf); i++)
			n += (size_t)snprintf(buf + n, sizeof (buf) - n,
			    "%s--%s", i ? " " : "", ss->params[i].name);
		printf("    options: %s\n", n ? buf : "(none)");
		n = 0;
		buf[0] = '\0';
		for (uint32_t i = 0; i < ss->nops && n < sizeof (buf); i++)
			n += (size_t)snprintf(buf + n, sizeof (buf) - n,
			    "%s%s", i ? " " : "", ss->op_names[i]);
		printf("    operations: %s\n", n ? buf : "(none)");
		n = 0;
		buf[0] = '\0';
		for (int i = 0; ss->counter_names != NULL &&
		    ss->counter_names[i] != NULL && n < sizeof (buf); i++)
			n += (size_t)snprintf(buf + n, sizeof (buf) - n,
			    "%s%s", i ? " " : "", ss->counter_names[i]);
		printf("    counters: %s\n", n ? buf : "(none)");
		if (ss->nchecks > 0) {
			printf("    audit checks (audit:NAME):\n");
			for (uint32_t i = 0; i < ss->nchecks; i++)
				printf("      %-16s %s\n", ss->checks[i].name,
				    ss->checks[i].desc);
		}
	}
}

static int
list(int argc, char **argv)
{
	const struct vt_scenario_ops *const *scs = vt_engine_scenarios();

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: vmtorture list            scenarios (subsystems, "
		    "roles, defaults), subsystems (options,\n"
		    "                                  operations, counters, "
		    "audit checks), lock back ends, options\n"
		    "       vmtorture list --names    the scenarios, one a "
		    "line (--all: test-only ones too)\n");
		return (VT_EXIT_PASS);
	}
	if (argc > 1 && strcmp(argv[1], "--names") == 0 &&
	    (argc == 2 || (argc == 3 && strcmp(argv[2], "--all") == 0))) {
		/* One scenario a line (for the build); --all: test-only too. */
		for (int i = 0; scs[i] != NULL; i++)
			if (argc == 3 || !scs[i]->test_only)
				printf("%s\n", scs[i]->name);
		return (VT_EXIT_PASS);
	}
	if (argc > 1) {
		fprintf(stderr, "vmtorture: list %s: unknown option (--names "
		    "[--all])\n", argv[1]);
		return (VT_EXIT_USAGE);
	}
	printf("scenarios:\n");
	for (int i = 0; scs[i] != NULL; i++) {
		const struct vt_scenario_ops *sc = scs[i];
		size_t n = 0;
		char subs[256];

		subs[0] = '\0';
		for (int s = 0; sc->subsys != NULL && sc->subsys[s] != NULL &&
		    n < sizeof (subs); s++)
			n += (size_t)snprintf(subs + n, sizeof (subs) - n, "%s%s",
			    s ? ", " : "", sc->subsys[s]->name);
		printf("  %s: %s%s%s\n", sc->name, sc->desc,
		    sc->needs_tryenter ? " (needs a try-lock back end)" : "",
		    sc->test_only ? " (test only)" : "");
		printf("    subsystems: %s\n", n ? subs : "(none)");
		list_scenario_roles(sc);
		vt_config_print_scenario_defaults(stdout, sc);
	}
	printf("\n");
	list_subsystems();
	printf("\nlock back ends (--lock NAME; '-' = not supported):\n");
	printf("  %-10s %-5s %-5s %-7s %-6s %-7s %s\n", "name", "init", "lock",
	    "trylock", "unlock", "waits", "description");
	for (int i = 0; vt_lock_backends[i] != NULL; i++) {
		const struct vt_lock_ops *o = vt_lock_backends[i];

		printf("  %-10s %-5s %-5s %-7s %-6s %-7s %s%s\n", o->name,
		    o->init ? "yes" : "-", o->lock ? "yes" : "-",
		    o->trylock ? "yes" : "-", o->unlock ? "yes" : "-",
		    o->sleeps ? "sleeps" : "spins", o->desc,
		    "");
	}
	for (int i = 0; vt_lock_backends[i] != NULL; i++)
		if (vt_lock_backends[i]->broken)
			printf("  note: `%s` deliberately gives no mutual "
			    "exclusion: it is the canary, and a run with it must "
			    "end in RESULT: FAIL (exit 1).\n",
			    vt_lock_backends[i]->name);
	printf("\nmutants (--inject NAME; `vmtorture selftest` must catch each):\n");
	printf("  %-30s %-6s %-22s %-13s %-10s %s\n", "name", "subsys",
	    "function", "kind", "expected", "removes");
	for (int i = 0; i < VT_NMUTANTS; i++) {
		const struct vt_mutant_info *mi = &vt_mutant_table[i];

		printf("  %-30s %-6s %-22s %-13s %-10s %s\n", mi->name,
		    mi->subsys, mi->func, mi->kind, mi->check, mi->desc);
	}
	printf("\n");
	vt_config_print_options(stdout, NULL);
	return (VT_EXIT_PASS);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (vt_engine_register(vt_scenarios, vt_subsystems) != 0)
		return (VT_EXIT_INTERNAL);
	if (cmd == NULL) {
		usage(stderr);
		return (VT_EXIT_USAGE);
	}
	if (strcmp(cmd, "run") == 0)
		return (vt_run_main(argc - 2, argv + 2));
	if (strcmp(cmd, "list") == 0)
		return (list(argc - 1, argv + 1));
	if (strcmp(cmd, "bench") == 0)
		return (vt_bench_main(argc - 1, argv + 1));
	if (strcmp(cmd, "hunt") == 0)
		return (vt_hunt_main(argc - 2, argv + 2));
	if (strcmp(cmd, "replay") == 0)
		return (vt_replay_main(argc - 2, argv + 2));
	if (strcmp(cmd, "shrink") == 0)
		return (vt_shrink_main(argc - 2, argv + 2));
	if (strcmp(cmd, "selftest") == 0)
		return (vt_selftest_main(argc - 2, argv + 2));
	if (strcmp(cmd, "campaign") == 0)
		return (vt_campaign_main(argc - 2, argv + 2));
	if (strcmp(cmd, "merge") == 0)
		return (vt_merge_main(argc - 2, argv + 2));
	if (strcmp(cmd, "sweep") == 0)
		return (vt_sweep_main(argc - 2, argv + 2));
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		if (argc > 2) {
			fprintf(stderr, "vmtorture: %s: unexpected argument "
			    "'%s' (`vmtorture COMMAND --help` helps with one "
			    "command)\n", cmd, argv[2]);
			return (VT_EXIT_USAGE);
		}
		usage(stdout);
		return (VT_EXIT_PASS);
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		if (argc > 2) {
			fprintf(stderr, "vmtorture: %s: unexpected argument "
			    "'%s'\n", cmd, argv[2]);
			return (VT_EXIT_USAGE);
		}
		printf("vmtorture %s (%s)\n", vt_version(), vt_build());
		return (VT_EXIT_PASS);
	}
	fprintf(stderr, "vmtorture: %s: unknown command (run, hunt, replay, "
	    "shrink, selftest, campaign, merge, sweep, list, bench, help, version)\n", cmd);
	return (VT_EXIT_USAGE);
}
