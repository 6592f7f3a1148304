/*
 * test_child.c - the child runs of hunt, shrink, campaign and selftest
 * leave nothing behind: vt_child_cleanup and the SIGINT/SIGTERM handler
 * remove a child's files, including the JSON.vt-tmp.PID and
 * JSON.vt-check.PID a child killed while writing its report leaves.
 *
 * Started as `test_child run ...` (by vt_child_start, which runs the
 * current binary), it plays a child killed inside its first JSON write:
 * it creates JSON.vt-tmp.PID and waits to be killed.
 */
#include "../../stress/child.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../stress/config.h"
#include "../tap.h"

static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f != NULL)
		fclose(f);
}

static bool
exists(const char *path)
{
	struct stat sb;

	return (stat(path, &sb) == 0);
}

/* Entries of DIR other than . and .. (-1: cannot read it). */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

/* The fake child: its temporary report, then nothing until killed. */
static _Noreturn void
fake_child(int argc, char **argv)
{
	char tmp[8192];

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			continue;
		snprintf(tmp, sizeof (tmp), "%s.vt-tmp.%ld", argv[i + 1],
		    (long)getpid());
		touch(tmp);
	}
	for (;;)
		pause();
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* vt_child_cleanup removes the child's files and its own temporaries. */
static void
test_cleanup(const char *top)
{
	struct vt_child k;
	char p[3][8192];

	tap_ok(vt_child_files(&k, top, "7") == 0, "vt_child_files");
	k.spawned = 4242;
	touch(k.out);
	touch(k.err);
	touch(k.json);
	snprintf(p[0], sizeof (p[0]), "%s.vt-tmp.4242", k.json);
	snprintf(p[1], sizeof (p[1]), "%s.vt-check.4242", k.json);
	snprintf(p[2], sizeof (p[2]), "%s.vt-tmp.4243", k.json);
	for (int i = 0; i < 3; i++)
		touch(p[i]);
	vt_child_cleanup(&k);
	tap_ok(!exists(k.out) && !exists(k.err) && !exists(k.json),
	    "cleanup removes out, err and json");
	tap_ok(!exists(p[0]) && !exists(p[1]),
	    "cleanup removes JSON.vt-tmp.PID and JSON.vt-check.PID of its pid");
	tap_ok(exists(p[2]), "cleanup keeps another pid's temporary");
	(void) unlink(p[2]);
}

/*
 * SIGINT to a process running a child that is inside its JSON write:
 * the handler kills the child and leaves the directory empty.
 */
static void
test_signal(const char *top, int sig)
{
	pid_t hunt;
	int st, n = -1;

	setenv("TMPDIR", top, 1);
	hunt = fork();
	if (hunt == 0) {
		static struct vt_child k;
		struct vt_config c;
		char dir[4096];

		vt_config_defaults(&c);
		if (vt_child_tmpdir(dir, sizeof (dir)) != 0 ||
		    vt_child_files(&k, dir, "2") != 0 ||
		    vt_child_start(&k, &c) != 0)
			_exit(99);
		for (;;)
			pause();
	}
	/* Wait for the child's temporary report (in vmtorture-XXXXXX/). */
	for (int i = 0; i < 400; i++) {
		char cmd[8192];
		FILE *f;

		snprintf(cmd, sizeof (cmd), "ls %s/*/*.vt-tmp.* 2>/dev/null",
		    top);
		f = popen(cmd, "r");
		if (f != NULL) {
			char line[8192];

			n = fgets(line, sizeof (line), f) != NULL;
			pclose(f);
		}
		if (n == 1)
			break;
		sleep_ms(10);
	}
	tap_ok(n == 1, "SIG%s: the child is inside its JSON write",
	    sig == SIGINT ? "INT" : "TERM");
	kill(hunt, sig);
	(void) waitpid(hunt, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sig,
	    "SIG%s: the parent exits %d (status %#x)",
	    sig == SIGINT ? "INT" : "TERM", 128 + sig, st);
	n = entries(top);
	tap_ok(n == 0, "SIG%s: nothing is left in TMPDIR (%d entries)",
	    sig == SIGINT ? "INT" : "TERM", n);
}

int
main(int argc, char **argv)
{
	char top[] = "/tmp/test_child.XXXXXX";

	if (argc > 1 && strcmp(argv[1], "run") == 0)
		fake_child(argc, argv);
	tap_plan(11);
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	test_cleanup(top);
	test_signal(top, SIGINT);
	test_signal(top, SIGTERM);
	tap_ok(rmdir(top) == 0, "the test's directory is empty at the end");
	return (tap_done());
}
