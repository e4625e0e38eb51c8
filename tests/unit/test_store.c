/* test_store.c: the SQLite store (engine/store) on a temp file: instances (put, get,
 * list with filters and after/limit paging, delete, ports), subnet groups, tags (order,
 * overwrite), events (window, source filter, paging, prune), meta, reset, persistence
 * across reopen, and transactions (a rollback leaves no change). */
#include "rdslocal/store.h"
#include "check.h"

#include <unistd.h>

static char dir[64];
static char path[128];
static store *S;
static arena *A;
static rds_error E;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rdslocal-test-store-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(path, sizeof path, "%s/rdslocal.db", dir);
    rds_error_clear(&E);
    if (store_open(&S, path, &E)) {
        fprintf(stderr, "store_open: %s (%s)\n", E.message, E.detail);
        exit(2);
    }
    A = arena_new();
}

static void cleanup(void)
{
    store_close(S);
    S = NULL;
    arena_free(A);
    A = NULL;
    char p[192];
    static const char *const files[] = { "rdslocal.db", "rdslocal.db-wal", "rdslocal.db-shm",
                                         "rdslocal.db-journal" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static db_instance inst(const char *region, const char *id, const char *engine, int64_t port)
{
    db_instance d;
    memset(&d, 0, sizeof d);
    d.region = region;
    d.id = id;
    d.resource_id = arena_printf(A, "db-%s-%s", region, id);
    d.engine = engine;
    d.engine_version = "15.18";
    d.instance_class = "db.t3.micro";
    d.status = "available";
    d.port = port;
    d.allocated_storage_gib = 20;
    d.pending_multi_az = -1;
    d.pending_backup_retention_days = -1;
    return d;
}

static void put(const db_instance *d)
{
    CHECK(store_instance_put(S, d, &E) == 0);
}

static void test_store__instance_round_trip(void)
{
    db_instance d = inst("us-east-1", "db1", "postgres", 5432);
    d.master_username = "admin";
    d.db_name = NULL;                       /* absent stays absent */
    d.storage_encrypted = true;
    d.multi_az = false;
    d.deletion_protection = true;
    d.backup_retention_days = 7;
    d.created_at_ms = 1795804200123LL;
    d.max_allocated_storage_gib = 0;
    d.vpc_security_group_ids = "sg-1,sg-2";
    d.maintenance_window = "sun:05:00-sun:05:30";
    d.pending_multi_az = 1;
    d.pending_master_password = true;
    d.kms_key_id = "arn:aws:kms:us-east-1:000000000000:key/x 'quoted' \"too\"";
    put(&d);

    db_instance *g = NULL;
    CHECK(store_instance_get(S, A, "us-east-1", "db1", &g, &E) == 0);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_STR(g->region, "us-east-1");
    CHECK_STR(g->id, "db1");
    CHECK_STR(g->resource_id, "db-us-east-1-db1");
    CHECK_STR(g->engine, "postgres");
    CHECK_STR(g->master_username, "admin");
    CHECK_STR(g->db_name, NULL);
    CHECK_STR(g->shown_status, NULL);
    CHECK_INT(g->port, 5432);
    CHECK(g->storage_encrypted);
    CHECK(!g->multi_az);
    CHECK(g->deletion_protection);
    CHECK_INT(g->backup_retention_days, 7);
    CHECK_INT(g->created_at_ms, 1795804200123LL);
    CHECK_STR(g->vpc_security_group_ids, "sg-1,sg-2");
    CHECK_STR(g->maintenance_window, "sun:05:00-sun:05:30");
    CHECK_INT(g->pending_multi_az, 1);
    CHECK_INT(g->pending_backup_retention_days, -1);
    CHECK(g->pending_master_password);
    CHECK_STR(g->kms_key_id, d.kms_key_id);

    /* absent: 0 returned and NULL */
    db_instance *none = (db_instance *)1;
    CHECK(store_instance_get(S, A, "us-east-1", "nope", &none, &E) == 0);
    CHECK(none == NULL);
    /* same id in another region is another instance */
    CHECK(store_instance_get(S, A, "eu-west-1", "db1", &none, &E) == 0);
    CHECK(none == NULL);
}

static void test_store__instance_put_replaces(void)
{
    db_instance d = inst("us-east-1", "db1", "postgres", 5432);
    put(&d);
    d.status = "stopped";
    d.instance_class = "db.m5.large";
    d.stopped_at_ms = 42;
    put(&d);
    db_instance *g = NULL;
    CHECK(store_instance_get(S, A, "us-east-1", "db1", &g, &E) == 0);
    CHECK(g != NULL);
    if (g) {
        CHECK_STR(g->status, "stopped");
        CHECK_STR(g->instance_class, "db.m5.large");
        CHECK_INT(g->stopped_at_ms, 42);
    }
    db_instance **all;
    size_t n;
    CHECK(store_instance_all(S, A, &all, &n, &E) == 0);
    CHECK_INT(n, 1);
}

static size_t list(const char *region, const store_filter *f, size_t nf, const char *after, int limit,
                   const char *want_csv)
{
    db_instance **rows = NULL;
    size_t n = 0;
    CHECK(store_instance_list(S, A, region, f, nf, after, limit, &rows, &n, &E) == 0);
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&b, "%s%s", i ? "," : "", rows[i]->id);
    CHECK_STR(b.data, want_csv);
    strbuf_free(&b);
    return n;
}

static void test_store__instance_list_filters_paging(void)
{
    static const char *const ids[] = { "e", "b", "a", "d", "c" };
    for (size_t i = 0; i < 5; i++) {
        db_instance d = inst("us-east-1", ids[i], i % 2 ? "mysql" : "postgres", 15432 + (int64_t)i);
        put(&d);
    }
    db_instance other = inst("eu-west-1", "a", "postgres", 15500);
    put(&other);

    list("us-east-1", NULL, 0, NULL, 100, "a,b,c,d,e");
    list("eu-west-1", NULL, 0, NULL, 100, "a");
    list("ap-south-1", NULL, 0, NULL, 100, "");
    /* after/limit paging */
    list("us-east-1", NULL, 0, NULL, 2, "a,b");
    list("us-east-1", NULL, 0, "b", 2, "c,d");
    list("us-east-1", NULL, 0, "d", 2, "e");
    list("us-east-1", NULL, 0, "e", 2, "");
    list("us-east-1", NULL, 0, "bb", 100, "c,d,e"); /* after needs not exist */

    static const char *const pg[] = { "postgres" };
    store_filter by_engine = { "engine", pg, 1 };
    list("us-east-1", &by_engine, 1, NULL, 100, "a,c,e");
    static const char *const some[] = { "a", "b", "zz" };
    store_filter by_id = { "id", some, 3 };
    list("us-east-1", &by_id, 1, NULL, 100, "a,b");
    store_filter both[2] = { by_engine, by_id };
    list("us-east-1", both, 2, NULL, 100, "a");
    list("us-east-1", both, 2, "a", 100, "");
    static const char *const rid[] = { "db-us-east-1-d" };
    store_filter by_rid = { "resource_id", rid, 1 };
    list("us-east-1", &by_rid, 1, NULL, 100, "d");
    /* a value with SQL metacharacters is a value, not SQL */
    static const char *const evil[] = { "a' OR '1'='1" };
    store_filter by_evil = { "id", evil, 1 };
    list("us-east-1", &by_evil, 1, NULL, 100, "");

    db_instance **all;
    size_t n;
    CHECK(store_instance_all(S, A, &all, &n, &E) == 0);
    CHECK_INT(n, 6);
    if (n == 6) {
        CHECK_STR(all[0]->region, "eu-west-1");
        CHECK_STR(all[1]->id, "a");
        CHECK_STR(all[5]->id, "e");
    }
}

/* Issue #7 item 9: the worker tick reads only the instances a time-based rule may act on. */
static void test_store__instance_due(void)
{
    db_instance idle = inst("us-east-1", "idle", "postgres", 1);
    db_instance stopped = inst("us-east-1", "stopped", "postgres", 2);
    stopped.status = "stopped";
    db_instance gone = inst("eu-west-1", "gone", "postgres", 3);
    gone.status = "deleted";
    db_instance cls = inst("us-east-1", "cls", "postgres", 4);
    cls.pending_instance_class = "db.t3.small";
    db_instance ret = inst("us-east-1", "ret", "postgres", 5);
    ret.pending_backup_retention_days = 0;   /* 0 days is a value; -1 is "none" */
    db_instance maz = inst("us-east-1", "maz", "postgres", 6);
    maz.pending_multi_az = 1;
    db_instance pw = inst("us-east-1", "pw", "postgres", 7);
    pw.pending_master_password = true;
    const db_instance *all[] = { &idle, &stopped, &gone, &cls, &ret, &maz, &pw };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        put(all[i]);
    db_instance **due;
    size_t n = 0;
    CHECK(store_instance_due(S, A, &due, &n, &E) == 0);
    CHECK_INT(n, 6);
    if (n == 6) {
        CHECK_STR(due[0]->id, "gone");   /* eu-west-1 first: ordered by region, id */
        CHECK_STR(due[1]->id, "cls");
        CHECK_STR(due[2]->id, "maz");
        CHECK_STR(due[3]->id, "pw");
        CHECK_STR(due[4]->id, "ret");
        CHECK_STR(due[5]->id, "stopped");
    }
}

static void test_store__instance_delete_and_ports(void)
{
    db_instance a = inst("us-east-1", "a", "postgres", 15432);
    db_instance b = inst("eu-west-1", "b", "postgres", 15433);
    put(&a);
    put(&b);
    bool used = false;
    CHECK(store_port_used(S, 15432, &used, &E) == 0);
    CHECK(used);
    CHECK(store_port_used(S, 15433, &used, &E) == 0);
    CHECK(used); /* ports are per host, not per region */
    CHECK(store_port_used(S, 15434, &used, &E) == 0);
    CHECK(!used);
    int64_t next = 0;
    CHECK(store_port_next_used(S, 15000, 16000, &next, &E) == 0);
    CHECK_INT(next, 15432);
    CHECK(store_port_next_used(S, 15433, 16000, &next, &E) == 0);
    CHECK_INT(next, 15433);
    CHECK(store_port_next_used(S, 15434, 16000, &next, &E) == 0);
    CHECK_INT(next, -1);
    CHECK(store_port_next_used(S, 15000, 15432, &next, &E) == 0);
    CHECK_INT(next, 15432);
    CHECK(store_port_next_used(S, 15000, 15431, &next, &E) == 0);
    CHECK_INT(next, -1);
    CHECK(store_instance_delete(S, "us-east-1", "a", &E) == 0);
    CHECK(store_port_used(S, 15432, &used, &E) == 0);
    CHECK(!used);
    db_instance *g = (db_instance *)1;
    CHECK(store_instance_get(S, A, "us-east-1", "a", &g, &E) == 0);
    CHECK(g == NULL);
    /* deleting what is absent is not an error */
    CHECK(store_instance_delete(S, "us-east-1", "a", &E) == 0);
    CHECK(store_instance_get(S, A, "eu-west-1", "b", &g, &E) == 0);
    CHECK(g != NULL);
}

static const char *tags_csv(const char *arn)
{
    rds_tag *t = NULL;
    size_t n = 0;
    CHECK(store_tags_get(S, A, arn, &t, &n, &E) == 0);
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&b, "%s%s=%s", i ? "," : "", t[i].key, t[i].value);
    const char *s = arena_strdup(A, b.data);
    strbuf_free(&b);
    return s;
}

static void test_store__tags_order_overwrite(void)
{
    const char *arn = "arn:aws:rds:us-east-1:000000000000:db:db1";
    const char *other = "arn:aws:rds:us-east-1:000000000000:db:db2";
    CHECK_STR(tags_csv(arn), "");
    CHECK(store_tag_set(S, arn, "zeta", "1", &E) == 0);
    CHECK(store_tag_set(S, arn, "alpha", "2", &E) == 0);
    CHECK(store_tag_set(S, arn, "mid", NULL, &E) == 0);
    CHECK(store_tag_set(S, other, "k", "v", &E) == 0);
    /* insertion order, not key order */
    CHECK_STR(tags_csv(arn), "zeta=1,alpha=2,mid=");
    /* overwriting keeps the tag's position */
    CHECK(store_tag_set(S, arn, "zeta", "new", &E) == 0);
    CHECK_STR(tags_csv(arn), "zeta=new,alpha=2,mid=");
    CHECK(store_tag_remove(S, arn, "alpha", &E) == 0);
    CHECK(store_tag_remove(S, arn, "absent", &E) == 0);
    CHECK(store_tag_set(S, arn, "alpha", "3", &E) == 0);
    CHECK_STR(tags_csv(arn), "zeta=new,mid=,alpha=3");
    /* keys are case-sensitive */
    CHECK(store_tag_set(S, arn, "Alpha", "4", &E) == 0);
    CHECK_STR(tags_csv(arn), "zeta=new,mid=,alpha=3,Alpha=4");
    CHECK(store_tags_delete_all(S, arn, &E) == 0);
    CHECK_STR(tags_csv(arn), "");
    CHECK_STR(tags_csv(other), "k=v");
    /* many tags: the reader grows its array */
    for (int i = 0; i < 50; i++)
        CHECK(store_tag_set(S, arn, arena_printf(A, "k%02d", i), "v", &E) == 0);
    rds_tag *t;
    size_t n;
    CHECK(store_tags_get(S, A, arn, &t, &n, &E) == 0);
    CHECK_INT(n, 50);
    if (n == 50)
        CHECK_STR(t[49].key, "k49");
}

static void add_event(const char *region, const char *src, const char *type, const char *msg, int64_t at)
{
    rds_event ev = { .region = region, .source_id = src, .source_type = type,
                     .source_arn = arena_printf(A, "arn:aws:rds:%s:000000000000:db:%s", region, src),
                     .category = "creation", .message = msg, .at_ms = at };
    CHECK(store_event_add(S, &ev, &E) == 0);
}

static const char *events_csv(const char *region, const char *type, const char *src, int64_t from,
                              int64_t to, int64_t after, int limit, int64_t *last_seq)
{
    rds_event **ev = NULL;
    int64_t *seq = NULL;
    size_t n = 0;
    CHECK(store_event_list(S, A, region, type, src, from, to, after, limit, &ev, &seq, &n, &E) == 0);
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(&b, "%s%s", i ? "," : "", ev[i]->message);
        if (i)
            CHECK(seq[i] > seq[i - 1]);
    }
    if (last_seq)
        *last_seq = n ? seq[n - 1] : 0;
    const char *s = arena_strdup(A, b.data);
    strbuf_free(&b);
    return s;
}

static void test_store__events_window_filter_paging_prune(void)
{
    add_event("us-east-1", "db1", "db-instance", "m1", 1000);
    add_event("us-east-1", "db2", "db-instance", "m2", 2000);
    add_event("us-east-1", "db1", "db-instance", "m3", 3000);
    add_event("us-east-1", "g1", "db-subnet-group", "m4", 4000);
    add_event("eu-west-1", "db1", "db-instance", "x1", 2500);
    add_event("us-east-1", "db1", "db-instance", "m5", 5000);

    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "m1,m2,m3,m4,m5");
    CHECK_STR(events_csv("eu-west-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "x1");
    /* the window is inclusive at both ends */
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 2000, 4000, 0, 100, NULL), "m2,m3,m4");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 2001, 3999, 0, 100, NULL), "m3");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 6000, 7000, 0, 100, NULL), "");
    /* source type and id filters */
    CHECK_STR(events_csv("us-east-1", "db-instance", NULL, 0, INT64_MAX, 0, 100, NULL), "m1,m2,m3,m5");
    CHECK_STR(events_csv("us-east-1", "db-subnet-group", NULL, 0, INT64_MAX, 0, 100, NULL), "m4");
    CHECK_STR(events_csv("us-east-1", NULL, "db1", 0, INT64_MAX, 0, 100, NULL), "m1,m3,m5");
    CHECK_STR(events_csv("us-east-1", "db-instance", "db2", 0, INT64_MAX, 0, 100, NULL), "m2");
    CHECK_STR(events_csv("us-east-1", "db-subnet-group", "db1", 0, INT64_MAX, 0, 100, NULL), "");
    /* paging by seq */
    int64_t last = 0;
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, 0, 2, &last), "m1,m2");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, last, 2, &last), "m3,m4");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, last, 2, &last), "m5");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, last, 2, &last), "");
    /* prune drops strictly older events, every region (it walks them one by one) */
    add_event("ap-south-1", "db9", "db-instance", "a0", 100);
    add_event("ap-south-1", "db9", "db-instance", "a1", 6000);
    CHECK(store_event_prune(S, 3000, &E) == 0);
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "m3,m4,m5");
    CHECK_STR(events_csv("eu-west-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "");
    CHECK_STR(events_csv("ap-south-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "a1");
    CHECK(store_event_prune(S, 3000, &E) == 0);   /* nothing left to prune */
    CHECK_STR(events_csv("ap-south-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "a1");
}

static void test_store__subnet_groups(void)
{
    static const char *const names[] = { "gamma", "alpha", "beta" };
    for (size_t i = 0; i < 3; i++) {
        db_subnet_group g = { .region = "us-east-1", .name = names[i], .description = "desc",
                              .vpc_id = "vpc-1", .subnet_ids = "subnet-a,subnet-b",
                              .created_at_ms = 100 + (int64_t)i };
        CHECK(store_subnet_group_put(S, &g, &E) == 0);
    }
    db_subnet_group eu = { .region = "eu-west-1", .name = "alpha", .description = "eu",
                           .vpc_id = "vpc-2", .subnet_ids = "subnet-x" };
    CHECK(store_subnet_group_put(S, &eu, &E) == 0);

    db_subnet_group *g = NULL;
    CHECK(store_subnet_group_get(S, A, "us-east-1", "beta", &g, &E) == 0);
    CHECK(g != NULL);
    if (g) {
        CHECK_STR(g->description, "desc");
        CHECK_STR(g->subnet_ids, "subnet-a,subnet-b");
        CHECK_INT(g->created_at_ms, 102);
    }
    CHECK(store_subnet_group_get(S, A, "us-east-1", "nope", &g, &E) == 0);
    CHECK(g == NULL);

    db_subnet_group **rows;
    size_t n;
    CHECK(store_subnet_group_list(S, A, "us-east-1", NULL, 100, &rows, &n, &E) == 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(rows[0]->name, "alpha");
        CHECK_STR(rows[2]->name, "gamma");
    }
    CHECK(store_subnet_group_list(S, A, "us-east-1", "alpha", 1, &rows, &n, &E) == 0);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(rows[0]->name, "beta");

    /* users: instances of the region using the group */
    db_instance d = inst("us-east-1", "db1", "postgres", 15432);
    d.subnet_group = "beta";
    put(&d);
    db_instance d2 = inst("eu-west-1", "db1", "postgres", 15433);
    d2.subnet_group = "beta";
    put(&d2);
    /* the engine finds a group's users with a subnet_group filter (delete-in-use check) */
    static const char *const beta[] = { "beta" }, *const alpha[] = { "alpha" };
    store_filter fb = { "subnet_group", beta, 1 }, fa = { "subnet_group", alpha, 1 };
    db_instance **users;
    size_t nu = 9;
    CHECK(store_instance_list(S, A, "us-east-1", &fb, 1, NULL, 10, &users, &nu, &E) == 0);
    CHECK_INT(nu, 1);
    CHECK(store_instance_list(S, A, "us-east-1", &fa, 1, NULL, 10, &users, &nu, &E) == 0);
    CHECK_INT(nu, 0);

    CHECK(store_subnet_group_delete(S, "us-east-1", "alpha", &E) == 0);
    CHECK(store_subnet_group_get(S, A, "us-east-1", "alpha", &g, &E) == 0);
    CHECK(g == NULL);
    CHECK(store_subnet_group_get(S, A, "eu-west-1", "alpha", &g, &E) == 0);
    CHECK(g != NULL);
}

static void test_store__meta(void)
{
    char *v = (char *)1;
    CHECK(store_meta_get(S, A, "clock_offset_ms", &v, &E) == 0);
    CHECK(v == NULL);
    CHECK(store_meta_set(S, "clock_offset_ms", "1000", &E) == 0);
    CHECK(store_meta_get(S, A, "clock_offset_ms", &v, &E) == 0);
    CHECK_STR(v, "1000");
    CHECK(store_meta_set(S, "clock_offset_ms", "2000", &E) == 0);
    CHECK(store_meta_get(S, A, "clock_offset_ms", &v, &E) == 0);
    CHECK_STR(v, "2000");
}

static void fill(void)
{
    db_instance d = inst("us-east-1", "db1", "postgres", 15432);
    put(&d);
    db_subnet_group g = { .region = "us-east-1", .name = "g", .description = "d", .vpc_id = "v",
                          .subnet_ids = "s" };
    CHECK(store_subnet_group_put(S, &g, &E) == 0);
    CHECK(store_tag_set(S, "arn:x", "k", "v", &E) == 0);
    add_event("us-east-1", "db1", "db-instance", "m1", 1000);
    CHECK(store_meta_set(S, "k", "v", &E) == 0);
}

static void test_store__reset_keeps_meta(void)
{
    fill();
    CHECK(store_begin(S, &E) == 0);
    CHECK(store_reset(S, &E) == 0);
    CHECK(store_commit(S, &E) == 0);
    db_instance **all;
    size_t n;
    CHECK(store_instance_all(S, A, &all, &n, &E) == 0);
    CHECK_INT(n, 0);
    db_subnet_group **rows;
    CHECK(store_subnet_group_list(S, A, "us-east-1", NULL, 100, &rows, &n, &E) == 0);
    CHECK_INT(n, 0);
    CHECK_STR(tags_csv("arn:x"), "");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "");
    char *v;
    CHECK(store_meta_get(S, A, "k", &v, &E) == 0);
    CHECK_STR(v, "v");
}

static void test_store__reopen_persists(void)
{
    fill();
    store_close(S);
    S = NULL;
    CHECK(store_open(&S, path, &E) == 0);
    db_instance *g = NULL;
    CHECK(store_instance_get(S, A, "us-east-1", "db1", &g, &E) == 0);
    CHECK(g != NULL);
    CHECK_STR(tags_csv("arn:x"), "k=v");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "m1");
    char *v;
    CHECK(store_meta_get(S, A, "k", &v, &E) == 0);
    CHECK_STR(v, "v");
    /* opening twice (migrations already applied) is fine, and a second connection sees it */
    store *s2 = NULL;
    CHECK(store_open(&s2, path, &E) == 0);
    CHECK(store_instance_get(s2, A, "us-east-1", "db1", &g, &E) == 0);
    CHECK(g != NULL);
    store_close(s2);
    store_close(NULL);
}

static void test_store__rollback_leaves_no_change(void)
{
    db_instance d = inst("us-east-1", "db1", "postgres", 15432);
    put(&d);
    CHECK(store_tag_set(S, "arn:db1", "k", "v", &E) == 0);

    CHECK(store_begin(S, &E) == 0);
    db_instance d2 = inst("us-east-1", "db2", "postgres", 15433);
    put(&d2);
    d.status = "deleting";
    put(&d);
    CHECK(store_tag_set(S, "arn:db1", "k", "changed", &E) == 0);
    CHECK(store_tag_set(S, "arn:db1", "k2", "new", &E) == 0);
    add_event("us-east-1", "db2", "db-instance", "created", 1000);
    CHECK(store_instance_delete(S, "us-east-1", "db1", &E) == 0);
    store_rollback(S);

    db_instance **all;
    size_t n;
    CHECK(store_instance_all(S, A, &all, &n, &E) == 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(all[0]->id, "db1");
        CHECK_STR(all[0]->status, "available");
    }
    CHECK_STR(tags_csv("arn:db1"), "k=v");
    CHECK_STR(events_csv("us-east-1", NULL, NULL, 0, INT64_MAX, 0, 100, NULL), "");
    /* rollback outside a transaction is a no-op; the handle is usable after */
    store_rollback(S);
    CHECK(store_begin(S, &E) == 0);
    put(&d2);
    CHECK(store_commit(S, &E) == 0);
    CHECK(store_instance_all(S, A, &all, &n, &E) == 0);
    CHECK_INT(n, 2);
}

static void test_store__transaction_isolated_from_other_connection(void)
{
    store *s2 = NULL;
    CHECK(store_open(&s2, path, &E) == 0);
    if (!s2)
        return;
    CHECK(store_begin(S, &E) == 0);
    db_instance d = inst("us-east-1", "db1", "postgres", 15432);
    put(&d);
    db_instance *g = (db_instance *)1;
    CHECK(store_instance_get(s2, A, "us-east-1", "db1", &g, &E) == 0);
    CHECK(g == NULL); /* uncommitted: invisible to the reader */
    CHECK(store_commit(S, &E) == 0);
    CHECK(store_instance_get(s2, A, "us-east-1", "db1", &g, &E) == 0);
    CHECK(g != NULL);
    store_close(s2);
}

static void test_store__open_bad_path(void)
{
    store *s = NULL;
    rds_error err;
    rds_error_clear(&err);
    int rc = store_open(&s, "/nonexistent-dir-rdslocal/x/rdslocal.db", &err);
    CHECK_ERR(rc, &err, RDS_E_INTERNAL_FAILURE);
    CHECK(err.detail[0] != '\0');
    store_close(s);
}

/* ---- issue #7: store_inspect refuses what it must, and changes nothing ---- */

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    *n = 0;
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void patch(const char *p, long off, const void *bytes, size_t n)
{
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, off, SEEK_SET);
    CHECK(fwrite(bytes, 1, n, f) == n);
    fclose(f);
}

/* Closes S so the WAL is checkpointed into the file and only the file matters. */
static void close_store(void)
{
    fill();
    store_close(S);
    S = NULL;
}

static void test_store__issue_7_inspect_absent_empty_ok(void)
{
    store_file_state st;
    char other[192];
    snprintf(other, sizeof other, "%s/missing.db", dir);
    CHECK(store_inspect(&st, other, &E) == 0);
    CHECK_INT(st, STORE_FILE_ABSENT);
    FILE *f = fopen(other, "w");
    fclose(f);
    CHECK(store_inspect(&st, other, &E) == 0);
    CHECK_INT(st, STORE_FILE_ABSENT);
    unlink(other);
    close_store();
    CHECK(store_inspect(&st, path, &E) == 0);
    CHECK_INT(st, STORE_FILE_OK);
}

static void test_store__issue_7_newer_schema_refused_not_rewritten(void)
{
    close_store();
    static const unsigned char v999[4] = { 0, 0, 0x03, 0xe7 }; /* user_version, header offset 60 */
    patch(path, 60, v999, 4);
    size_t n0 = 0, n1 = 0;
    char *before = slurp(path, &n0);
    store_file_state st;
    CHECK(store_inspect(&st, path, &E) == -1);
    CHECK_INT(st, STORE_FILE_TOO_NEW);
    CHECK(strstr(E.message, "schema version 999") != NULL);
    rds_error_clear(&E);
    CHECK(store_open(&S, path, &E) == -1);   /* was: silently rewritten to 1 */
    CHECK(S == NULL);
    char *after = slurp(path, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
}

static void test_store__issue_7_damaged_refused_unchanged(void)
{
    close_store();
    size_t n0 = 0, n1 = 0;
    char *good = slurp(path, &n0);
    CHECK(good && n0 >= 3 * 4096);
    if (!good)
        return;
    char junk[4096];
    memset(junk, 0xff, sizeof junk);
    patch(path, 4096, junk, sizeof junk);   /* page 2, a table's b-tree root */
    char *before = slurp(path, &n0);
    store_file_state st;
    CHECK(store_inspect(&st, path, &E) == -1);
    CHECK_INT(st, STORE_FILE_DAMAGED);
    char *after = slurp(path, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    /* not a database at all */
    patch(path, 0, junk, 100);
    rds_error_clear(&E);
    CHECK(store_inspect(&st, path, &E) == -1);
    CHECK_INT(st, STORE_FILE_DAMAGED);
    CHECK(strstr(E.message, "not a readable SQLite database") != NULL);
    free(good);
}

static const check_case cases[] = {
    TEST(test_store__instance_round_trip),
    TEST(test_store__instance_put_replaces),
    TEST(test_store__instance_list_filters_paging),
    TEST(test_store__instance_due),
    TEST(test_store__instance_delete_and_ports),
    TEST(test_store__tags_order_overwrite),
    TEST(test_store__events_window_filter_paging_prune),
    TEST(test_store__subnet_groups),
    TEST(test_store__meta),
    TEST(test_store__reset_keeps_meta),
    TEST(test_store__reopen_persists),
    TEST(test_store__rollback_leaves_no_change),
    TEST(test_store__transaction_isolated_from_other_connection),
    TEST(test_store__open_bad_path),
    TEST(test_store__issue_7_inspect_absent_empty_ok),
    TEST(test_store__issue_7_newer_schema_refused_not_rewritten),
    TEST(test_store__issue_7_damaged_refused_unchanged),
};
CHECK_MAIN(cases, setup, cleanup)
