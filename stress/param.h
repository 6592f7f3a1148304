/*
 * param.h - run options declared once, with their default and a sentence
 * of help (the torture_param idea): the engine's own table (config.c) and
 * each subsystem's table (struct vt_subsys_ops.params) use this one
 * descriptor.  A descriptor names a field by its offset in a block: the
 * engine's struct vt_config, or a subsystem's own options struct kept
 * inside the configuration (vt_config_sub()).
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_PARAM_H
#define VT_STRESS_PARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum vt_param_kind {
	VT_P_U32,	/* uint32_t in [min, max] */
	VT_P_U64,	/* uint64_t in [min, max] */
	VT_P_POW2,	/* uint32_t, a power of two in [min, max] */
	VT_P_DBL,	/* double in [min, max] */
	VT_P_PROB,	/* double, a probability 0..1 */
	VT_P_STR,	/* const char * (a file name); NULL: not given */
	VT_P_BOOL,	/* a flag without argument */
	VT_P_ENUM,	/* int, one of choices[] */
	VT_P_LOCK,	/* const char *, a lock back end name */
};

/* Output-only: neither in the "in force" line nor in replay lines. */
#define VT_PF_OUTPUT	0x1
/* Controlled mode only: not printed for free-running runs. */
#define VT_PF_CTRL	0x2
/* VT_P_U64 that also takes "auto" (stored as VT_PARAM_AUTO). */
#define VT_PF_AUTO	0x4

/* Integer that takes a binary size suffix: 64k, 2M, 1G. */
#define VT_PF_SIZE	0x8
/* Seconds that take a unit: 500ms, 10s, 5m, 2h, 1d. */
#define VT_PF_TIME	0x10

#define VT_PARAM_AUTO	UINT64_MAX
/* VT_P_U64 that also takes "page" (a lock per page; stored as VT_PARAM_PAGE). */
#define VT_PF_PAGE	0x20
#define VT_PARAM_PAGE	(UINT64_MAX - 1)

/* One value of a VT_P_ENUM: "name" or "name|alias|alias". */
struct vt_param_choice {
	const char	*names;
	int		value;
};

struct vt_param {
	const char	*name;		/* --name; also the INI key */
	int		shortc;		/* 0 or a short option letter */
	enum vt_param_kind kind;
	size_t		off;		/* in its block */
	double		min, max;	/* numeric kinds */
	const char	*arg;		/* metavariable in the help */
	const char	*help;		/* one sentence */
	int		flags;		/* VT_PF_* */
	double		def;		/* default of numeric and bool kinds */
	const char	*def_str;	/* default of STR, ENUM, LOCK (and "auto") */
	const struct vt_param_choice *choices;	/* ENUM: NULL-terminated */
};

/* Fill every field of the table in block with its default. */
void vt_param_defaults(const struct vt_param *t, size_t n, void *block);

/*
 * Parse val (NULL for a flag) into p's field of block.  0, or -1 after
 * printing one line on stderr naming the option and the problem.
 */
int vt_param_apply(const struct vt_param *p, void *block, const char *val);

/* p's value in block as text (the form vt_param_apply takes back). */
void vt_param_format(const struct vt_param *p, const void *block, char *buf,
    size_t len);

/* True if a string option has no value (nothing to print). */
bool vt_param_unset(const struct vt_param *p, const void *block);

/* True if p's values in a and b differ. */
bool vt_param_differs(const struct vt_param *p, const void *a, const void *b);

/* p's value in block as a json-c object (void *: keeps json-c out). */
void *vt_param_json(const struct vt_param *p, const void *block);

/* One help line: "  --name ARG   help [default]". */
void vt_param_help(const struct vt_param *p, FILE *f);

/* One line "vmtorture: ..." on stderr (a usage error). */
void vt_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Put p ("FILE:LINE: ") before the next usage errors (NULL: none). */
void vt_usage_prefix(const char *p);

/*
 * Parse a whole string; 0 or -1.  Integers are decimal, hexadecimal only
 * with 0x; sizes take k/M/G (x1024); durations are seconds or take a unit
 * (ms, s, m, h, d).
 */
int vt_parse_u64(const char *s, uint64_t *out);
int vt_parse_double(const char *s, double *out);
int vt_parse_size(const char *s, uint64_t *out);
int vt_parse_duration(const char *s, double *out);

#endif /* VT_STRESS_PARAM_H */
