/*
 * output.c - checked, atomic output files (output.h), and the version and
 * build strings the reports carry.
 *
 * Harness code (not ported).
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VT_VERSION
#define VT_VERSION "0.1.0"
#endif

/* The directory part of path ("." if none). */
static void
dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

int
vt_output_check(const char *opt, const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	struct stat st;
	int fd;

	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "vmtorture: %s: empty file name\n", opt);
		return (-1);
	}
	if (strlen(path) >= PATH_MAX - 32) {
		fprintf(stderr, "vmtorture: %s: file name too long\n", opt);
		return (-1);
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "vmtorture: %s %s: not a regular file\n", opt,
		    path);
		return (-1);
	}
	dir_of(path, dir, sizeof (dir));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmtorture: %s %s: no such directory %s\n", opt,
		    path, dir);
		return (-1);
	}
	snprintf(tmp, sizeof (tmp), "%s.vt-check.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "vmtorture: %s %s: cannot create a file in %s: "
		    "%s\n", opt, path, dir, strerror(errno));
		return (-1);
	}
	close(fd);
	unlink(tmp);
	return (0);
}

int
vt_output_write(const char *opt, const char *path, const char *data,
    size_t len)
{
	char tmp[PATH_MAX + 32];
	size_t done = 0;
	int fd, err = 0;

	if (strlen(path) >= PATH_MAX - 32) {
		fprintf(stderr, "vmtorture: %s: file name too long\n", opt);
		return (-1);
	}
	snprintf(tmp, sizeof (tmp), "%s.vt-tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "vmtorture: %s %s: cannot write: %s\n", opt,
		    path, strerror(errno));
		return (-1);
	}
	while (done < len && err == 0) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? errno : ENOSPC;
		else
			done += (size_t)n;
	}
	if (err == 0 && fsync(fd) != 0 && errno != EINVAL)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = errno;
	if (err != 0) {
		unlink(tmp);
		fprintf(stderr, "vmtorture: %s %s: cannot write: %s\n", opt,
		    path, strerror(err));
		return (-1);
	}
	return (0);
}

const char *
vt_version(void)
{
	return (VT_VERSION);
}

const char *
vt_build(void)
{
	return (
#if defined(__clang__)
	    "clang " __clang_version__
#elif defined(__GNUC__)
	    "gcc " __VERSION__
#else
	    "cc"
#endif
#if defined(VT_TSAN)
	    ", ThreadSanitizer"
#endif
#if defined(__SANITIZE_ADDRESS__)
	    ", AddressSanitizer"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	    ", AddressSanitizer"
#endif
#endif
#if defined(__OPTIMIZE__)
	    ", optimized"
#else
	    ", not optimized"
#endif
	    );
}
