/*
 * campaign_spec.h - what a `vmtorture campaign` runs: its matrix of
 * scenarios x option sets x strategies (cells), its seeds or budget, its
 * shard, read from an INI campaign file and the command line
 * (campaign_spec.c).
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_CAMPAIGN_SPEC_H
#define VT_STRESS_CAMPAIGN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_MAX_SCEN	32
#define CS_MAX_OPT	16
#define CS_MAX_STRAT	16
#define CS_MAX_WORDS	96
#define CS_MAX_JOBS	64

/* A strategy: free, or a --sched name with a depth (the name: "pct:3"). */
struct cs_strategy {
	char		name[24];
	char		sched[16];	/* "free", "random", "pct", ... */
	uint64_t	depth;		/* --depth, 0: the run's default */
};

/* A named set of run options. */
struct cs_optset {
	char		name[32];
	char		*words[CS_MAX_WORDS];	/* into text */
	int		nw;
	char		text[1024];
};

struct cs_spec {
	const char	*scen[CS_MAX_SCEN];
	int		nscen;
	struct cs_optset opt[CS_MAX_OPT];
	int		nopt;
	struct cs_strategy strat[CS_MAX_STRAT];
	int		nstrat;
	struct cs_optset common;	/* run options for every cell */
	double		budget;		/* seconds; 0 with seeds */
	bool		have_seeds;
	uint64_t	lo, hi;		/* --seeds */
	uint64_t	jobs;
	bool		keep_going;
	uint64_t	shard, nshards;
	char		shard_text[48];
	const char	*out;
	double		timeout;	/* per run; 0: free D + 20, ctl 60 */
	uint64_t	recheck;	/* every N-th controlled run twice; 0 off */
	bool		handoff;	/* free failures to controlled mode */
	uint64_t	handoff_seeds;	/* scheduler seeds tried per handoff */
};

/*
 * Parse `campaign [options]` (argv[0] is the first option).  0 to run, 1
 * after printing help, -1 after a one-line error.
 */
int cs_parse(struct cs_spec *s, int argc, char **argv);

/* The cell count and the parts of cell c. */
int cs_ncells(const struct cs_spec *s);
void cs_cell(const struct cs_spec *s, int c, int *scen, int *opt, int *strat);
void cs_cell_name(const struct cs_spec *s, int c, char *buf, size_t len);

/* Does any of the cell's user words (common, its option set) name opt? */
bool cs_has_opt(const struct cs_spec *s, int opt, const char *name);

#endif /* VT_STRESS_CAMPAIGN_SPEC_H */
