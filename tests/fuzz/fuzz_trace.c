/*
 * fuzz_trace.c - libFuzzer target: the trace and schedule reader
 * (stress/trace.h), which `run --schedule`, `replay` and `shrink` use.
 *
 * The reader takes a path (it refuses what is not a regular file), so the
 * input is written to one private file per process and read back, once as
 * a whole schedule (keeping each switch's text, as shrink does) and once
 * for its header only (as replay does).  It must accept the input or refuse
 * it with one usage error, never crash, and leak nothing; an accepted
 * schedule is written back with vt_trace_write_schedule and read again, and
 * must give the same switches.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../stress/trace.h"

static char in_path[64], out_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");

	vt_fuzz_quiet();
	snprintf(in_path, sizeof (in_path), "%s/vt-fuzz-trace.%ld",
	    t != NULL && strlen(t) < 32 ? t : "/tmp", (long)getpid());
	snprintf(out_path, sizeof (out_path), "%s.out", in_path);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_trace_file f, g;
	FILE *o = fopen(in_path, "w");

	if (o == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, o) != size)
		abort();
	if (fclose(o) != 0)
		abort();
	if (vt_trace_read(in_path, VT_TRACE_HEADER_ONLY, &f) == 0)
		vt_trace_file_free(&f);
	if (vt_trace_read(in_path, VT_TRACE_KEEP_TEXT, &f) == 0) {
		if (vt_trace_write_schedule(out_path, "vmtorture run fuzz",
		    NULL, &f, NULL) == 0 &&
		    vt_trace_read(out_path, 0, &g) == 0) {
			if (g.nsw != f.nsw)
				abort();
			for (size_t i = 0; i < f.nsw; i++)
				if (g.sw[i].step != f.sw[i].step ||
				    g.sw[i].who != f.sw[i].who ||
				    g.sw[i].next != f.sw[i].next ||
				    g.sw[i].end != f.sw[i].end)
					abort();
			vt_trace_file_free(&g);
		}
		vt_trace_file_free(&f);
	}
	(void) unlink(in_path);
	(void) unlink(out_path);
	return (0);
}
