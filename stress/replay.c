/*
 * replay.c - `vmtorture replay` (harness code, not part of the port):
 *
 *   replay FILE [run options]	run the command in a trace or schedule
 *				file's header, following the file's switches
 *				(in this process);
 *   replay SCENARIO [run options]	exactly `run`.
 *
 * The header's command and the options given here (later ones win) are
 * parsed into one configuration, whose --schedule is the file; the run's
 * command line is built from it.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trace.h"

static int
replay_usage(FILE *f, int rc)
{
	fprintf(f, "usage: vmtorture replay TRACE-OR-SCHEDULE-FILE "
	    "[run options]\n"
	    "       vmtorture replay SCENARIO [run options]   (same as "
	    "run)\n");
	return (rc);
}

int
vt_replay_main(int argc, char **argv)
{
	struct vt_trace_file f;
	const struct vt_scenario_ops *sc;
	struct vt_config cfg;
	struct stat sb;
	char **opts, **words;
	int n = 0, nw, rc, prc;

	if (argc < 1)
		return (replay_usage(stderr, VT_EXIT_USAGE));
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)
		return (replay_usage(stdout, VT_EXIT_PASS));
	if (stat(argv[0], &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (vt_scenario_find(argv[0]) == NULL) {
			fprintf(stderr, "vmtorture replay: %s: neither a trace/"
			    "schedule file nor a scenario\n", argv[0]);
			return (VT_EXIT_USAGE);
		}
		return (vt_run_main(argc, argv));
	}
	/* The switches are read (and checked) by the run itself. */
	if (vt_trace_read(argv[0], VT_TRACE_HEADER_ONLY, &f) != 0)
		return (VT_EXIT_USAGE);
	if (f.ncmd < 3 || strcmp(f.cmd[0], "vmtorture") != 0 ||
	    strcmp(f.cmd[1], "run") != 0) {
		fprintf(stderr, "vmtorture replay: %s: no '# vmtorture run ...' "
		    "header line\n", argv[0]);
		vt_trace_file_free(&f);
		return (VT_EXIT_USAGE);
	}
	/* SCENARIO and the header's options, then the ones given here. */
	opts = calloc((size_t)f.ncmd + (size_t)argc, sizeof (char *));
	if (opts == NULL) {
		vt_trace_file_free(&f);
		fprintf(stderr, "vmtorture replay: out of memory\n");
		return (VT_EXIT_INTERNAL);
	}
	for (int i = 2; i < f.ncmd; i++)
		opts[n++] = f.cmd[i];
	for (int i = 1; i < argc; i++)
		opts[n++] = argv[i];
	prc = vt_config_parse(&cfg, &sc, n, opts);
	if (prc != 0) {
		free(opts);
		vt_trace_file_free(&f);
		return (prc > 0 ? VT_EXIT_PASS : VT_EXIT_USAGE);
	}
	cfg.schedule = argv[0];
	words = vt_config_argv(&cfg, false, true, &nw);
	free(opts);
	if (words == NULL || nw < 2) {
		vt_config_argv_free(words);
		vt_trace_file_free(&f);
		fprintf(stderr, "vmtorture replay: out of memory\n");
		return (VT_EXIT_INTERNAL);
	}
	/* On stdout: stderr's first line stays the failure's replay line. */
	printf("replay: vmtorture");
	for (int i = 0; i < nw; i++)
		printf(" %s", words[i]);
	printf("\n");
	fflush(stdout);
	/* words: "run" SCENARIO ...; the run parses them afresh. */
	rc = vt_run_main(nw - 1, words + 1);
	vt_config_argv_free(words);
	vt_trace_file_free(&f);
	return (rc);
}
