/*
 * fuzz.c - helpers of the libFuzzer targets (see fuzz.h).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
vt_fuzz_quiet(void)
{
	FILE *null = fopen("/dev/null", "w");

	if (null == NULL)
		return;
	/* glibc's stdout and stderr are plain variables. */
	stdout = null;
	stderr = null;
}

char **
vt_fuzz_argv(const uint8_t *data, size_t size, int *argcp)
{
	char **argv = calloc(VT_FUZZ_MAX_WORDS + 1, sizeof (*argv));
	size_t pos = 0;
	int n = 0;

	if (argv == NULL)
		return (NULL);
	while (n < VT_FUZZ_MAX_WORDS && (pos < size || (n == 0 && size == 0))) {
		size_t len = 0, take;

		while (pos + len < size && data[pos + len] != '\0' &&
		    data[pos + len] != '\n')
			len++;
		take = len < VT_FUZZ_MAX_WORD ? len : VT_FUZZ_MAX_WORD;
		if ((argv[n] = malloc(take + 1)) == NULL) {
			vt_fuzz_argv_free(argv);
			return (NULL);
		}
		memcpy(argv[n], data + pos, take);
		argv[n][take] = '\0';
		n++;
		pos += len + 1;		/* past the separator */
	}
	*argcp = n;
	return (argv);
}

void
vt_fuzz_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (int i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}
