/*
 * hat_pte.h - amd64 page-table geometry and PTE bits (digest §1.4-1.7).
 * Four levels, shifts 12/21/30/39, 512 entries per table, 8-byte PTEs.
 */
#ifndef VT_CORE_HAT_PTE_H
#define VT_CORE_HAT_PTE_H

#include <stdint.h>

typedef uint64_t x86pte_t;

#define MAX_NUM_LEVEL	4
#define MAX_PAGE_LEVEL	2
#define MMU_PAGESIZE	4096UL
#define MMU_PAGESHIFT	12
#define MMU_PAGEOFFSET	(MMU_PAGESIZE - 1)
#define MMU_PAGEMASK	(~MMU_PAGEOFFSET)
#define mmu_btop(x)	((uint64_t)(x) >> MMU_PAGESHIFT)
#define mmu_ptob(x)	((uint64_t)(x) << MMU_PAGESHIFT)
#define pfn_to_pa(pfn)	mmu_ptob(pfn)
#define PAGESIZE	MMU_PAGESIZE
#define PAGESHIFT	MMU_PAGESHIFT

/* PTE bits (digest §1.6). */
#define PT_VALID	0x001ULL
#define PT_WRITABLE	0x002ULL
#define PT_USER		0x004ULL
#define PT_WRITETHRU	0x008ULL
#define PT_NOCACHE	0x010ULL
#define PT_REF		0x020ULL
#define PT_MOD		0x040ULL
#define PT_PAGESIZE	0x080ULL
#define PT_PAT_4K	0x080ULL
#define PT_GLOBAL	0x100ULL
#define PT_SOFTWARE	0xe00ULL
#define PT_NOSYNC	0x200ULL
#define PT_NOCONSIST	0x400ULL
#define PT_PAT_LARGE	0x1000ULL
#define PT_PTPBITS	(PT_VALID | PT_USER | PT_WRITABLE | PT_REF)
#define PT_FLAGBITS	0xfffULL
#define PT_NX		0x8000000000000000ULL
#define PT_PADDR	0x000ffffffffff000ULL
#define PT_PADDR_LGPG	0x000fffffffffe000ULL
#define PT_IGNORE	0ULL

/* The MMU description filled by mmu_init() (htable.c/hat_i86.c). */
struct hat_mmu_info {
	x86pte_t	pt_nx;
	x86pte_t	pt_global;
	uint64_t	highest_pfn;
	unsigned	num_level;
	unsigned	max_level;
	unsigned	max_page_level;
	unsigned	umax_page_level;
	unsigned	ptes_per_table;
	unsigned	top_level_count;
	unsigned	hash_cnt;
	unsigned	vlp_hash_cnt;
	unsigned	pae_hat;
	uintptr_t	hole_start;
	uintptr_t	hole_end;
	unsigned	pte_size;
	unsigned	pte_size_shift;
	x86pte_t	ptp_bits[MAX_NUM_LEVEL];
	x86pte_t	pte_bits[MAX_NUM_LEVEL];
	uintptr_t	level_shift[MAX_NUM_LEVEL];
	uintptr_t	level_size[MAX_NUM_LEVEL];
	uintptr_t	level_offset[MAX_NUM_LEVEL];
	uintptr_t	level_mask[MAX_NUM_LEVEL];
};
extern struct hat_mmu_info mmu;

#define LEVEL_SHIFT(l)	(mmu.level_shift[l])
#define LEVEL_SIZE(l)	(mmu.level_size[l])
#define LEVEL_OFFSET(l)	(mmu.level_offset[l])
#define LEVEL_MASK(l)	(mmu.level_mask[l])

#define PTE_SET(p, f)	((p) |= (f))
#define PTE_CLR(p, f)	((p) &= ~(x86pte_t)(f))
#define PTE_GET(p, f)	((p) & (f))
#define PTE_ISVALID(p)	PTE_GET(p, PT_VALID)
#define PTE_IS_LGPG(p, l)	((l) > 0 && PTE_GET(p, PT_PAGESIZE))
#define PTE_ISPAGE(p, l)	(PTE_ISVALID(p) && ((l) == 0 || PTE_GET(p, PT_PAGESIZE)))
#define PTE_EQUIV(a, b)	(((a) | PT_IGNORE | PT_REF | PT_MOD) == \
	((b) | PT_IGNORE | PT_REF | PT_MOD))
#define PTE2PFN(p, l)	mmu_btop(PTE_GET((p), PTE_IS_LGPG((p), (l)) ? \
	PT_PADDR_LGPG : PT_PADDR))
#define MAKEPTE(pfn, l)	(pfn_to_pa(pfn) | mmu.pte_bits[l])
#define MAKEPTP(pfn, l)	(pfn_to_pa(pfn) | mmu.ptp_bits[(l) + 1])
#define IN_VA_HOLE(va)	(mmu.hole_start <= (va) && (va) < mmu.hole_end)

/* Fill `mmu` for amd64 with max_page_level 1 (2 MiB pages), given physmax. */
void mmu_init(uint64_t physmax);

#endif /* VT_CORE_HAT_PTE_H */
