/* deps_stub.c: TEMPORARY stand-ins for the KMS and snapshot-file interfaces (see
 * deps_pending.h) until the kms and snapcore branches are merged: keys are the region's
 * AWS managed key or the ARN given, always enabled; there are no snapshot files. */
#include "snapshots/deps_pending.h"

#include <string.h>

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
