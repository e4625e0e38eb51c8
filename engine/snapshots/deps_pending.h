/* deps_pending.h: TEMPORARY. The KMS (INTERFACES.md §1, branch kms) and snapshot-file
 * (§2, branch snapcore) functions this family calls, declared as the interfaces write
 * them until those branches are merged; deps_stub.c stands in for them meanwhile. */
#ifndef RDSLOCAL_SNAPSHOTS_DEPS_PENDING_H
#define RDSLOCAL_SNAPSHOTS_DEPS_PENDING_H

#include "engine_internal.h"

typedef struct sv_snapshot_crypt {
    const unsigned char *key;
    const unsigned char *wrapped;
    size_t wrapped_n;
} sv_snapshot_crypt;
int sv_snapshot_create(sv_supervisor *sv, const char *inst_key, const char *snap_key,
                       const sv_snapshot_crypt *crypt, int64_t *bytes, rds_error *err);
int sv_snapshot_copy(sv_supervisor *sv, const char *src_key, const sv_snapshot_crypt *src,
                     const char *dst_key, const sv_snapshot_crypt *dst, rds_error *err);
int sv_snapshot_wrapped_key(sv_supervisor *sv, const char *snap_key, unsigned char *buf, size_t cap,
                            size_t *n, rds_error *err);
int sv_snapshot_delete(sv_supervisor *sv, const char *snap_key, rds_error *err);
int sv_instance_restore(sv_supervisor *sv, const sv_instance_spec *spec, const char *snap_key,
                        const sv_snapshot_crypt *crypt, rds_error *err);
int sv_snapshot_reconcile(sv_supervisor *sv, const char *const *keep, size_t n_keep,
                          const char *const *discard, size_t n_discard, rds_error *err);

#endif
