/*
 * hat_audit.h - the HAT subsystem's stop-the-world invariant audit
 * (DESIGN §5.2).
 *
 * Runs with every worker parked at a safe point (no locks held, no
 * operation in flight), so it reads the whole HAT state without locks.
 * Each invariant has a stable name; a failure names the first one
 * violated (audit:<name>), with a message identifying the objects involved.
 */
#ifndef VT_SUBSYS_HAT_AUDIT_H
#define VT_SUBSYS_HAT_AUDIT_H

#include <stdint.h>

#include "../stress/audit.h"
#include "../stress/subsys.h"

/* Invariant names (the string printed in RESULT: FAIL (audit:<name>)). */
#define VT_HAT_CHECKS(X) \
	X(PTE_MLIST,	"pte-mlist",	"valid consistent leaf PTE has exactly one mapping-list entry, and nothing else is listed") \
	X(EMBED,	"embed",	"p_embed/p_mapping/p_share rules; p_share equals the list length") \
	X(MLIST_LINKS,	"mlist-links",	"hm_next/hm_prev links of each mapping list are consistent; hm_pfn names the page") \
	X(HASH_ONCE,	"hash-once",	"every listed hment is in the hment hash exactly once, in the bucket HMENT_HASH names") \
	X(HASH_EXTRA,	"hash-extra",	"the hment hash holds nothing that is not on a mapping list") \
	X(VALID_CNT,	"valid-cnt",	"ht_valid_cnt equals the table's valid entries") \
	X(BUSY,		"busy",		"ht_busy equals linked children + top-level hold + sharers (no extra holds at rest)") \
	X(HT_HASHED,	"ht-hashed",	"every table is in its hat's hash exactly once, in the right bucket, with consistent links") \
	X(PARENT_PTP,	"parent-ptp",	"each table's parent holds a PTP to it at the right entry, and every PTP leads to a hashed child") \
	X(FRAME_TAG,	"frame-tag",	"no frame is both free and in use; page-table frames carry their level's tag") \
	X(HMENT_CONSERVE, "hment-conserve", "hments allocated from kmem = on mapping lists + in reserve") \
	X(HTABLE_CONSERVE, "htable-conserve", "htables allocated from kmem = hashed + cached + in reserve") \
	X(RESERVE_CNT,	"reserve-cnt",	"reserve counts equal reserve list lengths") \
	X(FREEMEM,	"freemem",	"freemem equals the number of frames tagged free; active_ptables equals page-table frames") \
	X(HAT_LIST,	"hat-list",	"hat list links are consistent; no VICTIM/FREEING flags at rest")

enum vt_hat_check {
#define VT_HAT_CHECK_ENUM(id, name, desc) VT_HAT_CHECK_##id,
	VT_HAT_CHECKS(VT_HAT_CHECK_ENUM)
#undef VT_HAT_CHECK_ENUM
	VT_HAT_NCHECKS
};

/* Names and descriptions, in enum order (the subsystem's checks). */
extern const struct vt_check vt_hat_checks[VT_HAT_NCHECKS];
const char *vt_hat_check_name(enum vt_hat_check c);

/*
 * Audit the whole HAT state.  World stopped; takes no locks.  Returns the
 * number of violations (0: all invariants hold) and fills *r (r->first is
 * an enum vt_hat_check, VT_HAT_NCHECKS when none).
 */
uint32_t vt_hat_audit(struct vt_audit_result *r);

#endif /* VT_SUBSYS_HAT_AUDIT_H */
