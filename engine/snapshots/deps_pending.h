/* deps_pending.h: TEMPORARY. The KMS (INTERFACES.md §1, branch kms) and snapshot-file
 * (§2, branch snapcore) functions this family calls, declared as the interfaces write
 * them until those branches are merged; deps_stub.c stands in for them meanwhile. */
#ifndef RDSLOCAL_SNAPSHOTS_DEPS_PENDING_H
#define RDSLOCAL_SNAPSHOTS_DEPS_PENDING_H

#include "engine_internal.h"

int engine__kms_usable_key(engine_req *r, store *s, const char *ref, const char **key_arn, rds_error *err);
int engine__kms_key_state(engine *e, store *s, arena *a, const char *key_arn, const char **state,
                          rds_error *err);
bool engine__kms_is_aws_managed(engine *e, store *s, arena *a, const char *key_arn);
int engine__kms_new_data_key(engine *e, store *s, arena *a, const char *key_arn, unsigned char plain32[32],
                             unsigned char **blob, size_t *blob_n, rds_error *err);
int engine__kms_open_data_key(engine *e, store *s, arena *a, const unsigned char *blob, size_t blob_n,
                              unsigned char plain32[32], const char **key_arn, rds_error *err);

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
