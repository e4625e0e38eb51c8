/* managed_password.c: master passwords RDS keeps in Secrets Manager
 * (ManageMasterUserPassword). New instances (create, the restores) share engine__mmp_new_*
 * (engine_internal.h); ModifyDBInstance turns management on or off and rotates
 * (RotateMasterUserPassword) through instances__mmp_* (instances.h); a deleted instance's
 * secret is scheduled for deletion. The server's password and the secret change in the
 * same operation: a rotation first commits the new credentials as the secret's AWSPENDING
 * version, then changes the server (act), then promotes the version in the op's
 * transaction (write), so a crash in between loses nothing (engine__mmp_finish_pending
 * completes it). The checks that could fail the write (the secret's KMS key) come before
 * act. */
#include "instances/instances.h"

#include <string.h>

/* ---- new instances ---- */

int engine__mmp_new_check(arena *a, opt_bool manage, const char *password_given, const char *kms_key_id,
                          engine_mmp *m, rds_error *err)
{
    *m = (engine_mmp){ .on = manage.set && manage.v, .kms_key_id = kms_key_id };
    if (kms_key_id && !m->on)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "A ManageMasterUserPassword value is required when MasterUserSecretKmsKeyId is specified.");
    if (!m->on)
        return 0;
    if (password_given)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.");
    m->password = engine__secret_new_password(a);
    return 0;
}

int engine__mmp_new_write(engine_op *op, db_instance *d, const char *instance_arn, const engine_mmp *m,
                          rds_error *err)
{
    if (!m->on)
        return 0;
    return engine__secret_rds_create(op->r, op->s, instance_arn, d->master_username, m->password, m->kms_key_id,
                                     &d->master_secret_arn, &d->master_secret_key_arn, err);
}

int engine__mmp_new_server(engine_op *op, const db_instance *d, const engine_mmp *m, rds_error *err)
{
    engine *e = op->r->e;
    if (!m->on || e->cfg.no_engine || !e->sv)
        return 0;
    return sv_instance_set_master_password(e->sv, d->resource_id, d->master_username, m->password, err);
}

void engine__mmp_new_undo(engine_op *op, const db_instance *d)
{
    rds_error err;
    rds_error_clear(&err);
    if (!d->master_secret_arn || store_begin(op->s, &err))
        return;
    if (engine__secret_rds_drop(op->r, op->s, d->master_secret_arn, true, &err) || store_commit(op->s, &err))
        store_rollback(op->s);
}

/* ---- ModifyDBInstance ---- */

bool instances__mmp_requested(const modify_instance_in *in)
{
    return in->manage_master_password.set || in->rotate_master_password.set || in->master_secret_kms_key_id;
}

int instances__mmp_check_input(const modify_instance_in *in, rds_error *err)
{
    bool manage_on = in->manage_master_password.set && in->manage_master_password.v;
    bool manage_off = in->manage_master_password.set && !in->manage_master_password.v;
    bool rotate = in->rotate_master_password.set && in->rotate_master_password.v;
    if (manage_on && in->master_password)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.");
    if (manage_off && !in->master_password)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "MasterUserPassword must be provided when ManageMasterUserPassword is set to false.");
    if (in->master_secret_kms_key_id && !manage_on)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "A ManageMasterUserPassword value is required when MasterUserSecretKmsKeyId is specified.");
    if (rotate && !(in->apply_immediately.set && in->apply_immediately.v))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You must specify apply immediately when rotating the master user password.");
    if (rotate && (in->manage_master_password.set || in->master_password))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You can't specify RotateMasterUserPassword together with ManageMasterUserPassword or "
                        "MasterUserPassword.");
    return 0;
}

int instances__mmp_check(engine_op *op, const modify_instance_in *in, const db_instance *d, rds_error *err)
{
    bool managed = d->master_secret_arn && *d->master_secret_arn;
    bool manage_on = in->manage_master_password.set && in->manage_master_password.v;
    bool manage_off = in->manage_master_password.set && !in->manage_master_password.v;
    bool rotate = in->rotate_master_password.set && in->rotate_master_password.v;
    if (manage_off && !managed)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You cannot set ManageMasterUserPassword to false because the master user password is not "
                        "currently managed by RDS.");
    if (rotate && !managed)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You cannot rotate the master user password because it is not currently managed by RDS.");
    if (manage_on && managed && in->master_secret_kms_key_id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You can't change the KMS key of the master user secret while RDS manages the master user "
                        "password.");
    if (in->master_password && managed && !manage_off)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_COMBINATION,
                        "You can't specify MasterUserPassword because the master user password is managed by RDS. "
                        "Set ManageMasterUserPassword to false to change it.");
    /* the secret's key must be usable before the server's password changes */
    if (rotate && engine__kms_arn_usable(op->r->e, op->s, op->r->a, d->master_secret_key_arn, err))
        return -1;
    if (manage_on && !managed && in->master_secret_kms_key_id) {
        const char *key_arn;
        if (engine__kms_usable_key(op->r, op->s, in->master_secret_kms_key_id, &key_arn, err))
            return -1;
    }
    return 0;
}

const char *instances__mmp_password(arena *a, const modify_instance_in *in, const db_instance *d)
{
    bool managed = d->master_secret_arn && *d->master_secret_arn;
    bool manage_on = in->manage_master_password.set && in->manage_master_password.v;
    bool rotate = in->rotate_master_password.set && in->rotate_master_password.v;
    if ((manage_on && !managed) || rotate)
        return engine__secret_new_password(a);
    return in->master_password;
}

int instances__mmp_write(engine_op *op, const modify_instance_in *in, db_instance *d, const char *password,
                         rds_error *err)
{
    bool managed = d->master_secret_arn && *d->master_secret_arn;
    bool manage_on = in->manage_master_password.set && in->manage_master_password.v;
    bool manage_off = in->manage_master_password.set && !in->manage_master_password.v;
    bool rotate = in->rotate_master_password.set && in->rotate_master_password.v;
    if (manage_on && !managed)
        return engine__secret_rds_create(op->r, op->s, engine__arn(op->r->e, op->r->a, d->region, "db", d->id),
                                         d->master_username, password, in->master_secret_kms_key_id,
                                         &d->master_secret_arn, &d->master_secret_key_arn, err) ||
                       store_instance_put(op->s, d, err)
                   ? -1
                   : 0;
    if (manage_off && managed) {
        if (engine__secret_rds_drop(op->r, op->s, d->master_secret_arn, false, err))
            return -1;
        d->master_secret_arn = d->master_secret_key_arn = NULL;
        return store_instance_put(op->s, d, err);
    }
    if (rotate)
        return engine__secret_rds_rotate(op->r, op->s, d->master_secret_arn, d->master_username, password, err);
    return 0;
}

/* In its own transaction: the staged version must be on disk before the server changes. */
int instances__mmp_stage(engine_op *op, const modify_instance_in *in, const db_instance *d, const char *password,
                         rds_error *err)
{
    if (!(in->rotate_master_password.set && in->rotate_master_password.v))
        return 0;
    if (store_begin(op->s, err))
        return -1;
    if (engine__secret_rds_stage(op->r, op->s, d->master_secret_arn, d->master_username, password, err) ||
        store_commit(op->s, err)) {
        store_rollback(op->s);
        return -1;
    }
    return 0;
}

void instances__mmp_unstage(engine_op *op, const modify_instance_in *in, const db_instance *d)
{
    rds_error err;
    rds_error_clear(&err);
    if (!(in->rotate_master_password.set && in->rotate_master_password.v) || store_begin(op->s, &err))
        return;
    if (engine__secret_rds_unstage(op->r, op->s, d->master_secret_arn, &err) || store_commit(op->s, &err))
        store_rollback(op->s);
}

/* ---- a staged rotation left by a crash (engine__mmp_finish_pending) ---- */

typedef struct pending_ctx {
    db_instance *d;
    const char *password;
} pending_ctx;

static int pending_load(engine_op *op, rds_error *err)
{
    pending_ctx *c = op->ctx;
    if (instances__load(op->r, op->s, op->name, &c->d, err))
        return -1;
    if (!c->d->master_secret_arn || !model_status_runs(c->d->status)) {
        op->done = true;    /* not managed any more, or not running: a later tick */
        return 0;
    }
    c->password = engine__secret_rds_pending(op->r, op->s, c->d->master_secret_arn, err);
    if (!c->password && err->code != RDS_OK)
        return -1;
    op->done = c->password == NULL;
    return 0;
}

static int pending_act(engine_op *op, rds_error *err)
{
    pending_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (e->cfg.no_engine || !e->sv)
        return 0;
    return sv_instance_set_master_password(e->sv, c->d->resource_id, c->d->master_username, c->password, err);
}

static int pending_write(engine_op *op, rds_error *err)
{
    pending_ctx *c = op->ctx;
    log_at(LOG_WARN, "engine", "instance \"%s\": finishing a master password rotation an earlier run left staged",
           c->d->id);
    return engine__secret_rds_rotate(op->r, op->s, c->d->master_secret_arn, c->d->master_username, c->password,
                                     err);
}

int engine__mmp_finish_pending(engine_req *r, const char *instance_id, rds_error *err)
{
    pending_ctx c = { 0 };
    engine_op op = { .r = r, .kind = "db", .name = instance_id, .ctx = &c, .load = pending_load,
                     .act = pending_act, .write = pending_write };
    return engine__run(&op, err);
}

int instances__mmp_forget(engine_op *op, const db_instance *d, rds_error *err)
{
    if (!d->master_secret_arn || !*d->master_secret_arn)
        return 0;
    return engine__secret_rds_drop(op->r, op->s, d->master_secret_arn, false, err);
}
