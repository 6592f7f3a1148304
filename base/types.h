/*
 * types.h - the illumos kernel's basic types and small macros, for every
 * layer of the port (base/ is the bottom layer: it includes nothing of the
 * project).
 */
#ifndef VT_BASE_TYPES_H
#define VT_BASE_TYPES_H

#include <stdint.h>

typedef unsigned int	uint_t;
typedef unsigned long	ulong_t;
typedef unsigned char	uchar_t;
typedef unsigned short	ushort_t;
typedef uint64_t	u_offset_t;
typedef uint64_t	pfn_t;
typedef uint64_t	pgcnt_t;
typedef uint64_t	paddr_t;
typedef char		*caddr_t;
typedef int8_t		level_t;
typedef int		boolean_t;

#define B_FALSE		0
#define B_TRUE		1
#define PFN_INVALID	((pfn_t)-1)

#ifndef MIN
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#endif

#endif /* VT_BASE_TYPES_H */
