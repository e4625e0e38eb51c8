/* sv_untar.h: private to engine/supervisor. A streaming extractor for the ustar archives
 * snapshots hold (sv_untar.c says what is accepted and why it is ours, not `tar -x`). */
#ifndef RDSLOCAL_SV_UNTAR_H
#define RDSLOCAL_SV_UNTAR_H

#include "rdslocal/base.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sv_untar sv_untar;

/* Extracts into the existing, empty directory dir; entries are chowned to uid/gid unless
 * uid is (uid_t)-1. */
int sv__untar_open(sv_untar **out, const char *dir, uid_t uid, gid_t gid, rds_error *err);
/* Feeds the next n bytes of the archive (any split). INTERNAL_FAILURE on a damaged or
 * unsupported archive (detail names the entry) or a write error. */
int sv__untar_feed(sv_untar *u, const unsigned char *p, size_t n, rds_error *err);
/* The archive is complete: its end-of-archive block was seen. Else INTERNAL_FAILURE. */
int sv__untar_finish(sv_untar *u, rds_error *err);
void sv__untar_free(sv_untar *u);

#endif
