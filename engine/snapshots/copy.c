/* copy.c: CopyDBSnapshot. The copy lands in the request's region; the source is an id of
 * that region or a snapshot ARN of any region of this account (the SDKs turn SourceRegion
 * into such an ARN plus a PreSignedUrl, which is accepted and not checked).
 * Encryption, as on AWS: an unencrypted source with KmsKeyId gives an encrypted copy; an
 * encrypted source keeps its key unless KmsKeyId names another (re-encryption); there is
 * no way to ask for an unencrypted copy of an encrypted snapshot. Across regions an
 * encrypted source needs a KmsKeyId of the destination region. Tags: with CopyTags the
 * source's, plus the request's Tags. */
#include "snapshots/snapshots.h"

#include <openssl/crypto.h>
#include <string.h>

typedef struct copy_ctx {
    const copy_snapshot_in *in;
    snapshot_view *out;
    const char *src_region, *src_id;
    db_snapshot *src, *dst;
    const char *src_arn, *dst_arn;
} copy_ctx;

static int copy_check_input(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    const copy_snapshot_in *in = c->in;
    if (!in->source || !*in->source)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter SourceDBSnapshotIdentifier must be provided and must not be blank.");
    if (snapshots__check_id("TargetDBSnapshotIdentifier", in->target, err) ||
        snapshots__check_tags(r->a, &in->tags, err))
        return -1;
    op->name = rds_lower(arena_strdup(r->a, in->target));
    c->src_id = snapshots__id_arg(r, in->source, &c->src_region);
    if (!c->src_id)
        return snapshots__not_found(err, in->source);
    return 0;
}

static int copy_load(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (snapshots__load(r, op->s, c->src_region, c->src_id, &c->src, err))
        return -1;
    db_snapshot *existing;
    if (store_snapshot_get(op->s, r->a, r->region, op->name, &existing, err))
        return -1;
    /* (also a same-region copy onto its own source) */
    return existing ? snapshots__already_exists(err, op->name) : 0;
}

static int copy_check(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    const copy_snapshot_in *in = c->in;
    bool same_region = strcmp(c->src_region, r->region) == 0;
    if (strcmp(snapshots__shown_status(c->src, rds_now_ms()), "available") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_SNAPSHOT_STATE,
                        "Snapshot %s is not in available state.", c->src->id);
    /* only the default option group exists: the source's */
    if (in->option_group && (!c->src->option_group || strcmp(in->option_group, c->src->option_group) != 0))
        return rds_fail(err, RDS_E_OPTION_GROUP_NOT_FOUND_FAULT, "Specified OptionGroupName: %s not found.",
                        in->option_group);
    if (snapshots__check_quota(r, op->s, err))
        return -1;
    const char *key = NULL;
    if (in->kms_key_id && *in->kms_key_id) {
        /* resolved in the request's (the destination's) region */
        if (engine__kms_usable_key(r, op->s, in->kms_key_id, &key, err))
            return -1;
    } else if (c->src->encrypted) {
        if (!same_region)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "KmsKeyId is required to copy an encrypted snapshot to another region: KMS keys "
                            "belong to one region.");
        key = c->src->kms_key_id;
    }
    /* the source's key must be usable to read an encrypted source */
    if (c->src->encrypted && engine__kms_arn_usable(r->e, op->s, r->a, c->src->kms_key_id, err))
        return -1;
    db_snapshot *dst = c->dst = arena_alloc(r->a, sizeof *dst);
    *dst = *c->src;
    dst->region = r->region;
    dst->id = op->name;
    dst->snap_key = snapshots__new_key(r->a);
    dst->snapshot_type = "manual";
    dst->status = "creating";
    dst->shown_status = NULL;
    dst->shown_until_ms = 0;
    dst->created_at_ms = rds_now_ms();
    dst->original_created_at_ms = c->src->original_created_at_ms ? c->src->original_created_at_ms
                                                                  : c->src->created_at_ms;
    dst->encrypted = key != NULL;
    dst->kms_key_id = key;
    dst->restore_accounts = NULL;
    c->src_arn = engine__kind_arn(r->e, r->a, &engine__kind_snapshot, c->src_region, c->src->id);
    /* AWS shows the source's ARN only for a cross-Region (or cross-account) copy */
    dst->source_snapshot_arn = same_region ? NULL : c->src_arn;
    dst->source_region = same_region ? NULL : c->src_region;
    c->dst_arn = engine__kind_arn(r->e, r->a, &engine__kind_snapshot, r->region, op->name);
    return 0;
}

static int copy_write(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    bool copy_tags = c->in->copy_tags.set && c->in->copy_tags.v;
    /* CopyTags and Tags combine: the source's tags, then the request's (a key in both
     * takes the request's value) */
    return store_snapshot_put(op->s, c->dst, err) ||
                   (copy_tags && snapshots__write_tags(op->s, r->a, c->dst_arn, NULL, c->src_arn, err)) ||
                   snapshots__write_tags(op->s, r->a, c->dst_arn, &c->in->tags, NULL, err) ||
                   engine__event_for(r->e, op->s, &engine__kind_snapshot, r->region, op->name,
                                     RULES_EV_SNAPSHOT_COPY_STARTED, c->src->id, err)
               ? -1
               : 0;
}

static int forget_row(engine_op *op, rds_error *err)
{
    engine_req *r = op->r;
    return store_snapshot_delete(op->s, r->region, op->name, err) ||
           engine__forget(r->e, op->s, r->a, &engine__kind_snapshot, r->region, op->name, err);
}

static int settle(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    return store_snapshot_put(op->s, c->dst, err) ||
           engine__event_for(r->e, op->s, &engine__kind_snapshot, r->region, op->name,
                             RULES_EV_SNAPSHOT_COPY_FINISHED, c->src->id, err);
}

/* The files: the source decrypted with its data key (if encrypted), the copy encrypted
 * under a new data key of the destination key (if any). */
static int copy_files(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    engine *e = r->e;
    if (e->cfg.no_engine)
        return 0;
    if (!e->sv)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "The DB snapshot could not be copied.");
    unsigned char src_key[32], dst_key[32];
    sv_snapshot_crypt src = { 0 }, dst = { 0 };
    int rc = -1;
    if (c->src->encrypted) {
        if (snapshots__open_key(e, op->s, r->a, c->src, src_key, err))
            goto done;
        src.key = src_key;
    }
    if (c->dst->encrypted) {
        unsigned char *blob;
        size_t blob_n;
        if (engine__kms_new_data_key(e, op->s, r->a, c->dst->kms_key_id, dst_key, &blob, &blob_n, err))
            goto done;
        dst = (sv_snapshot_crypt){ dst_key, blob, blob_n };
    }
    rc = sv_snapshot_copy(e->sv, c->src->snap_key, &src, c->dst->snap_key, &dst, err);
done:
    OPENSSL_cleanse(src_key, sizeof src_key); /* a memset of a dead key may be elided */
    OPENSSL_cleanse(dst_key, sizeof dst_key);
    return rc;
}

static int copy_after(engine_op *op, rds_error *err)
{
    copy_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (copy_files(op, err)) {
        rds_error ignored = { 0 };
        if (engine__tx(op, forget_row, &ignored))
            log_at(LOG_ERROR, "engine", "snapshot %s: could not remove its row: %s", op->name, ignored.detail);
        log_at(LOG_ERROR, "engine", "could not copy snapshot \"%s\": %s (%s)", op->name, err->message,
               err->detail);
        return -1;
    }
    snapshots__set_status(r->e, c->dst, "available", "copying");
    if (engine__tx(op, settle, err))
        return -1;
    if (snapshots__view(r, op->s, c->dst, c->out, err))
        return -1;
    /* AWS's copy response shows the new snapshot as pending */
    c->out->status = "pending";
    c->out->percent_progress = 0;
    return 0;
}

int engine_copy_snapshot(engine_req *r, const copy_snapshot_in *in, snapshot_view *out, rds_error *err)
{
    copy_ctx c = { .in = in, .out = out };
    engine_op op = { .r = r, .kind = "snapshot", .name = in->target, .ctx = &c,
                     .check_input = copy_check_input, .load = copy_load, .check = copy_check,
                     .write = copy_write, .after = copy_after };
    return engine__run(&op, err);
}
