/*
 * fuzz_ini.c - libFuzzer target: the INI scenario-file loader.
 *
 * The input is the text of a scenario file.  It is applied, with
 * vt_config_load_ini_text as `-f FILE` would apply it, to the configuration
 * of every registered scenario (each parsed once, at start-up, from its
 * bare name), so a file naming any scenario in its [global] section is
 * taken in full by that one and refused by the others.  The loader must
 * accept the input or refuse it with a usage error, never crash, and leak
 * nothing; the line of whatever it accepted is then printed (to a buffer),
 * which reads every value it set.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "../../scenarios/scenario.h"
#include "../../stress/run.h"
#include "../../stress/subsys.h"
#include "../../subsys/registry.h"

static struct vt_config *base;	/* one per scenario, from its name alone */
static int nbase;
static struct vt_config work;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct vt_scenario_ops *const *scs;

	if (vt_engine_register(vt_scenarios, vt_subsystems) != 0)
		abort();
	vt_fuzz_quiet();
	scs = vt_engine_scenarios();
	while (scs[nbase] != NULL)
		nbase++;
	if ((base = calloc((size_t)nbase, sizeof (*base))) == NULL)
		abort();
	for (int i = 0; i < nbase; i++) {
		const struct vt_scenario_ops *sc;
		char *av[2] = { (char *)(uintptr_t)scs[i]->name, NULL };

		if (vt_config_parse(&base[i], &sc, 1, av) != 0)
			abort();
	}
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[4096];

	for (int i = 0; i < nbase; i++) {
		memcpy(&work, &base[i], sizeof (work));
		if (vt_config_load_ini_text(&work, "fuzz.ini",
		    (const char *)data, size) == 0)
			(void) vt_config_cmdline(&work, true, line,
			    sizeof (line));
	}
	return (0);
}
