/* test_rules.c: unit tests of engine/rules: the valid and invalid edges of every rule, the
 * AWS messages and the event tables (windows and states: test_rules_time.c). No I/O, no
 * clock. */
#include "check.h"
#include "rdslocal/rules.h"

#include <stdio.h>
#include <string.h>

static rds_error err;

static void reset(void) { rds_error_clear(&err); }

/* A string of n copies of c followed by suffix, in a static buffer. */
static const char *repeat(char first, char c, size_t n)
{
    static char buf[512];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memset(buf, c, n);
    if (n)
        buf[0] = first;
    buf[n] = '\0';
    return buf;
}

/* ---- identifiers ------------------------------------------------------- */

static void test_rules__identifier_valid(void)
{
    CHECK_INT(rules_identifier("DBInstanceIdentifier", "a", &err), 0);
    CHECK_INT(rules_identifier("DBInstanceIdentifier", "db1", &err), 0);
    CHECK_INT(rules_identifier("DBInstanceIdentifier", "my-db-1", &err), 0);
    CHECK_INT(rules_identifier("DBInstanceIdentifier", "MyDB-Prod", &err), 0); /* upper case */
    CHECK_INT(rules_identifier("DBInstanceIdentifier", repeat('a', 'b', 63), &err), 0);
    CHECK_INT(err.code, RDS_OK); /* success leaves err untouched */
}

static void test_rules__identifier_invalid(void)
{
    CHECK_ERR(rules_identifier("DBInstanceIdentifier", repeat('a', 'b', 64), &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "The parameter DBInstanceIdentifier is not a valid identifier "
                           "because it is longer than 63 characters.");
    const char *bad[] = { "-a", "a-", "a--b", "1abc", "a_b", "a.b", "a b", "ab\xc3\xa9", "-" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_identifier("DBInstanceIdentifier", bad[i], &err), &err,
                  RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_STR(err.message, "The parameter DBInstanceIdentifier is not a valid identifier. "
                               "Identifiers must begin with a letter; must contain only ASCII "
                               "letters, digits, and hyphens; and must not end with a hyphen "
                               "or contain two consecutive hyphens.");
    }
    reset();
    CHECK_ERR(rules_identifier("DBSnapshotIdentifier", "snap--1", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "The parameter DBSnapshotIdentifier is not a valid identifier.");
    reset();
    CHECK_ERR(rules_identifier("DBInstanceIdentifier", "", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "must be provided");
    CHECK_INT(rules_identifier("DBInstanceIdentifier", NULL, NULL), -1); /* err may be NULL */
}

static void test_rules__subnet_group_name(void)
{
    CHECK_INT(rules_subnet_group_name("my subnet_group.v1-a", &err), 0);
    CHECK_INT(rules_subnet_group_name(repeat('a', 'b', 255), &err), 0);
    CHECK_ERR(rules_subnet_group_name(repeat('a', 'b', 256), &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_subnet_group_name("bad/name", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_subnet_group_name("default", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "default");
    reset();
    CHECK_ERR(rules_subnet_group_name("Default", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_subnet_group_name("", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_INT(rules_subnet_group_name("default2", &err), 0);
}

/* ---- credentials and names --------------------------------------------- */

static void test_rules__master_username(void)
{
    CHECK_INT(rules_master_username("postgres", "dbadmin", &err), 0);
    CHECK_INT(rules_master_username("postgres", "postgres", &err), 0); /* allowed on AWS */
    CHECK_INT(rules_master_username("postgres", "App_User1", &err), 0);
    CHECK_INT(rules_master_username(NULL, repeat('u', 'x', 63), &err), 0);
    CHECK_ERR(rules_master_username("postgres", repeat('u', 'x', 64), &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    const char *bad[] = { "1user", "_user", "user-name", "us er", "us$er" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_master_username("postgres", bad[i], &err), &err,
                  RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_STR(err.message, "MasterUsername must begin with a letter and contain only "
                               "alphanumeric characters or underscores.");
    }
    const char *reserved[] = { "admin", "ADMIN", "rdsadmin", "user", "select", "public",
                               "pg_monitor", "rds_superuser" };
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        reset();
        CHECK_ERR(rules_master_username("postgres", reserved[i], &err), &err,
                  RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(err.message, "cannot be used as it is a reserved word used by the engine");
    }
    reset();
    rules_master_username("postgres", "admin", &err);
    CHECK_STR(err.message, "MasterUsername admin cannot be used as it is a reserved word used "
                           "by the engine");
    reset();
    CHECK_ERR(rules_master_username("postgres", "", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

static void test_rules__master_password(void)
{
    CHECK_INT(rules_master_password("postgres", "abcdefgh", &err), 0); /* 8 */
    CHECK_INT(rules_master_password("postgres", repeat('p', 'q', 128), &err), 0);
    CHECK_INT(rules_master_password("postgres", "P4ss!#$%^&*()~`'<>?", &err), 0);
    CHECK_ERR(rules_master_password("postgres", "abcdefg", &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE); /* 7 */
    CHECK_STR(err.message, "The parameter MasterUserPassword is not a valid password because it "
                           "is shorter than 8 characters.");
    reset();
    CHECK_ERR(rules_master_password("postgres", repeat('p', 'q', 129), &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "longer than 128 characters");
    const char *bad[] = { "pass/word1", "pass\"word1", "pass@word1", "pass word1",
                          "pass\tword1", "pässword1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        CHECK_ERR(rules_master_password("postgres", bad[i], &err), &err,
                  RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_STR(err.message, "The parameter MasterUserPassword is not a valid password. Only "
                               "printable ASCII characters besides '/', '@', '\"', ' ' may be "
                               "used.");
        CHECK(strstr(err.message, bad[i]) == NULL); /* never echoes the password */
    }
    reset();
    CHECK_ERR(rules_master_password("postgres", "", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

static void test_rules__db_name(void)
{
    CHECK_INT(rules_db_name("postgres", "mydb", &err), 0);
    CHECK_INT(rules_db_name("postgres", "my_db_2", &err), 0);
    CHECK_INT(rules_db_name("postgres", "postgres", &err), 0);
    CHECK_INT(rules_db_name("postgres", repeat('d', 'b', 63), &err), 0);
    CHECK_ERR(rules_db_name("postgres", repeat('d', 'b', 64), &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_db_name("postgres", "my-db", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "DBName must begin with a letter and contain only alphanumeric "
                           "characters.");
    reset();
    CHECK_ERR(rules_db_name("postgres", "1db", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_db_name("postgres", "select", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "reserved word");
}

static void test_rules__engine(void)
{
    CHECK_INT(rules_engine("postgres", &err), 0);
    CHECK_ERR(rules_engine("mysql", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    /* AWS's text first (clients match on it), then what this rdslocal offers */
    CHECK_STR(err.message, "Invalid DB engine: mysql. rdslocal offers: postgres.");
    reset();
    CHECK_ERR(rules_engine(NULL, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Invalid DB engine: . rdslocal offers: postgres.");
    reset();
}

/* ---- numbers ------------------------------------------------------------ */

static void test_rules__port(void)
{
    CHECK_INT(rules_port(1150, &err), 0);
    CHECK_INT(rules_port(5432, &err), 0);
    CHECK_INT(rules_port(65535, &err), 0);
    CHECK_ERR(rules_port(1149, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "1149");
    reset();
    CHECK_ERR(rules_port(65536, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_port(0, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

static void test_rules__backup_retention(void)
{
    CHECK_INT(rules_backup_retention(0, &err), 0);
    CHECK_INT(rules_backup_retention(7, &err), 0);
    CHECK_INT(rules_backup_retention(35, &err), 0);
    CHECK_ERR(rules_backup_retention(36, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Invalid backup retention period: 36. Retention period must be "
                           "between 0 and 35.");
    reset();
    CHECK_ERR(rules_backup_retention(-1, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

/* ---- storage ------------------------------------------------------------ */

static void test_rules__storage_type(void)
{
    const char *ok[] = { "standard", "gp2", "gp3", "io1", "io2" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_INT(rules_storage_type(ok[i], &err), 0);
    CHECK_ERR(rules_storage_type("st1", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_CONTAINS(err.message, "st1");
    reset();
    CHECK_ERR(rules_storage_type("GP2", &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    reset();
    CHECK_ERR(rules_storage_type(NULL, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

static void test_rules__storage_sizes(void)
{
    CHECK_INT(rules_storage("postgres", NULL, 20, 0, &err), 0); /* NULL = gp3 */
    CHECK_INT(rules_storage("postgres", "gp2", 65536, 0, &err), 0);
    CHECK_INT(rules_storage("postgres", "gp3", 20, 0, &err), 0);
    CHECK_INT(rules_storage("postgres", "standard", 5, 0, &err), 0);
    CHECK_INT(rules_storage("postgres", "standard", 3072, 0, &err), 0);
    CHECK_INT(rules_storage("postgres", "io1", 100, 1000, &err), 0);
    CHECK_INT(rules_storage("postgres", "io2", 65536, 256000, &err), 0);

    CHECK_ERR(rules_storage("postgres", "gp2", 5, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "Invalid storage size for engine name postgres and storage type "
                           "gp2: 5");
    reset();
    CHECK_ERR(rules_storage("postgres", "gp2", 65537, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_storage("postgres", "gp3", 19, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_storage("postgres", "standard", 4, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_storage("postgres", "standard", 3073, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_storage("postgres", "io1", 99, 1000, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "Invalid storage size for engine name postgres and storage type "
                           "io1: 99");
    reset();
    CHECK_ERR(rules_storage("postgres", "sc1", 100, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_VALUE);
}

/* Issue #6: one default storage type, gp3 (AWS's current default), in rules and engine. */
static void test_rules__issue_6_default_storage_gp3(void)
{
    CHECK_STR(RULES_DEFAULT_STORAGE_TYPE, "gp3");
    CHECK_ERR(rules_storage("postgres", NULL, 5, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "Invalid storage size for engine name postgres and storage type "
                           "gp3: 5");
    reset();
    /* gp3 takes Iops from 400 GiB; gp2 never would */
    CHECK_INT(rules_storage("postgres", NULL, 400, 12000, &err), 0);
}

static void test_rules__storage_iops(void)
{
    /* gp2 / standard: no Iops */
    CHECK_ERR(rules_storage("postgres", "gp2", 100, 4000, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "Invalid iops value for engine name postgres and storage type gp2: "
                           "4000");
    reset();
    CHECK_ERR(rules_storage("postgres", "standard", 100, 1000, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    /* gp3: Iops only from 400 GiB, 12000-64000; the baseline shown when none is provisioned */
    int64_t bi, bt;
    rules_gp3_baseline(399, &bi, &bt);
    CHECK_INT(bi, 3000);
    CHECK_INT(bt, 125);
    rules_gp3_baseline(400, &bi, &bt);
    CHECK_INT(bi, 12000);
    CHECK_INT(bt, 500);
    reset();
    CHECK_ERR(rules_storage("postgres", "gp3", 399, 12000, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "You can't specify IOPS or storage throughput for engine postgres "
                           "and a storage size less than 400.");
    CHECK_INT(rules_storage("postgres", "gp3", 400, 12000, &err), 0);
    CHECK_INT(rules_storage("postgres", "gp3", 400, 64000, &err), 0);
    CHECK_INT(rules_storage("postgres", "gp3", 400, 0, &err), 0);
    reset();
    CHECK_ERR(rules_storage("postgres", "gp3", 400, 11999, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_storage("postgres", "gp3", 400, 64001, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    /* io1: required, range and ratio 0.5-50 */
    reset();
    CHECK_ERR(rules_storage("postgres", "io1", 100, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "The storage type io1 requires iops to be specified.");
    reset();
    CHECK_ERR(rules_storage("postgres", "io1", 100, 999, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    reset();
    CHECK_ERR(rules_storage("postgres", "io1", 5000, 1500, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "Invalid iops to max storage (GB) ratio for engine name postgres and "
                           "storage type io1: 0.3000");
    CHECK_INT(rules_storage("postgres", "io1", 2000, 1000, &err), 0);   /* 0.5 */
    CHECK_INT(rules_storage("postgres", "io1", 100, 5000, &err), 0);    /* 50 */
    reset();
    CHECK_ERR(rules_storage("postgres", "io1", 100, 5100, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);                       /* 51 */
    /* io2: ratio up to 1000 */
    CHECK_INT(rules_storage("postgres", "io2", 100, 100000, &err), 0);
    reset();
    CHECK_ERR(rules_storage("postgres", "io2", 100, 0, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "The storage type io2 requires iops to be specified.");
    reset();
    CHECK_ERR(rules_storage("postgres", "io2", 100, 256001, &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
}

/* The exported table agrees with rules_storage at every edge it states. */
static void test_rules__storage_types_table(void)
{
    const rules_storage_limits *st;
    size_t n = rules_storage_types(&st);
    CHECK_INT(n, 5);
    const char *names[] = { "gp2", "gp3", "io1", "io2", "standard" };
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(st[i].type, names[i]);
        CHECK_INT(rules_storage_type(st[i].type, &err), 0);
        int iops_lo = st[i].iops_required ? st[i].min_iops : 0;
        int gib_lo = st[i].min_gib;
        /* io1/io2 at their minimum size: Iops must also satisfy the ratio */
        if (st[i].max_iops_per_gib > 0 && iops_lo > gib_lo * st[i].max_iops_per_gib)
            gib_lo = (int)(iops_lo / st[i].max_iops_per_gib);
        CHECK_INT(rules_storage("postgres", st[i].type, gib_lo, iops_lo, &err), 0);
        reset();
        CHECK_ERR(rules_storage("postgres", st[i].type, st[i].min_gib - 1, iops_lo, &err), &err,
                  RDS_E_INVALID_PARAMETER_COMBINATION);
        reset();
        CHECK_ERR(rules_storage("postgres", st[i].type, st[i].max_gib + 1, iops_lo, &err), &err,
                  RDS_E_INVALID_PARAMETER_COMBINATION);
        reset();
        CHECK_INT(st[i].iops_allowed, st[i].min_iops > 0);
    }
    CHECK_INT(st[0].min_gib, 20);            /* gp2 */
    CHECK_INT(st[0].max_gib, 65536);
    CHECK(!st[0].iops_allowed);
    CHECK_INT(st[1].min_iops, 12000);        /* gp3 */
    CHECK_INT(st[1].max_iops, 64000);
    CHECK_INT(st[1].min_throughput_mibps, 500);
    CHECK_INT(st[1].max_throughput_mibps, 4000);
    CHECK_INT(rules_storage("postgres", "gp3", 400, st[1].max_iops, &err), 0);
    CHECK(st[2].min_iops_per_gib == 0.5 && st[2].max_iops_per_gib == 50);   /* io1 */
    CHECK(st[3].max_iops_per_gib == 1000);                                   /* io2 */
    CHECK_INT(st[4].min_gib, 5);             /* standard */
    CHECK_INT(st[4].max_gib, 3072);
    CHECK_INT(st[4].max_throughput_mibps, 0);
}

/* ---- instance classes ---------------------------------------------------- */

static void test_rules__instance_classes(void)
{
    const rules_instance_class *c = rules_instance_class_find("postgres", "db.t3.micro");
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->vcpu, 2);
        CHECK(c->memory_gib == 1.0);
    }
    c = rules_instance_class_find(NULL, "db.r6g.16xlarge");
    CHECK(c && c->vcpu == 64 && c->memory_gib == 512.0);
    c = rules_instance_class_find("postgres", "db.m5.large");
    CHECK(c && c->vcpu == 2 && c->memory_gib == 8.0);
    c = rules_instance_class_find("postgres", "db.r7i.48xlarge");
    CHECK(c && c->vcpu == 192 && c->memory_gib == 1536.0);
    const char *present[] = { "db.t4g.micro", "db.m6g.large", "db.m6i.32xlarge", "db.m7g.xlarge",
                              "db.r5.24xlarge", "db.r6i.large", "db.r7g.2xlarge", "db.x2g.large" };
    for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
        CHECK(rules_instance_class_find("postgres", present[i]) != NULL);
    const char *absent[] = { "db.t2.micro", "db.m4.large", "db.r4.large", "db.x.large",
                             "t3.micro", "db.t3.nano", "" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        CHECK(rules_instance_class_find("postgres", absent[i]) == NULL);
    CHECK(rules_instance_class_find("postgres", NULL) == NULL);
    CHECK(rules_instance_class_find("mysql", "db.t3.micro") == NULL);

    const rules_instance_class *all = NULL;
    size_t n = rules_instance_classes("postgres", &all);
    CHECK(n > 100 && all != NULL);
    for (size_t i = 0; all && i < n; i++) {
        CHECK(strncmp(all[i].name, "db.", 3) == 0);
        CHECK(all[i].vcpu > 0 && all[i].memory_gib > 0);
        if (i)
            CHECK(strcmp(all[i - 1].name, all[i].name) < 0); /* sorted, no duplicates */
        CHECK(rules_instance_class_find("postgres", all[i].name) == &all[i]);
    }
    CHECK_INT(rules_instance_classes("mysql", &all), 0);
    CHECK(all == NULL);
}

static void test_rules__check_instance_class(void)
{
    CHECK_INT(rules_check_instance_class("postgres", "16.4", "db.t3.micro", &err), 0);
    CHECK_ERR(rules_check_instance_class("postgres", "15.7", "db.x.large", &err), &err,
              RDS_E_INVALID_PARAMETER_COMBINATION);
    CHECK_STR(err.message, "RDS does not support creating a DB instance with the following "
                           "combination: DBInstanceClass=db.x.large, Engine=postgres, "
                           "EngineVersion=15.7, LicenseModel=postgresql-license. For supported "
                           "combinations of instance class and database engine version, see the "
                           "documentation.");
    CHECK_INT(rds_error_http_status(err.code), 400);
}

static void test_rules__default_max_connections(void)
{
    const rules_instance_class *micro = rules_instance_class_find("postgres", "db.t3.micro");
    const rules_instance_class *medium = rules_instance_class_find("postgres", "db.t3.medium");
    const rules_instance_class *r5l = rules_instance_class_find("postgres", "db.r5.large");
    const rules_instance_class *big = rules_instance_class_find("postgres", "db.r6g.16xlarge");
    CHECK_INT(rules_default_max_connections(micro), 79);
    CHECK_INT(rules_default_max_connections(medium), 404);
    CHECK_INT(rules_default_max_connections(r5l), 1702);
    CHECK_INT(rules_default_max_connections(big), 5000); /* LEAST(..., 5000) */
    CHECK_INT(rules_default_max_connections(NULL), 100);
    /* never more than the raw formula without the reservation */
    CHECK(rules_default_max_connections(micro) < (int)(1073741824.0 / 9531392));
}

/* ---- events ------------------------------------------------------------- */

static void test_rules__event_table_complete(void)
{
    for (int id = 0; id < RULES_EV__COUNT; id++) {
        const rules_event_def *e = rules_event((rules_event_id)id);
        CHECK(e != NULL);
        if (!e)
            continue;
        CHECK(e->category && *e->category);
        CHECK(e->message && *e->message);
        CHECK(e->source_type && rules_source_type_valid(e->source_type));
        CHECK(rules_event_category_valid(e->source_type, e->category));
        if (e->rds_event_id)
            CHECK(strncmp(e->rds_event_id, "RDS-EVENT-", 10) == 0 &&
                  strlen(e->rds_event_id) == 14);
        int pct = 0;
        for (const char *p = e->message; (p = strstr(p, "%s")); p += 2)
            pct++;
        CHECK_INT(pct, e->nargs);
        CHECK(strchr(e->message, '%') == NULL || pct > 0);
        /* no two ids share an AWS event id */
        for (int j = 0; j < id; j++) {
            const rules_event_def *o = rules_event((rules_event_id)j);
            if (e->rds_event_id && o->rds_event_id)
                CHECK(strcmp(e->rds_event_id, o->rds_event_id) != 0);
        }
    }
    CHECK(rules_event(RULES_EV__COUNT) == NULL);
    CHECK(rules_event((rules_event_id)-1) == NULL);
}

static void test_rules__event_messages(void)
{
    const rules_event_def *e = rules_event(RULES_EV_CREATED);
    CHECK_STR(e->rds_event_id, "RDS-EVENT-0005");
    CHECK_STR(e->category, "creation");
    CHECK_STR(e->message, "DB instance created");
    e = rules_event(RULES_EV_DELETED);
    CHECK_STR(e->rds_event_id, "RDS-EVENT-0003");
    CHECK_STR(e->category, "deletion");
    e = rules_event(RULES_EV_STOPPED);
    CHECK_STR(e->rds_event_id, "RDS-EVENT-0087");
    CHECK_STR(e->category, "notification");
    CHECK_STR(e->message, "DB instance stopped");
    CHECK_STR(rules_event(RULES_EV_STARTED)->rds_event_id, "RDS-EVENT-0088");
    CHECK_STR(rules_event(RULES_EV_AUTO_STARTED_AFTER_7_DAYS)->rds_event_id, "RDS-EVENT-0154");
    CHECK_STR(rules_event(RULES_EV_RESTARTED)->message, "DB instance restarted");
    CHECK_STR(rules_event(RULES_EV_SHUTDOWN)->message, "DB instance shutdown");
    CHECK_STR(rules_event(RULES_EV_CLASS_CHANGED)->message,
              "Finished applying modification to DB instance class");
    CHECK_STR(rules_event(RULES_EV_RESET_CREDENTIALS)->message, "Reset master credentials");
    CHECK_INT(rules_event(RULES_EV_PARAMETER_GROUP_CHANGED)->nargs, 1);
}

static void test_rules__event_categories(void)
{
    const char *inst[] = { "availability", "backup", "configuration change", "creation",
                           "deletion", "failover", "failure", "low storage", "maintenance",
                           "notification", "read replica", "recovery", "restoration",
                           "security", "security patching" };
    for (size_t i = 0; i < sizeof inst / sizeof inst[0]; i++)
        CHECK(rules_event_category_valid("db-instance", inst[i]));
    CHECK(!rules_event_category_valid("db-instance", "global failover"));
    CHECK(!rules_event_category_valid("db-instance", "bogus"));
    CHECK(!rules_event_category_valid("db-instance", NULL));
    CHECK(rules_event_category_valid("db-parameter-group", "configuration change"));
    CHECK(!rules_event_category_valid("db-parameter-group", "creation"));
    CHECK(rules_event_category_valid("db-snapshot", "creation"));
    CHECK(rules_event_category_valid("db-cluster", "global failover"));
    CHECK(rules_event_category_valid(NULL, "global failover"));
    CHECK(!rules_event_category_valid(NULL, "bogus"));
    CHECK(!rules_event_category_valid("db-nothing", "creation"));
}

static void test_rules__source_types(void)
{
    const char *ok[] = { "db-instance", "db-parameter-group", "db-security-group", "db-snapshot",
                         "db-cluster", "db-cluster-snapshot", "custom-engine-version",
                         "db-proxy", "blue-green-deployment", "db-shard-group", "zero-etl" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK(rules_source_type_valid(ok[i]));
    CHECK(!rules_source_type_valid("DB-INSTANCE"));
    CHECK(!rules_source_type_valid("db_instance"));
    CHECK(!rules_source_type_valid(""));
    CHECK(!rules_source_type_valid(NULL));
}

static void test_rules__event_sources(void)
{
    const rules_event_source *src;
    size_t n = rules_event_sources(&src);
    CHECK_INT(n, 11);
    /* AWS's describe-event-categories example order first */
    const char *first[] = { "db-instance", "db-security-group", "db-parameter-group", "db-snapshot",
                            "db-cluster", "db-cluster-snapshot" };
    for (size_t i = 0; i < 6; i++)
        CHECK_STR(src[i].source_type, first[i]);
    bool saw_backtrack = false;
    for (size_t i = 0; i < n; i++) {
        CHECK(rules_source_type_valid(src[i].source_type));
        CHECK(src[i].categories[0] != NULL);
        for (const char *const *c = src[i].categories; *c; c++) {
            CHECK(rules_event_category_valid(src[i].source_type, *c));
            if (c[1])
                CHECK(strcmp(c[0], c[1]) < 0); /* alphabetical, no repeats */
            if (strcmp(src[i].source_type, "db-cluster") == 0 && strcmp(*c, "backtrack") == 0)
                saw_backtrack = true;
        }
    }
    CHECK(saw_backtrack);
    CHECK(!rules_event_category_valid("db-parameter-group", "creation"));
}

/* ---- tags ---------------------------------------------------------------- */

static int one_tag(const char *key, const char *value)
{
    reset();
    const char *k[1] = { key }, *v[1] = { value };
    return rules_tags(k, v, 1, &err);
}

static void test_rules__tags_valid(void)
{
    CHECK_INT(one_tag("team", "qa"), 0);
    CHECK_INT(one_tag("a", ""), 0);                               /* empty value */
    CHECK_INT(one_tag("a", NULL), 0);
    CHECK_INT(one_tag("k_.:/=+-@ 9", "v_.:/=+-@ 9"), 0);          /* every allowed symbol */
    CHECK_INT(one_tag("équipe", "café"), 0);                      /* non-ASCII letters */
    CHECK_INT(one_tag("チーム", "開発"), 0);
    CHECK_INT(one_tag("awsx", "rds"), 0);                         /* no colon: not the prefix */
    CHECK_INT(one_tag("x", "prefix aws:inside"), 0);
    CHECK_INT(one_tag(repeat('k', 'k', 128), repeat('v', 'v', 256)), 0);
    /* 128 two-byte characters: 256 bytes but 128 characters */
    char key[300] = "";
    for (int i = 0; i < 128; i++)
        strcat(key, "é");
    CHECK_INT(one_tag(key, "v"), 0);
    CHECK_INT(rules_tags(NULL, NULL, 0, &err), 0);
}

static void test_rules__tags_invalid(void)
{
    CHECK_ERR(one_tag("", "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag keys must be between 1 and 128 characters in length.");
    CHECK_ERR(one_tag(repeat('k', 'k', 129), "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag keys must be between 1 and 128 characters in length.");
    char key[300] = "";
    for (int i = 0; i < 129; i++)
        strcat(key, "é");
    CHECK_ERR(one_tag(key, "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(one_tag("k", repeat('v', 'v', 257)), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag values must be between 0 and 256 characters in length.");
    CHECK_ERR(one_tag("aws:cloudformation:stack", "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag keys cannot start with the reserved prefix \"aws:\".");
    CHECK_ERR(one_tag("AWS:x", "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(one_tag("rds:x", "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag keys cannot start with the reserved prefix \"rds:\".");
    CHECK_ERR(one_tag("k", "aws:x"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag values cannot start with the reserved prefix \"aws:\".");
    CHECK_ERR(one_tag("k", "rds:x"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_ERR(one_tag("k", "off(M-F,18)"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag values may only contain unicode letters, digits, whitespace, or "
                           "one of these symbols: _ . : / = + \\ - @");
    CHECK_ERR(one_tag("a,b", "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Tag keys may only contain unicode letters, digits, whitespace, or "
                           "one of these symbols: _ . : / = + \\ - @");
    const char *bad[] = { "a\\b", "a\tb", "a\nb", "a;b", "a*b", "a\"b", "a#b", "\xc3", "\xc0\xaf",
                          "\xed\xa0\x80", "\xc2\x85" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ERR(one_tag(bad[i], "v"), &err, RDS_E_INVALID_PARAMETER_VALUE);
        CHECK_ERR(one_tag("k", bad[i]), &err, RDS_E_INVALID_PARAMETER_VALUE);
    }
    /* more than 50 in one request */
    const char *keys[51], *values[51];
    static char names[51][8];
    for (int i = 0; i < 51; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        keys[i] = names[i];
        values[i] = "v";
    }
    reset();
    CHECK_INT(rules_tags(keys, values, 50, &err), 0);
    CHECK_ERR(rules_tags(keys, values, 51, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
    CHECK_STR(err.message, "Cannot add more than 50 tags to a resource.");
    /* the first bad tag decides, whatever its position */
    keys[7] = "aws:x";
    reset();
    CHECK_ERR(rules_tags(keys, values, 10, &err), &err, RDS_E_INVALID_PARAMETER_VALUE);
}

static const check_case cases[] = {
    TEST(test_rules__identifier_valid),
    TEST(test_rules__identifier_invalid),
    TEST(test_rules__subnet_group_name),
    TEST(test_rules__master_username),
    TEST(test_rules__master_password),
    TEST(test_rules__engine),
    TEST(test_rules__db_name),
    TEST(test_rules__port),
    TEST(test_rules__backup_retention),
    TEST(test_rules__storage_type),
    TEST(test_rules__storage_sizes),
    TEST(test_rules__issue_6_default_storage_gp3),
    TEST(test_rules__storage_iops),
    TEST(test_rules__storage_types_table),
    TEST(test_rules__instance_classes),
    TEST(test_rules__check_instance_class),
    TEST(test_rules__default_max_connections),
    TEST(test_rules__event_table_complete),
    TEST(test_rules__event_messages),
    TEST(test_rules__event_categories),
    TEST(test_rules__source_types),
    TEST(test_rules__event_sources),
    TEST(test_rules__tags_valid),
    TEST(test_rules__tags_invalid),
};

CHECK_MAIN(cases, reset, NULL)
