/*
 * test_fail.c - a failure report whose reading of the workers' state
 * faults still ends the process with the failure's exit code: the watchdog
 * names what each worker waits on, and the bug under test may have freed
 * that lock (the mutant amap-swapoff-no-flag did, and the report hung in
 * the crash handler's second failure until selftest killed it).
 *
 * A forked child plays a watchdog report over one worker that waits on a
 * "mutex" in unmapped memory, then a second one whose wait is readable.
 */
#include "../../stress/engine_impl.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../locks/kmutex.h"
#include "../../stress/run.h"
#include "../../scenarios/scenario.h"
#include "../../subsys/registry.h"
#include "../tap.h"

/* In a child: the watchdog's report of one worker waiting on `wait`. */
static void
child_report(const void *wait, const char *out)
{
	const struct vt_scenario_ops *sc;
	static struct vt_worker w;
	static struct vt_worker *ws[1] = { &w };
	static char a0[] = "map-unmap", a1[] = "--ops", a2[] = "1", a3[] = "-q";
	char *argv[] = { a0, a1, a2, a3, NULL };
	int fd;

	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		_exit(90);
	(void) dup2(fd, STDERR_FILENO);
	(void) dup2(fd, STDOUT_FILENO);
	if (vt_engine_register(vt_scenarios, vt_subsystems) != 0 ||
	    vt_config_parse(&R.cfg, &sc, 4, argv) != 0)
		_exit(91);
	memset(&w, 0, sizeof (w));
	w.id = 1;
	w.kt.t_wait = wait;
	w.kt.t_wait_what = "mutex";
	R.workers = ws;
	R.nworkers = 1;
	vt_engine_install_crash_handlers();
	(void) alarm(10);		/* a hang ends as SIGALRM */
	vt_engine_fail("watchdog", "test: 1 of 1 workers did not stop",
	    VT_EXIT_HANG, true, false);
}

/* Run child_report in a child; its exit status. */
static int
report(const void *wait, const char *out)
{
	pid_t p = fork();
	int st;

	if (p == 0)
		child_report(wait, out);
	if (p < 0 || waitpid(p, &st, 0) != p)
		return (-1);
	return (st);
}

static bool
says(const char *path, const char *what)
{
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return (false);
	n = fread(buf, 1, sizeof (buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (strstr(buf, what) != NULL);
}

int
main(void)
{
	char out[] = "/tmp/test_fail.XXXXXX";
	void *gone;
	static kmutex_t m;
	int fd, st;

	tap_plan(4);
	if ((fd = mkstemp(out)) < 0)
		return (1);
	close(fd);
	gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone == MAP_FAILED || munmap(gone, 4096) != 0)
		return (1);

	st = report(gone, out);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == VT_EXIT_HANG,
	    "a wait on freed memory: the report ends, exit %d (status 0x%x)",
	    VT_EXIT_HANG, st);
	tap_ok(says(out, "cut short") && says(out, "FAIL: watchdog") &&
	    says(out, "RESULT: FAIL"),
	    "it says the list was cut short, then prints the summary");

	mutex_init(&m, NULL, MUTEX_DEFAULT, NULL);
	st = report(&m, out);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == VT_EXIT_HANG,
	    "a wait on a live mutex: exit %d", VT_EXIT_HANG);
	tap_ok(says(out, "worker 1") && says(out, "waits on mutex") &&
	    !says(out, "cut short"), "it names the mutex, nothing cut");
	mutex_destroy(&m);
	if (tap_failed)
		tap_diag("output kept in %s", out);
	else
		unlink(out);
	return (tap_done());
}
