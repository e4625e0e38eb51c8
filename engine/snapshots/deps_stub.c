/* deps_stub.c: TEMPORARY stand-ins for the KMS and snapshot-file interfaces (see
 * deps_pending.h) until the kms and snapcore branches are merged: keys are the region's
 * AWS managed key or the ARN given, always enabled; there are no snapshot files. */
#include "snapshots/deps_pending.h"

#include <string.h>

int engine__kms_usable_key(engine_req *r, store *s, const char *ref, const char **key_arn, rds_error *err)
{
    (void)s;
    (void)err;
    *key_arn = ref && *ref ? ref : engine__default_kms_key(r->e, r->a, r->region);
    return 0;
}

int engine__kms_key_state(engine *e, store *s, arena *a, const char *key_arn, const char **state,
                          rds_error *err)
{
    (void)e, (void)s, (void)a, (void)key_arn, (void)err;
    *state = "Enabled";
    return 0;
}

bool engine__kms_is_aws_managed(engine *e, store *s, arena *a, const char *key_arn)
{
    (void)s;
    const char *region = key_arn + strlen("arn:aws:kms:");
    const char *colon = strchr(region, ':');
    if (strncmp(key_arn, "arn:aws:kms:", 12) != 0 || !colon)
        return false;
    return strcmp(key_arn, engine__default_kms_key(e, a, arena_strndup(a, region, (size_t)(colon - region)))) == 0;
}

int engine__kms_new_data_key(engine *e, store *s, arena *a, const char *key_arn, unsigned char plain32[32],
                             unsigned char **blob, size_t *blob_n, rds_error *err)
{
    (void)e, (void)s, (void)a, (void)key_arn, (void)plain32, (void)blob, (void)blob_n;
    return rds_fail(err, RDS_E_INTERNAL_FAILURE, "KMS is not merged yet.");
}

int engine__kms_open_data_key(engine *e, store *s, arena *a, const unsigned char *blob, size_t blob_n,
                              unsigned char plain32[32], const char **key_arn, rds_error *err)
{
    (void)e, (void)s, (void)a, (void)blob, (void)blob_n, (void)plain32, (void)key_arn;
    return rds_fail(err, RDS_E_INTERNAL_FAILURE, "KMS is not merged yet.");
}

#define NOT_YET(err) rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot files are not merged yet.")

int sv_snapshot_create(sv_supervisor *sv, const char *inst_key, const char *snap_key,
                       const sv_snapshot_crypt *crypt, int64_t *bytes, rds_error *err)
{
    (void)sv, (void)inst_key, (void)snap_key, (void)crypt, (void)bytes;
    return NOT_YET(err);
}

int sv_snapshot_copy(sv_supervisor *sv, const char *src_key, const sv_snapshot_crypt *src,
                     const char *dst_key, const sv_snapshot_crypt *dst, rds_error *err)
{
    (void)sv, (void)src_key, (void)src, (void)dst_key, (void)dst;
    return NOT_YET(err);
}

int sv_snapshot_wrapped_key(sv_supervisor *sv, const char *snap_key, unsigned char *buf, size_t cap,
                            size_t *n, rds_error *err)
{
    (void)sv, (void)snap_key, (void)buf, (void)cap, (void)n;
    return NOT_YET(err);
}

int sv_snapshot_delete(sv_supervisor *sv, const char *snap_key, rds_error *err)
{
    (void)sv, (void)snap_key, (void)err;
    return 0;
}

int sv_instance_restore(sv_supervisor *sv, const sv_instance_spec *spec, const char *snap_key,
                        const sv_snapshot_crypt *crypt, rds_error *err)
{
    (void)sv, (void)spec, (void)snap_key, (void)crypt;
    return NOT_YET(err);
}

int sv_snapshot_reconcile(sv_supervisor *sv, const char *const *keep, size_t n_keep,
                          const char *const *discard, size_t n_discard, rds_error *err)
{
    (void)sv, (void)keep, (void)n_keep, (void)discard, (void)n_discard, (void)err;
    return 0;
}
