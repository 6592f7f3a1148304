/*
 * child.h - run a piece of a unit test in a fork()ed child with its output
 * captured, for tests that expect a panic or a failed check.  The caller
 * must have no other thread alive when it forks.
 */
#ifndef VT_TESTS_CHILD_H
#define VT_TESTS_CHILD_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

/*
 * Runs fn in a fork()ed child with stdout and stderr captured into out.
 * Returns the wait status.  The child ends with exit() (not _exit) so a
 * TSan build can still turn its reports into exit status 66.
 */
static inline int
run_child(void (*fn)(void *), void *arg, char *out, size_t outlen)
{
	int fds[2], status = 0;
	size_t got = 0;
	pid_t pid;

	if (pipe(fds) != 0) {
		perror("pipe");
		exit(99);
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(99);
	}
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };

		(void) setrlimit(RLIMIT_CORE, &rl);
		(void) close(fds[0]);
		(void) dup2(fds[1], 1);
		(void) dup2(fds[1], 2);
		(void) close(fds[1]);
		fn(arg);
		exit(0);
	}
	(void) close(fds[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof (buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < outlen) {
			size_t k = (size_t)n;

			if (k > outlen - 1 - got)
				k = outlen - 1 - got;
			memcpy(out + got, buf, k);
			got += k;
		}
	}
	out[got] = '\0';
	(void) close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return (status);
}

#endif /* VT_TESTS_CHILD_H */
