/* snapshots.c: the DB snapshot family's registration (registry row: ARN type "snapshot",
 * events "db-snapshot"), its shared helpers (snapshots.h), DescribeDBSnapshots,
 * DeleteDBSnapshot, the `restore` attribute, and the start-up reconcile / admin reset of
 * snapshot files. CreateDBSnapshot is in take.c, CopyDBSnapshot in copy.c,
 * RestoreDBInstanceFromDBSnapshot in restore.c. */
#include "snapshots/snapshots.h"
#include "instances/instances.h"

#include <string.h>

static int snapshot_exists(engine_req *r, store *s, const char *name, rds_error *err)
{
    db_snapshot *snap;
    return snapshots__load(r, s, r->region, name, &snap, err);
}

const engine_kind engine__kind_snapshot = { "snapshot", "db-snapshot", snapshot_exists };

int snapshots__not_found(rds_error *err, const char *id)
{
    return rds_fail(err, RDS_E_DB_SNAPSHOT_NOT_FOUND, "DBSnapshot %s not found.", id);
}

int snapshots__already_exists(rds_error *err, const char *id)
{
    return rds_fail(err, RDS_E_DB_SNAPSHOT_ALREADY_EXISTS,
                    "Cannot create the snapshot because a snapshot with the identifier %s already exists.", id);
}

int snapshots__check_id(const char *param, const char *id, rds_error *err)
{
    if (!id || !*id)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s must be provided and must not be blank.", param);
    size_t len = strlen(id);
    if (len > 255)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s is not a valid identifier because it is longer than 255 characters.",
                        param);
    bool ok = ((id[0] | 0x20) >= 'a' && (id[0] | 0x20) <= 'z') && id[len - 1] != '-';
    for (size_t i = 0; ok && i < len; i++) {
        char c = id[i];
        if (c == '-')
            ok = id[i + 1] != '-';
        else
            ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9');
    }
    if (!ok)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s is not a valid identifier. Identifiers must begin with a letter; "
                        "must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen "
                        "or contain two consecutive hyphens.",
                        param);
    return 0;
}

const char *snapshots__id_arg(engine_req *r, const char *arg, const char **region)
{
    *region = r->region;
    if (!arg)
        return NULL;
    if (strncmp(arg, "arn:", 4) == 0) {
        /* arn:aws:rds:<region>:<account>:snapshot:<id> */
        const char *p = arg + 4;
        const char *parts[6];
        size_t lens[6];
        for (int i = 0; i < 5; i++) {
            const char *c = strchr(p, ':');
            if (!c)
                return NULL;
            parts[i] = p;
            lens[i] = (size_t)(c - p);
            p = c + 1;
        }
        parts[5] = p;
        lens[5] = strlen(p);
        const char *account = r->e->cfg.account_id;
        if (lens[1] != 3 || strncmp(parts[1], "rds", 3) != 0 || lens[2] == 0 ||
            lens[3] != strlen(account) || strncmp(parts[3], account, lens[3]) != 0 || lens[4] != 8 ||
            strncmp(parts[4], "snapshot", 8) != 0 || lens[5] == 0)
            return NULL;
        *region = arena_strndup(r->a, parts[2], lens[2]);
        arg = parts[5];
    }
    return rds_lower(arena_strdup(r->a, arg));
}

int snapshots__load(engine_req *r, store *s, const char *region, const char *id, db_snapshot **out,
                    rds_error *err)
{
    if (store_snapshot_get(s, r->a, region, id, out, err))
        return -1;
    if (!*out || strcmp((*out)->status, "deleted") == 0)
        return snapshots__not_found(err, id);
    return 0;
}

const char *snapshots__shown_status(const db_snapshot *snap, int64_t now_ms)
{
    if (snap->shown_status && now_ms < snap->shown_until_ms)
        return snap->shown_status;
    return snap->status;
}

int snapshots__view(engine_req *r, store *s, db_snapshot *snap, snapshot_view *out, rds_error *err)
{
    memset(out, 0, sizeof *out);
    out->snap = snap;
    out->arn = engine__kind_arn(r->e, r->a, &engine__kind_snapshot, snap->region, snap->id);
    out->status = snapshots__shown_status(snap, rds_now_ms());
    out->percent_progress = strcmp(out->status, "available") == 0 ? 100 : 0;
    if (snap->shown_status && rds_now_ms() < snap->shown_until_ms && snap->shown_until_ms < r->valid_until_ms)
        r->valid_until_ms = snap->shown_until_ms;
    return store_tags_get(s, r->a, out->arn, &out->tags, &out->n_tags, err);
}

int snapshots__check_quota(engine_req *r, store *s, rds_error *err)
{
    int64_t n, quota = r->e->cfg.snapshot_quota > 0 ? r->e->cfg.snapshot_quota : SNAPSHOTS_DEFAULT_QUOTA;
    if (store_snapshot_count_manual(s, r->region, &n, err))
        return -1;
    if (n >= quota)
        return rds_fail(err, RDS_E_SNAPSHOT_QUOTA_EXCEEDED,
                        "Cannot create more than %lld manual snapshots", (long long)quota);
    return 0;
}

const char *snapshots__new_key(arena *a)
{
    char key[40] = "snap-";
    rds_random_upper(key + 5, 26);
    return rds_lower(arena_strdup(a, key));
}

int snapshots__open_key(engine *e, store *s, arena *a, const db_snapshot *snap, unsigned char key[32],
                        rds_error *err)
{
    unsigned char blob[4096];
    size_t n = 0;
    if (sv_snapshot_wrapped_key(e->sv, snap->snap_key, blob, sizeof blob, &n, err))
        return -1;
    if (n == 0)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot %s has no data key", snap->id);
    return engine__kms_open_data_key(e, s, a, blob, n, key, NULL, err);
}

int snapshots__write_tags(store *s, arena *a, const char *arn, const tag_list *tags, const char *copy_from,
                          rds_error *err)
{
    if (tags && tags->n) {
        for (size_t i = 0; i < tags->n; i++)
            if (store_tag_set(s, arn, tags->v[i].key, tags->v[i].value, err))
                return -1;
        return 0;
    }
    if (!copy_from)
        return 0;
    rds_tag *from;
    size_t n;
    if (store_tags_get(s, a, copy_from, &from, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (store_tag_set(s, arn, from[i].key, from[i].value, err))
            return -1;
    return 0;
}

/* ---- DescribeDBSnapshots ---- */

int engine_describe_snapshots(engine_req *r, const describe_snapshots_in *in, snapshot_view **out,
                              size_t *n_out, const char **next_marker, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    *next_marker = NULL;
    *n_out = 0;
    *out = NULL;
    const char *type = in->snapshot_type;
    static const char *const types[] = { "automated", "manual", "shared", "public", "awsbackup" };
    if (type) {
        bool known = false;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            known |= strcmp(type, types[i]) == 0;
        if (!known)
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid snapshot type: %s", type);
    }
    const char *region = r->region;
    const char *snap_id = NULL;
    if (in->snapshot_id) {
        snap_id = snapshots__id_arg(r, in->snapshot_id, &region);
        if (!snap_id || strcmp(region, r->region) != 0)
            return snapshots__not_found(err, in->snapshot_id);
    }
    /* Only this account exists here: nobody shares snapshots with it and AWS Backup makes
     * none, so "shared" and "awsbackup" list nothing. Without a type AWS lists the manual
     * and the automated ones. */
    if (type && strcmp(type, "shared") == 0)
        return snap_id ? snapshots__not_found(err, snap_id) : 0;
    if (type && strcmp(type, "awsbackup") == 0)
        return snap_id ? snapshots__not_found(err, snap_id) : 0;
    store_filter f[12];
    size_t nf = 0;
    static const char *const live[] = { "creating", "available" };
    f[nf++] = (store_filter){ "status", live, 2 };
    const char *one[1];
    if (snap_id) {
        one[0] = snap_id;
        f[nf++] = (store_filter){ "id", one, 1 };
    }
    const char *inst[1] = { instances__id_arg(r, in->instance_id) };
    if (inst[0])
        f[nf++] = (store_filter){ "instance_id", inst, 1 };
    const char *rid[1] = { in->dbi_resource_id };
    if (in->dbi_resource_id)
        f[nf++] = (store_filter){ "resource_id", rid, 1 };
    if (in->f_instance_ids.n) {
        const char **v = arena_alloc(r->a, in->f_instance_ids.n * sizeof *v);
        for (size_t i = 0; i < in->f_instance_ids.n; i++)
            v[i] = instances__id_arg(r, in->f_instance_ids.v[i]);
        f[nf++] = (store_filter){ "instance_id", v, in->f_instance_ids.n };
    }
    if (in->f_snapshot_ids.n) {
        const char **v = arena_alloc(r->a, in->f_snapshot_ids.n * sizeof *v);
        for (size_t i = 0; i < in->f_snapshot_ids.n; i++) {
            const char *reg;
            const char *x = snapshots__id_arg(r, in->f_snapshot_ids.v[i], &reg);
            v[i] = x ? x : "";
        }
        f[nf++] = (store_filter){ "id", v, in->f_snapshot_ids.n };
    }
    if (in->f_resource_ids.n)
        f[nf++] = (store_filter){ "resource_id", in->f_resource_ids.v, in->f_resource_ids.n };
    if (in->f_types.n)
        f[nf++] = (store_filter){ "snapshot_type", in->f_types.v, in->f_types.n };
    const char *type_one[1] = { type && strcmp(type, "public") == 0 ? "manual" : type };
    if (type)
        f[nf++] = (store_filter){ "snapshot_type", type_one, 1 };
    if (in->f_engines.n)
        f[nf++] = (store_filter){ "engine", in->f_engines.v, in->f_engines.n };
    bool only_public = type && strcmp(type, "public") == 0;
    int max = in->max_records > 0 ? in->max_records : 100;
    db_snapshot **rows;
    size_t n;
    if (store_snapshot_list(s, r->a, region, f, nf, only_public, in->marker, max + 1, &rows, &n, err))
        return -1;
    if (snap_id && n == 0)
        return snapshots__not_found(err, snap_id);
    if ((int)n > max) {
        n = (size_t)max;
        *next_marker = rows[n - 1]->id;
    }
    snapshot_view *v = arena_alloc(r->a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        if (snapshots__view(r, s, rows[i], &v[i], err))
            return -1;
    *out = v;
    *n_out = n;
    return 0;
}

/* ---- DeleteDBSnapshot ---- */

typedef struct delete_ctx {
    snapshot_view *out;
    db_snapshot *snap;
} delete_ctx;

static int delete_check_input(engine_op *op, rds_error *err)
{
    const char *region;
    const char *raw = op->name;
    op->name = snapshots__id_arg(op->r, raw, &region);
    if (!op->name || strcmp(region, op->r->region) != 0)
        return snapshots__not_found(err, raw);
    return 0;
}

static int delete_load(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    return snapshots__load(op->r, op->s, op->r->region, op->name, &c->snap, err);
}

static int delete_check(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    /* AWS: automated snapshots go with their automated backup (retention, expiry) */
    if (strcmp(c->snap->snapshot_type, "automated") == 0)
        return rds_fail(err, RDS_E_INVALID_DB_SNAPSHOT_STATE, "automated snapshots cannot be deleted.");
    if (strcmp(snapshots__shown_status(c->snap, rds_now_ms()), "available") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_SNAPSHOT_STATE,
                        "Cannot delete the snapshot because it is not in available state.");
    return 0;
}

/* First the row is marked deleted (hidden from every read), then the files go, then the
 * row: a kill -9 in between leaves a row the start-up reconcile finishes. */
static int delete_write(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    engine_req *r = op->r;
    if (snapshots__view(r, op->s, c->snap, c->out, err))
        return -1;
    c->out->status = "deleted";
    db_snapshot *gone = arena_alloc(r->a, sizeof *gone);
    *gone = *c->snap;
    gone->status = "deleted";
    gone->shown_status = NULL;
    gone->shown_until_ms = 0;
    return store_snapshot_put(op->s, gone, err) ||
                   engine__forget(r->e, op->s, r->a, &engine__kind_snapshot, r->region, op->name, err) ||
                   engine__event_for(r->e, op->s, &engine__kind_snapshot, r->region, op->name,
                                     RULES_EV_SNAPSHOT_DELETED, NULL, err)
               ? -1
               : 0;
}

static int delete_row(engine_op *op, rds_error *err)
{
    return store_snapshot_delete(op->s, op->r->region, op->name, err);
}

static int delete_after(engine_op *op, rds_error *err)
{
    delete_ctx *c = op->ctx;
    engine *e = op->r->e;
    if (!e->cfg.no_engine && e->sv && sv_snapshot_delete(e->sv, c->snap->snap_key, err)) {
        /* the request succeeded (the snapshot is gone from the model); the files are
         * removed at the next start */
        log_at(LOG_WARN, "engine", "could not remove snapshot files %s: %s", c->snap->snap_key, err->detail);
        rds_error_clear(err);
        return 0;
    }
    if (engine__tx(op, delete_row, err)) {
        log_at(LOG_WARN, "engine", "snapshot %s: row left for the next start: %s", op->name, err->detail);
        rds_error_clear(err);
    }
    return 0;
}

int engine_delete_snapshot(engine_req *r, const char *snapshot_id, snapshot_view *out, rds_error *err)
{
    delete_ctx c = { .out = out };
    engine_op op = { .r = r, .kind = "snapshot", .name = snapshot_id, .ctx = &c,
                     .check_input = delete_check_input, .load = delete_load, .check = delete_check,
                     .write = delete_write, .after = delete_after };
    return engine__run(&op, err);
}

int snapshots__check_tags(arena *a, const tag_list *t, rds_error *err)
{
    if (!t || t->n == 0)
        return 0;
    const char **keys = arena_alloc(a, t->n * sizeof *keys);
    const char **values = arena_alloc(a, t->n * sizeof *values);
    for (size_t i = 0; i < t->n; i++) {
        keys[i] = t->v[i].key;
        values[i] = t->v[i].value;
    }
    return rules_tags(keys, values, t->n, err);
}
