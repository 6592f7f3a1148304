/*
 * audit.c - the audit driver (audit.h): every subsystem of the run, in the
 * scenario's order; the first subsystem with a violation names the check.
 *
 * Harness code (not ported).
 */
#include "audit.h"

#include <string.h>

#include "subsys.h"

uint32_t
vt_audit_run(const struct vt_config *c, struct vt_audit_result *r)
{
	const struct vt_subsys_ops *const *ssp = c->sc != NULL ?
	    c->sc->subsys : NULL;
	uint32_t total = 0;
	uint64_t objects = 0;

	memset(r, 0, sizeof (*r));
	for (int i = 0; ssp != NULL && ssp[i] != NULL; i++) {
		const struct vt_subsys_ops *ss = ssp[i];
		struct vt_audit_result one;
		uint32_t v;

		if (ss->audit == NULL)
			continue;
		memset(&one, 0, sizeof (one));
		v = ss->audit(&one);
		objects += one.objects;
		if (v != 0 && total == 0) {
			*r = one;
			if (r->check == NULL)
				r->check = (one.first >= 0 && (uint32_t)one.first <
				    ss->nchecks) ? ss->checks[one.first].name :
				    ss->name;
		}
		total += v;
	}
	r->violations = total;
	r->objects = objects;
	return (total);
}
