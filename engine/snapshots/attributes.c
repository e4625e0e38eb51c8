/* attributes.c: ModifyDBSnapshotAttribute / DescribeDBSnapshotAttributes (the `restore`
 * attribute: the accounts, or "all", that may copy or restore a manual snapshot), and the
 * snapshot side of the start-up reconcile and the admin reset. */
#include "snapshots/snapshots.h"

#include <string.h>

/* AWS: at most 20 accounts per manual snapshot (SharedSnapshotQuotaExceeded). */
#define MAX_SHARED_ACCOUNTS 20

static str_list split(arena *a, const char *csv)
{
    str_list l = { NULL, 0 };
    size_t cap = 1;
    for (const char *p = csv ? csv : ""; *p; p++)
        cap += *p == ',';
    l.v = arena_alloc(a, (cap + 1) * sizeof *l.v);
    if (!csv || !*csv)
        return l;
    char *dup = arena_strdup(a, csv), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
        l.v[l.n++] = t;
    return l;
}

static bool has(const str_list *l, const char *v)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], v) == 0)
            return true;
    return false;
}

static bool account_id_ok(const char *v)
{
    if (strlen(v) != 12)
        return false;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

typedef struct attr_ctx {
    const char *attribute;
    const str_list *add, *remove;
    db_snapshot *snap;
    str_list result;
} attr_ctx;

static int attr_check_input(engine_op *op, rds_error *err)
{
    attr_ctx *c = op->ctx;
    const char *region, *raw = op->name;
    if (strcmp(c->attribute, "restore") != 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid snapshot attribute name: %s. The only supported attribute is restore.",
                        c->attribute);
    for (size_t i = 0; i < c->add->n; i++)
        if (strcmp(c->add->v[i], "all") != 0 && !account_id_ok(c->add->v[i]))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid AWS account ID: %s", c->add->v[i]);
    op->name = snapshots__id_arg(op->r, raw, &region);
    if (!op->name || strcmp(region, op->r->region) != 0)
        return snapshots__not_found(err, raw);
    return 0;
}

static int attr_load(engine_op *op, rds_error *err)
{
    attr_ctx *c = op->ctx;
    return snapshots__load(op->r, op->s, op->r->region, op->name, &c->snap, err);
}

/* The new list: the current one, minus ValuesToRemove, plus ValuesToAdd. */
static int attr_decide(engine_op *op, rds_error *err)
{
    attr_ctx *c = op->ctx;
    engine_req *r = op->r;
    db_snapshot *snap = c->snap;
    /* the status a caller sees (as DeleteDBSnapshot, CopyDBSnapshot and the restore check) */
    if (strcmp(snapshots__shown_status(snap, rds_now_ms()), "available") != 0)
        return rds_fail(err, RDS_E_INVALID_DB_SNAPSHOT_STATE, "DBSnapshot %s is not in available state.",
                        snap->id);
    str_list cur = split(r->a, snap->restore_accounts);
    str_list next = { arena_alloc(r->a, (cur.n + c->add->n + 1) * sizeof *next.v), 0 };
    for (size_t i = 0; i < cur.n; i++)
        if (!has(c->remove, cur.v[i]))
            next.v[next.n++] = cur.v[i];
    bool adding_any = false;
    for (size_t i = 0; i < c->add->n; i++) {
        if (!has(&next, c->add->v[i]))
            next.v[next.n++] = c->add->v[i];
        adding_any = true;
    }
    if (adding_any && snap->encrypted) {
        /* AWS (user guide, "Sharing a DB snapshot"): an encrypted snapshot cannot be made
         * public, and one encrypted with the AWS managed key cannot be shared at all. */
        if (has(c->add, "all"))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Encrypted snapshots cannot be shared publicly.");
        if (engine__kms_is_aws_managed(r->e, op->s, r->a, snap->kms_key_id))
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "Snapshots encrypted with the AWS managed KMS key cannot be shared. "
                            "Copy the snapshot with a customer managed key and share the copy.");
    }
    size_t accounts = 0;
    for (size_t i = 0; i < next.n; i++)
        accounts += strcmp(next.v[i], "all") != 0;
    if (accounts > MAX_SHARED_ACCOUNTS)
        return rds_fail(err, RDS_E_SHARED_SNAPSHOT_QUOTA_EXCEEDED,
                        "You have exceeded the maximum number of accounts (%d) that you can share a manual "
                        "DB snapshot with.", MAX_SHARED_ACCOUNTS);
    strbuf b;
    strbuf_init(&b);
    for (size_t i = 0; i < next.n; i++) {
        strbuf_puts(&b, i ? "," : "");
        strbuf_puts(&b, next.v[i]);
    }
    snap->restore_accounts = next.n ? arena_strdup(r->a, b.data) : NULL;
    strbuf_free(&b);
    c->result = next;
    return 0;
}

static int attr_write(engine_op *op, rds_error *err)
{
    attr_ctx *c = op->ctx;
    return store_snapshot_put(op->s, c->snap, err);
}

int engine_modify_snapshot_attribute(engine_req *r, const char *snapshot_id, const char *attribute,
                                     const str_list *add, const str_list *remove,
                                     const char **id_out, str_list *restore_out, rds_error *err)
{
    static const str_list none = { NULL, 0 };
    attr_ctx c = { .attribute = attribute ? attribute : "", .add = add ? add : &none,
                   .remove = remove ? remove : &none };
    engine_op op = { .r = r, .kind = "snapshot", .name = snapshot_id, .ctx = &c,
                     .check_input = attr_check_input, .load = attr_load, .decide = attr_decide,
                     .write = attr_write };
    if (engine__run(&op, err))
        return -1;
    *id_out = c.snap->id;
    *restore_out = c.result;
    return 0;
}

int engine_describe_snapshot_attributes(engine_req *r, const char *snapshot_id, const char **id_out,
                                        str_list *restore_out, rds_error *err)
{
    store *s = engine__store(r->e, err);
    if (!s)
        return -1;
    const char *region;
    const char *id = snapshots__id_arg(r, snapshot_id, &region);
    if (!id || strcmp(region, r->region) != 0)
        return snapshots__not_found(err, snapshot_id ? snapshot_id : "");
    db_snapshot *snap;
    if (snapshots__load(r, s, r->region, id, &snap, err))
        return -1;
    *id_out = snap->id;
    *restore_out = split(r->a, snap->restore_accounts);
    return 0;
}

/* ---- start-up reconcile, admin reset ---- */

/* Rows caught mid-create (settled status still "creating": the request never answered)
 * or mid-delete ("deleted") are finished off: their files go, then the rows. Every other
 * snapshot's files are kept; anything else under snapshots/ is quarantined by sv. */
int engine__snapshots_reconcile(engine *e, store *s, rds_error *err)
{
    arena *a = arena_new();
    db_snapshot **all;
    size_t n;
    int rc = -1;
    if (store_snapshot_all(s, a, &all, &n, err))
        goto done;
    const char **keep = arena_alloc(a, (n + 1) * sizeof *keep);
    const char **discard = arena_alloc(a, (n + 1) * sizeof *discard);
    size_t n_keep = 0, n_discard = 0;
    for (size_t i = 0; i < n; i++) {
        bool gone = strcmp(all[i]->status, "creating") == 0 || strcmp(all[i]->status, "deleted") == 0;
        if (gone)
            discard[n_discard++] = all[i]->snap_key;
        else
            keep[n_keep++] = all[i]->snap_key;
    }
    if (e->sv && !e->cfg.no_engine && sv_snapshot_reconcile(e->sv, keep, n_keep, discard, n_discard, err)) {
        /* One entry that cannot be moved or removed must not keep rdslocal down: rows of
         * unfinished snapshots still go (files left behind are quarantined next time). */
        log_at(LOG_WARN, "engine", "snapshot reconcile: %s (%s)", err->message, err->detail);
        rds_error_clear(err);
    }
    if (store_begin(s, err))
        goto done;
    for (size_t i = 0; i < n; i++) {
        db_snapshot *snap = all[i];
        bool gone = strcmp(snap->status, "creating") == 0 || strcmp(snap->status, "deleted") == 0;
        int bad = 0;
        if (gone)
            bad = store_snapshot_delete(s, snap->region, snap->id, err) ||
                  engine__forget(e, s, a, &engine__kind_snapshot, snap->region, snap->id, err);
        else if (snap->shown_status) {
            snap->shown_status = NULL;
            snap->shown_until_ms = 0;
            bad = store_snapshot_put(s, snap, err);
        }
        if (bad) {
            store_rollback(s);
            goto done;
        }
    }
    if (store_commit(s, err))
        goto done;
    rc = 0;
done:
    arena_free(a);
    return rc;
}

void engine__snapshots_remove_all_files(engine *e, store *s)
{
    if (!e->sv || e->cfg.no_engine)
        return;
    arena *a = arena_new();
    db_snapshot **all;
    size_t n;
    rds_error err = { 0 };
    if (store_snapshot_all(s, a, &all, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            if (sv_snapshot_delete(e->sv, all[i]->snap_key, &err)) {
                log_at(LOG_WARN, "engine", "reset: could not remove snapshot files %s: %s", all[i]->snap_key,
                       err.detail);
                rds_error_clear(&err);
            }
    arena_free(a);
}
