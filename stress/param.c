/*
 * param.c - option descriptors (param.h): defaults, parsing, printing and
 * JSON for one field at a time.  Every usage error is one line on stderr;
 * nothing here may crash on bad input.
 *
 * Harness code (not ported).
 */
#include "param.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../locks/lockops.h"

static char usage_prefix[320];

void
vt_usage_prefix(const char *p)
{
	snprintf(usage_prefix, sizeof (usage_prefix), "%s", p != NULL ? p : "");
}

/*
 * Bytes that are not printable are shown as \xNN, so a binary file's
 * contents never reach the terminal raw.
 */
void
vt_usage_err(const char *fmt, ...)
{
	va_list ap;
	char buf[512], out[1024];
	size_t n = 0;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof (buf), fmt, ap);
	va_end(ap);
	for (const unsigned char *s = (const unsigned char *)buf;
	    *s != '\0' && n + 5 < sizeof (out); s++) {
		if (*s >= 0x20 && *s < 0x7f)
			out[n++] = (char)*s;
		else
			n += (size_t)snprintf(out + n, sizeof (out) - n, "\\x%02x",
			    *s);
	}
	out[n] = '\0';
	fprintf(stderr, "vmtorture: %s%s\n", usage_prefix, out);
}

/*
 * Numbers are decimal; hexadecimal only with an explicit 0x (so 010 is
 * ten, not eight).  Whole string, no sign, no blanks, no overflow.
 */
int
vt_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return (-1);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (*p == '\0')
			return (-1);
	}
	for (; *p != '\0'; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a') + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A') + 10;
		else
			return (-1);
		if (v > (UINT64_MAX - d) / base)
			return (-1);
		v = v * base + d;
	}
	*out = v;
	return (0);
}

/* A finite decimal number: no hex floats, no inf/nan, no blanks. */
int
vt_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || strpbrk(s, " \t\nxXpP") != NULL)
		return (-1);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return (-1);
	*out = v;
	return (0);
}

int
vt_parse_size(const char *s, uint64_t *out)
{
	static const struct { char c; unsigned shift; } sfx[] = {
		{ 'k', 10 }, { 'K', 10 }, { 'm', 20 }, { 'M', 20 },
		{ 'g', 30 }, { 'G', 30 },
	};
	char num[64];
	size_t n = s != NULL ? strlen(s) : 0;
	uint64_t v;

	if (n == 0 || n >= sizeof (num))
		return (-1);
	for (size_t i = 0; i < sizeof (sfx) / sizeof (sfx[0]); i++) {
		if (s[n - 1] != sfx[i].c || n < 2)
			continue;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (vt_parse_u64(num, &v) != 0 || v > (UINT64_MAX >> sfx[i].shift))
			return (-1);
		*out = v << sfx[i].shift;
		return (0);
	}
	return (vt_parse_u64(s, out));
}

int
vt_parse_duration(const char *s, double *out)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 },
	};
	char num[64];
	size_t n = s != NULL ? strlen(s) : 0;
	double v;

	if (n == 0 || n >= sizeof (num))
		return (-1);
	for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++) {
		size_t u = strlen(units[i].unit);

		if (n <= u || strcmp(s + n - u, units[i].unit) != 0)
			continue;
		/* "5ms" is not "5m" + "s": the longest unit is tried first. */
		memcpy(num, s, n - u);
		num[n - u] = '\0';
		if (vt_parse_double(num, &v) != 0)
			return (-1);
		*out = v * units[i].mult;
		return (isfinite(*out) ? 0 : -1);
	}
	return (vt_parse_double(s, out));
}

/* True if name is one of the '|'-separated names of ch. */
static bool
choice_matches(const struct vt_param_choice *ch, const char *name)
{
	size_t n = strlen(name);
	const char *s = ch->names;

	for (;;) {
		const char *bar = strchr(s, '|');
		size_t len = bar != NULL ? (size_t)(bar - s) : strlen(s);

		if (len == n && strncmp(s, name, n) == 0)
			return (true);
		if (bar == NULL)
			return (false);
		s = bar + 1;
	}
}

/* The canonical (first) name of the choice with value v. */
static void
choice_name(const struct vt_param *p, int v, char *buf, size_t len)
{
	for (const struct vt_param_choice *ch = p->choices;
	    ch != NULL && ch->names != NULL; ch++) {
		if (ch->value == v) {
			const char *bar = strchr(ch->names, '|');
			int n = bar != NULL ? (int)(bar - ch->names) :
			    (int)strlen(ch->names);

			snprintf(buf, len, "%.*s", n, ch->names);
			return;
		}
	}
	snprintf(buf, len, "%d", v);
}

/* "a, b, c": the canonical names of p's choices. */
static void
choice_list(const struct vt_param *p, char *buf, size_t len)
{
	size_t n = 0;
	char one[64];

	buf[0] = '\0';
	for (const struct vt_param_choice *ch = p->choices;
	    ch != NULL && ch->names != NULL && n < len; ch++) {
		choice_name(p, ch->value, one, sizeof (one));
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
		    one);
	}
}

static void
lock_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; vt_lock_backends[i] != NULL && n + 1 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
		    vt_lock_backends[i]->name);
}

int
vt_param_apply(const struct vt_param *o, void *block, const char *val)
{
	void *p = (char *)block + o->off;
	uint64_t u;
	double d;

	switch (o->kind) {
	case VT_P_U32:
	case VT_P_U64:
	case VT_P_POW2:
		if ((o->flags & VT_PF_AUTO) && o->kind == VT_P_U64 &&
		    val != NULL && strcmp(val, "auto") == 0) {
			*(uint64_t *)p = VT_PARAM_AUTO;
			return (0);
		}
		if ((o->flags & VT_PF_PAGE) && o->kind == VT_P_U64 &&
		    val != NULL && strcmp(val, "page") == 0) {
			*(uint64_t *)p = VT_PARAM_PAGE;
			return (0);
		}
		if (((o->flags & VT_PF_SIZE) ? vt_parse_size(val, &u) :
		    vt_parse_u64(val, &u)) != 0) {
			vt_usage_err("--%s %s: not a number%s", o->name,
			    val != NULL ? val : "", (o->flags & VT_PF_SIZE) ?
			    " (decimal or 0x hex, optional k, M or G)" :
			    " (decimal, or 0x hex)");
			return (-1);
		}
		if ((double)u < o->min || (double)u > o->max) {
			vt_usage_err("--%s %s: out of range (%.0f..%.0f)", o->name,
			    val, o->min, o->max);
			return (-1);
		}
		if (o->kind == VT_P_POW2 && (u & (u - 1)) != 0) {
			vt_usage_err("--%s %s: not a power of two", o->name, val);
			return (-1);
		}
		if (o->kind == VT_P_U64)
			*(uint64_t *)p = u;
		else
			*(uint32_t *)p = (uint32_t)u;
		return (0);
	case VT_P_DBL:
	case VT_P_PROB:
		if (((o->flags & VT_PF_TIME) ? vt_parse_duration(val, &d) :
		    vt_parse_double(val, &d)) != 0) {
			vt_usage_err("--%s %s: not a %s", o->name,
			    val != NULL ? val : "", (o->flags & VT_PF_TIME) ?
			    "duration (seconds, or with a unit: 500ms, 10s, 5m, "
			    "2h)" : "number");
			return (-1);
		}
		if (d < o->min || d > o->max) {
			vt_usage_err("--%s %s: out of range (%g..%g)", o->name, val,
			    o->min, o->max);
			return (-1);
		}
		*(double *)p = d;
		return (0);
	case VT_P_STR:
		if (val == NULL || *val == '\0') {
			vt_usage_err("--%s: empty argument", o->name);
			return (-1);
		}
		*(const char **)p = val;
		return (0);
	case VT_P_BOOL:
		if (val == NULL || strcmp(val, "1") == 0 ||
		    strcmp(val, "true") == 0 || strcmp(val, "yes") == 0) {
			*(bool *)p = true;
		} else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0 ||
		    strcmp(val, "no") == 0) {
			*(bool *)p = false;
		} else {
			vt_usage_err("--%s %s: expected true or false", o->name,
			    val);
			return (-1);
		}
		return (0);
	case VT_P_ENUM:
		for (const struct vt_param_choice *ch = o->choices;
		    val != NULL && ch != NULL && ch->names != NULL; ch++) {
			if (choice_matches(ch, val)) {
				*(int *)p = ch->value;
				return (0);
			}
		}
		{
			char names[256];

			choice_list(o, names, sizeof (names));
			vt_usage_err("--%s %s: unknown value (%s)", o->name,
			    val != NULL ? val : "", names);
		}
		return (-1);
	case VT_P_LOCK: {
		const struct vt_lock_ops *lo = vt_lock_find(val);

		if (lo == NULL) {
			char names[256];

			lock_names(names, sizeof (names));
			vt_usage_err("--%s %s: unknown lock back end (%s)", o->name,
			    val != NULL ? val : "", names);
			return (-1);
		}
		*(const char **)p = lo->name;
		return (0);
	}
	}
	vt_usage_err("--%s: option of an unknown kind", o->name);
	return (-1);
}

void
vt_param_defaults(const struct vt_param *t, size_t n, void *block)
{
	for (size_t i = 0; i < n; i++) {
		const struct vt_param *p = &t[i];
		void *f = (char *)block + p->off;

		switch (p->kind) {
		case VT_P_U32:
		case VT_P_POW2:
			*(uint32_t *)f = (uint32_t)p->def;
			break;
		case VT_P_U64:
			if (p->def_str != NULL &&
			    strcmp(p->def_str, "auto") == 0)
				*(uint64_t *)f = VT_PARAM_AUTO;
			else
				*(uint64_t *)f = (uint64_t)p->def;
			break;
		case VT_P_DBL:
		case VT_P_PROB:
			*(double *)f = p->def;
			break;
		case VT_P_BOOL:
			*(bool *)f = p->def != 0;
			break;
		case VT_P_STR:
		case VT_P_LOCK:
			*(const char **)f = p->def_str;
			break;
		case VT_P_ENUM:
			*(int *)f = 0;
			for (const struct vt_param_choice *ch = p->choices;
			    p->def_str != NULL && ch != NULL &&
			    ch->names != NULL; ch++)
				if (choice_matches(ch, p->def_str))
					*(int *)f = ch->value;
			break;
		}
	}
}

void
vt_param_format(const struct vt_param *o, const void *block, char *buf,
    size_t len)
{
	const void *p = (const char *)block + o->off;

	switch (o->kind) {
	case VT_P_U32:
	case VT_P_POW2:
		snprintf(buf, len, "%" PRIu32, *(const uint32_t *)p);
		return;
	case VT_P_U64:
		if ((o->flags & VT_PF_AUTO) &&
		    *(const uint64_t *)p == VT_PARAM_AUTO)
			snprintf(buf, len, "auto");
		else if ((o->flags & VT_PF_PAGE) &&
		    *(const uint64_t *)p == VT_PARAM_PAGE)
			snprintf(buf, len, "page");
		else
			snprintf(buf, len, "%" PRIu64, *(const uint64_t *)p);
		return;
	case VT_P_DBL:
	case VT_P_PROB: {
		double d = *(const double *)p;

		/*
		 * The shortest %g that reads back as d: a replay line must
		 * give the very same value (0.1234567 is not 0.123457).
		 */
		for (int prec = 6; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		return;
	}
	case VT_P_STR:
	case VT_P_LOCK: {
		const char *s = *(const char *const *)p;

		snprintf(buf, len, "%s", s != NULL ? s : "");
		return;
	}
	case VT_P_BOOL:
		snprintf(buf, len, "%s", *(const bool *)p ? "true" : "false");
		return;
	case VT_P_ENUM:
		choice_name(o, *(const int *)p, buf, len);
		return;
	}
	snprintf(buf, len, "?");
}

bool
vt_param_unset(const struct vt_param *o, const void *block)
{
	const void *p = (const char *)block + o->off;

	if (o->kind == VT_P_STR)
		return (*(const char *const *)p == NULL);
	return (false);
}

bool
vt_param_differs(const struct vt_param *o, const void *a, const void *b)
{
	char x[160], y[160];

	vt_param_format(o, a, x, sizeof (x));
	vt_param_format(o, b, y, sizeof (y));
	return (strcmp(x, y) != 0);
}

void *
vt_param_json(const struct vt_param *d, const void *block)
{
	const void *p = (const char *)block + d->off;
	char buf[160];

	switch (d->kind) {
	case VT_P_U32:
	case VT_P_POW2:
		return (json_object_new_int64(*(const uint32_t *)p));
	case VT_P_U64:
		if ((d->flags & VT_PF_AUTO) &&
		    *(const uint64_t *)p == VT_PARAM_AUTO)
			return (json_object_new_string("auto"));
		if ((d->flags & VT_PF_PAGE) &&
		    *(const uint64_t *)p == VT_PARAM_PAGE)
			return (json_object_new_string("page"));
		return (json_object_new_uint64(*(const uint64_t *)p));
	case VT_P_DBL:
	case VT_P_PROB:
		return (json_object_new_double(*(const double *)p));
	case VT_P_BOOL:
		return (json_object_new_boolean(*(const bool *)p));
	case VT_P_STR:
		if (*(const char *const *)p == NULL)
			return (NULL);
		break;
	case VT_P_LOCK:
	case VT_P_ENUM:
		break;
	}
	vt_param_format(d, block, buf, sizeof (buf));
	return (json_object_new_string(buf));
}

void
vt_param_help(const struct vt_param *o, FILE *f)
{
	char head[64], v[160];

	if (o->shortc != 0)
		snprintf(head, sizeof (head), "-%c, --%s", o->shortc, o->name);
	else
		snprintf(head, sizeof (head), "--%s%s%s", o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
	v[0] = '\0';
	if (o->kind == VT_P_ENUM) {
		char names[160];

		choice_list(o, names, sizeof (names));
		fprintf(f, "  %-30s %s (%s)%s%s%s\n", head, o->help, names,
		    o->def_str ? " [" : "", o->def_str ? o->def_str : "",
		    o->def_str ? "]" : "");
		return;
	}
	if (o->kind == VT_P_STR || o->kind == VT_P_LOCK) {
		if (o->def_str != NULL)
			snprintf(v, sizeof (v), "%s", o->def_str);
	} else if (o->kind != VT_P_BOOL) {
		if (o->def_str != NULL)
			snprintf(v, sizeof (v), "%s", o->def_str);
		else if (o->kind == VT_P_DBL || o->kind == VT_P_PROB)
			snprintf(v, sizeof (v), "%g", o->def);
		else
			snprintf(v, sizeof (v), "%.0f", o->def);
	}
	fprintf(f, "  %-30s %s%s%s%s\n", head, o->help, v[0] ? " [" : "", v,
	    v[0] ? "]" : "");
}
