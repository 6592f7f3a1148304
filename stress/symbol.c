/*
 * symbol.c - code addresses as "function:file:line" (see symbol.h), read
 * from the binary's own DWARF with elfutils' libdw/libdwfl.
 *
 * Harness code (not ported).  libdwfl maps the process's modules from
 * /proc/self/maps; an address is looked up relative to its module, so the
 * answer does not depend on the load address.  The inline chain of the
 * address (dwarf_getscopes) gives one frame per inlined call: the innermost
 * frame's line comes from the line table, each outer frame's from the
 * DW_AT_call_file/DW_AT_call_line of the frame inside it.
 */
#include "symbol.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FRAMES	16
#define PATH_LEN	1024
#define SITE_LEN	256

struct frame {
	const char	*name;
	const char	*file;		/* as libdw gives it (absolute or not) */
	const char	*dir;		/* the unit's compile directory, or NULL */
	int		line;
};

/* One cached answer: pc 0 marks a free slot. */
struct slot {
	uintptr_t	pc;
	char		*site;
};

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dwfl;			/* NULL: not opened, or failed */
static bool opened;
static char root[PATH_LEN];		/* source tree prefix, "" if unknown */
static size_t rootlen;
static struct slot *cache;
static size_t cache_cap, cache_used;

extern char __executable_start;

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/*
 * Lexically tidy a path: drop "." components and fold "dir/.." (leading
 * ".." of a relative path stay).  Both spellings of one file then compare
 * equal, whichever build directory the compiler saw.
 */
static void
tidy_path(const char *in, char *out, size_t len)
{
	const char *comp[128];
	size_t clen[128], nc = 0, n = 0;
	bool abs = *in == '/';

	for (const char *p = in; *p != '\0';) {
		size_t cl;

		while (*p == '/')
			p++;
		cl = strcspn(p, "/");
		if (cl == 0)
			break;
		if (cl == 2 && p[0] == '.' && p[1] == '.' && nc > 0 &&
		    !(clen[nc - 1] == 2 && comp[nc - 1][0] == '.' &&
		    comp[nc - 1][1] == '.')) {
			nc--;
		} else if (cl == 2 && p[0] == '.' && p[1] == '.' && abs) {
			/* "/.." is "/" */
		} else if (!(cl == 1 && p[0] == '.') && nc < 128) {
			comp[nc] = p;
			clen[nc] = cl;
			nc++;
		}
		p += cl;
	}
	if (len == 0)
		return;
	if (abs && n + 1 < len)
		out[n++] = '/';
	for (size_t i = 0; i < nc && n + clen[i] + 1 < len; i++) {
		if (i > 0)
			out[n++] = '/';
		memcpy(out + n, comp[i], clen[i]);
		n += clen[i];
	}
	out[n] = '\0';
}

/*
 * The path of file relative to the source tree, into buf.  A relative name
 * is first taken from dir, the compile directory (compilers differ in which
 * names they record relative to it).
 */
static const char *
tree_path(const char *file, const char *dir, char *buf, size_t len)
{
	char joined[PATH_LEN];

	if (file[0] != '/' && dir != NULL && dir[0] == '/') {
		snprintf(joined, sizeof (joined), "%s/%s", dir, file);
		file = joined;
	}
	tidy_path(file, buf, len);
	if (rootlen > 0 && strncmp(buf, root, rootlen) == 0)
		memmove(buf, buf + rootlen, strlen(buf + rootlen) + 1);
	return (buf);
}

/* A DIE's name, following DW_AT_abstract_origin for inlined copies. */
static const char *
die_name(Dwarf_Die *die)
{
	Dwarf_Attribute at;

	return (dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &at)));
}

/*
 * The compile unit holding address a of mod, and the module's bias.  The
 * address ranges table (.debug_aranges) answers at once where there is
 * one; clang does not emit it by default, so otherwise every unit is asked.
 */
static bool
unit_of(Dwfl_Module *mod, Dwarf_Addr a, Dwarf_Die *cu, Dwarf_Addr *bias)
{
	Dwarf_Die *d = dwfl_module_addrdie(mod, a, bias);
	Dwarf *dw;
	Dwarf_CU *u = NULL, *next;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die die;

	if (d != NULL) {
		*cu = *d;
		return (true);
	}
	dw = dwfl_module_getdwarf(mod, bias);
	if (dw == NULL)
		return (false);
	while (dwarf_get_units(dw, u, &next, &version, &type, &die, NULL) == 0) {
		u = next;
		if ((type == DW_UT_compile || type == DW_UT_partial) &&
		    dwarf_haspc(&die, a - *bias) == 1) {
			*cu = die;
			return (true);
		}
	}
	return (false);
}

/*
 * The source file and line of address a (bias removed) in unit cu: the
 * last line-table row at or before a.  Code that the compiler merged from
 * several lines has line 0 (clang); then the nearest earlier row of the
 * same sequence that has a line names it, and *at is that row's address
 * (else a), where the inline frames are to be read.
 */
static const char *
line_at(Dwarf_Die *cu, Dwarf_Addr a, int *line, Dwarf_Addr *at)
{
	Dwarf_Lines *lines;
	Dwarf_Addr best = 0;
	size_t n, row = SIZE_MAX;

	*line = 0;
	*at = a;
	if (dwarf_getsrclines(cu, &lines, &n) != 0)
		return (NULL);
	for (size_t i = 0; i < n; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr la;
		bool end;

		if (l == NULL || dwarf_lineaddr(l, &la) != 0 ||
		    dwarf_lineendsequence(l, &end) != 0)
			continue;
		if (!end && la <= a && (row == SIZE_MAX || la >= best)) {
			best = la;
			row = i;
		}
	}
	for (size_t i = row; i != SIZE_MAX && row - i < 64; i--) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		bool end;

		if (l == NULL || dwarf_lineendsequence(l, &end) != 0 ||
		    (end && i != row))
			break;		/* the sequence before: not this code */
		if (dwarf_lineno(l, line) == 0 && *line != 0) {
			if (i != row)
				(void) dwarf_lineaddr(l, at);
			return (dwarf_linesrc(l, NULL, NULL));
		}
	}
	*line = 0;
	return (NULL);
}

/*
 * The frames of address a in mod, innermost first (at most max).  Returns
 * how many; 0 when the module has no DWARF for a.
 */
static int
frames_at(Dwfl_Module *mod, Dwarf_Addr a, struct frame *f, int max)
{
	Dwarf_Addr bias = 0, row_at;
	Dwarf_Die cudie, *cu = &cudie;
	Dwarf_Die *scopes = NULL;
	Dwarf_Files *files = NULL;
	Dwarf_Attribute at;
	size_t nfiles = 0;
	const char *file, *dir;
	int line = 0, n, nf = 0;

	if (!unit_of(mod, a, cu, &bias))
		return (0);
	dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &at));
	file = line_at(cu, a - bias, &line, &row_at);
	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
		files = NULL;
	/*
	 * dwarf_getscopes finds the innermost scope of a; past an inlined
	 * instance it continues in the inlined function's abstract tree, so
	 * the physical nesting (inlined instance inside its caller) comes
	 * from dwarf_getscopes_die on that innermost scope.
	 */
	n = dwarf_getscopes(cu, row_at, &scopes);
	if (n > 0) {
		Dwarf_Die inner = scopes[0];

		free(scopes);
		scopes = NULL;
		n = dwarf_getscopes_die(&inner, &scopes);
	}
	for (int i = 0; i < n && nf < max; i++) {
		Dwarf_Word w;
		int tag = dwarf_tag(&scopes[i]);

		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		f[nf].name = die_name(&scopes[i]);
		f[nf].file = file;
		f[nf].dir = dir;
		f[nf].line = line;
		nf++;
		if (tag == DW_TAG_subprogram)
			break;		/* the real function: outermost */
		/* The next frame out is at this inlined call's site. */
		file = NULL;
		line = 0;
		if (files != NULL && dwarf_formudata(dwarf_attr(&scopes[i],
		    DW_AT_call_file, &at), &w) == 0 && w < nfiles)
			file = dwarf_filesrc(files, w, NULL, NULL);
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line,
		    &at), &w) == 0)
			line = (int)w;
	}
	free(scopes);
	return (nf);
}

/* A function of this file, whose own path tells where the tree is. */
static void
find_root(void)
{
	static const char self[] = "stress/symbol.c";
	Dwarf_Addr a = (Dwarf_Addr)(uintptr_t)&find_root, bias = 0, row_at;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, a);
	Dwarf_Attribute at;
	Dwarf_Die cu;
	const char *file = NULL, *dir = NULL;
	size_t n;
	int line;

	root[0] = '\0';
	rootlen = 0;
	if (mod != NULL && unit_of(mod, a, &cu, &bias)) {
		file = line_at(&cu, a - bias, &line, &row_at);
		dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &at));
	}
	if (file == NULL)
		return;
	tree_path(file, dir, root, sizeof (root));
	n = strlen(root);
	if (n >= sizeof (self) - 1 &&
	    strcmp(root + n - (sizeof (self) - 1), self) == 0) {
		rootlen = n - (sizeof (self) - 1);
		root[rootlen] = '\0';
	} else {
		root[0] = '\0';
	}
}

static void
open_dwfl(void)
{
	opened = true;
	dwfl = dwfl_begin(&callbacks);
	if (dwfl == NULL)
		return;
	if (dwfl_linux_proc_report(dwfl, getpid()) != 0 ||
	    dwfl_report_end(dwfl, NULL, NULL) != 0) {
		dwfl_end(dwfl);
		dwfl = NULL;
		return;
	}
	find_root();
}

/* Name pc (a return address) into buf. */
static void
describe(uintptr_t pc, char *buf, size_t len)
{
	struct frame f[MAX_FRAMES];
	Dwarf_Addr a = (Dwarf_Addr)pc - 1;	/* inside the call */
	Dwfl_Module *mod = dwfl != NULL ? dwfl_addrmodule(dwfl, a) : NULL;
	char path[PATH_LEN];
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;
	int nf, pick;

	if (mod == NULL) {
		snprintf(buf, len, "pc+%#" PRIxPTR,
		    pc - (uintptr_t)&__executable_start);
		return;
	}
	/* The innermost frame outside locks/, else the real function. */
	nf = frames_at(mod, a, f, MAX_FRAMES);
	pick = nf - 1;
	for (int i = 0; i < nf; i++) {
		if (f[i].file == NULL)
			continue;
		tree_path(f[i].file, f[i].dir, path, sizeof (path));
		if (strncmp(path, "locks/", 6) != 0) {
			pick = i;
			break;
		}
	}
	if (pick >= 0 && f[pick].file != NULL) {
		snprintf(buf, len, "%s:%s:%d", f[pick].name != NULL ?
		    f[pick].name : "?", tree_path(f[pick].file, f[pick].dir,
		    path, sizeof (path)), f[pick].line);
		return;
	}
	name = dwfl_module_addrinfo(mod, a, &off, &sym, NULL, NULL, NULL);
	if (name != NULL)
		snprintf(buf, len, "%s+%#" PRIx64, name, (uint64_t)off + 1);
	else
		snprintf(buf, len, "pc+%#" PRIxPTR,
		    pc - (uintptr_t)&__executable_start);
}

static size_t
slot_of(uintptr_t pc, size_t cap)
{
	return ((size_t)((pc * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1));
}

/* Insert without growing (cap has room). */
static void
put(struct slot *tab, size_t cap, uintptr_t pc, char *site)
{
	size_t i = slot_of(pc, cap);

	while (tab[i].pc != 0)
		i = (i + 1) & (cap - 1);
	tab[i].pc = pc;
	tab[i].site = site;
}

static bool
grow(void)
{
	size_t ncap = cache_cap ? cache_cap * 2 : 1024;
	struct slot *n = calloc(ncap, sizeof (*n));

	if (n == NULL)
		return (false);
	for (size_t i = 0; i < cache_cap; i++)
		if (cache[i].pc != 0)
			put(n, ncap, cache[i].pc, cache[i].site);
	free(cache);
	cache = n;
	cache_cap = ncap;
	return (true);
}

const char *
vt_symbol_site(const void *p)
{
	uintptr_t pc = (uintptr_t)p;
	char buf[SITE_LEN];
	const char *site = "?";
	char *copy;
	size_t i;

	if (pc == 0)
		return ("-");
	pthread_mutex_lock(&sym_lock);
	if (cache_cap != 0) {
		for (i = slot_of(pc, cache_cap); cache[i].pc != 0;
		    i = (i + 1) & (cache_cap - 1)) {
			if (cache[i].pc == pc) {
				site = cache[i].site;
				goto out;
			}
		}
	}
	if (!opened)
		open_dwfl();
	if ((cache_used + 1) * 2 > cache_cap && !grow())
		goto out;
	describe(pc, buf, sizeof (buf));
	copy = strdup(buf);
	if (copy == NULL)
		goto out;
	put(cache, cache_cap, pc, copy);
	cache_used++;
	site = copy;
out:
	pthread_mutex_unlock(&sym_lock);
	return (site);
}
