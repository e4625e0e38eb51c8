/* rdslocal_guard.c: a PostgreSQL server module, loaded through shared_preload_libraries
 * into every rdslocal instance, that keeps the master user inside the database.
 *
 * Why: the master user has CREATEROLE (as on RDS). On PostgreSQL 15, CREATEROLE may grant
 * membership in any role that is not a superuser, including pg_execute_server_program
 * (COPY ... PROGRAM runs a shell command as the postgres OS user) and
 * pg_read_server_files / pg_write_server_files (COPY to or from any file that OS user can
 * reach, which includes every other instance's data directory). On RDS the master user
 * cannot get these: rds_superuser is not a superuser and the engine refuses. This module
 * refuses the same thing, at the server, for every role that is not a superuser (only the
 * internal rdsadmin is one).
 *
 * What it refuses (ProcessUtility hook; SQLSTATE 42501 insufficient_privilege):
 *   - GRANT of a withheld role, or of any role that has the privileges of one
 *     (checked through the membership graph, so a detour through a second role fails);
 *   - CREATE ROLE ... IN ROLE <withheld> and ALTER GROUP <withheld> ADD USER ...;
 *   - COPY to or from a server file or program, whatever the caller's memberships
 *     (an instance created before this guard may already hold a withheld role);
 *   - ALTER SYSTEM (PostgreSQL 15 already refuses it without a parameter privilege,
 *     which only a superuser can grant; refused here too so postgresql.auto.conf can
 *     never override shared_preload_libraries).
 * Messages are PostgreSQL 15's own texts for the same refusal (what RDS shows, since
 * there the engine's own checks fire); the role-grant text follows PostgreSQL's
 * "permission denied to grant role" wording.
 *
 * Withheld: pg_execute_server_program, pg_read_server_files, pg_write_server_files (the
 * three predefined roles that reach outside the database). Allowed as before:
 * pg_monitor, pg_signal_backend, pg_checkpoint (rds_superuser holds them WITH ADMIN),
 * pg_read_all_data / pg_write_all_data and the other predefined roles, which stay
 * within the instance's own data.
 *
 * Revoking is never refused. Superusers (rdsadmin, and trusted extension scripts, which
 * run as the bootstrap superuser) are never refused.
 *
 * Storage-full fault (rdslocal's fault injection, engine/faults/): while the setting
 * rdslocal_guard.storage_full is on, every write that would need new space fails as it
 * does on a full volume -- INSERT/UPDATE/DELETE/MERGE (ExecutorStart hook), COPY FROM,
 * CREATE TABLE/INDEX/TABLE AS/DATABASE (ProcessUtility) -- with PostgreSQL's own report
 * of a failed file extension: SQLSTATE 53100 disk_full, "could not extend file
 * \"base/<db>/<relfilenode>\": No space left on device", hint "Check free disk space.".
 * Reads keep working. The setting is PGC_SIGHUP: only the server's configuration file
 * (rdslocal.conf, written by the supervisor) sets it; no session, not even a superuser's,
 * can SET it, so the master user cannot lift the fault. Everyone is refused, superusers
 * included: a full disk spares nobody.
 *
 * Runs inside each backend; no shared state. Built by CMake against Debian's
 * postgresql-server-dev-15 (see pgext/CMakeLists.txt). */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "common/relpath.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/relcache.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

typedef struct withheld_role {
    Oid oid;
    const char *name;
} withheld_role;

static const withheld_role WITHHELD[] = {
    { ROLE_PG_EXECUTE_SERVER_PROGRAM, "pg_execute_server_program" },
    { ROLE_PG_READ_SERVER_FILES, "pg_read_server_files" },
    { ROLE_PG_WRITE_SERVER_FILES, "pg_write_server_files" },
};

static ProcessUtility_hook_type prev_process_utility = NULL;
static char *guard_version = NULL; /* rdslocal_guard.version: read-only, shows the guard is loaded */
static ExecutorStart_hook_type prev_executor_start = NULL;
static bool storage_full = false;  /* rdslocal_guard.storage_full (see the file comment) */

/* The error a full volume gives when relation relid must grow (md.c's mdextend report with
 * errno ENOSPC). relid's main fork names the file; pg_class's when relid has none. */
static void report_storage_full(Oid relid)
{
    char *path = NULL;
    Relation rel = OidIsValid(relid) ? RelationIdGetRelation(relid) : NULL;
    if (rel && !RELKIND_HAS_STORAGE(rel->rd_rel->relkind)) {
        RelationClose(rel);
        rel = NULL;
    }
    if (!rel)
        rel = RelationIdGetRelation(RelationRelationId);
    if (rel) {
        path = relpathperm(rel->rd_node, MAIN_FORKNUM);
        RelationClose(rel);
    }
    ereport(ERROR, (errcode(ERRCODE_DISK_FULL),
                    errmsg("could not extend file \"%s\": No space left on device", path ? path : "base"),
                    errhint("Check free disk space.")));
}

static void guard_executor_start(QueryDesc *qd, int eflags)
{
    if (storage_full && !(eflags & EXEC_FLAG_EXPLAIN_ONLY)) {
        PlannedStmt *ps = qd->plannedstmt;
        bool writes = qd->operation == CMD_INSERT || qd->operation == CMD_UPDATE ||
                      qd->operation == CMD_DELETE || qd->operation == CMD_MERGE || ps->hasModifyingCTE;
        if (writes) {
            Oid relid = InvalidOid;
            if (ps->resultRelations != NIL)
                relid = rt_fetch(linitial_int(ps->resultRelations), ps->rtable)->relid;
            report_storage_full(relid);
        }
    }
    if (prev_executor_start)
        prev_executor_start(qd, eflags);
    else
        standard_ExecutorStart(qd, eflags);
}

/* Utility statements that allocate space. */
static void check_storage_utility(Node *node)
{
    switch (nodeTag(node)) {
    case T_CopyStmt: {
        CopyStmt *c = (CopyStmt *)node;
        if (c->is_from)
            report_storage_full(c->relation ? RangeVarGetRelid(c->relation, NoLock, true) : InvalidOid);
        break;
    }
    case T_CreateStmt:
    case T_CreateTableAsStmt:
    case T_IndexStmt:
    case T_CreatedbStmt:
    case T_RefreshMatViewStmt:
    case T_ClusterStmt:
        report_storage_full(InvalidOid);
        break;
    default:
        break;
    }
}

/* The withheld role that granting `role` would hand out (itself, or one it is a member
 * of, directly or not), or NULL. */
static const withheld_role *withheld_via(Oid role)
{
    if (!OidIsValid(role))
        return NULL;
    for (size_t i = 0; i < lengthof(WITHHELD); i++)
        if (role == WITHHELD[i].oid || is_member_of_role_nosuper(role, WITHHELD[i].oid))
            return &WITHHELD[i];
    return NULL;
}

static void refuse_grant(const char *granted, const withheld_role *w)
{
    if (strcmp(granted, w->name) == 0)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied to grant role \"%s\"", granted),
                        errdetail("Only the rdsadmin superuser can grant role \"%s\" on this instance.", w->name)));
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("permission denied to grant role \"%s\"", granted),
                    errdetail("Role \"%s\" has the privileges of role \"%s\", which only the rdsadmin superuser "
                              "can grant on this instance.",
                              granted, w->name)));
}

static void check_rolespec_list(List *roles)
{
    ListCell *lc;
    foreach (lc, roles) {
        RoleSpec *spec = lfirst_node(RoleSpec, lc);
        if (spec->roletype == ROLESPEC_PUBLIC)
            continue; /* not a role; PostgreSQL reports it */
        Oid oid = get_rolespec_oid(spec, true);
        const withheld_role *w = withheld_via(oid);
        if (w)
            refuse_grant(get_rolespec_name(spec), w);
    }
}

static void check_grant_role(const GrantRoleStmt *stmt)
{
    if (!stmt->is_grant)
        return;
    ListCell *lc;
    foreach (lc, stmt->granted_roles) {
        AccessPriv *priv = lfirst_node(AccessPriv, lc);
        if (!priv->priv_name)
            continue;
        const withheld_role *w = withheld_via(get_role_oid(priv->priv_name, true));
        if (w)
            refuse_grant(priv->priv_name, w);
    }
}

/* CREATE ROLE x IN ROLE r (option "addroleto") makes x a member of r. The ROLE and ADMIN
 * options make other roles members of the new, empty role x: nothing to check. */
static void check_create_role(const CreateRoleStmt *stmt)
{
    ListCell *lc;
    foreach (lc, stmt->options) {
        DefElem *d = lfirst_node(DefElem, lc);
        if (strcmp(d->defname, "addroleto") == 0)
            check_rolespec_list((List *)d->arg);
    }
}

/* ALTER GROUP r ADD USER x (action +1, option "rolemembers") makes x a member of r. */
static void check_alter_role(const AlterRoleStmt *stmt)
{
    if (stmt->action != +1)
        return;
    ListCell *lc;
    foreach (lc, stmt->options) {
        DefElem *d = lfirst_node(DefElem, lc);
        if (strcmp(d->defname, "rolemembers") == 0 && stmt->role->roletype != ROLESPEC_PUBLIC) {
            const withheld_role *w = withheld_via(get_rolespec_oid(stmt->role, true));
            if (w)
                refuse_grant(get_rolespec_name(stmt->role), w);
        }
    }
}

static void check_copy(const CopyStmt *stmt)
{
    if (!stmt->filename)
        return; /* STDIN / STDOUT: allowed for everyone */
    if (stmt->is_program)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("must be superuser or have privileges of the pg_execute_server_program role "
                               "to COPY to or from an external program"),
                        errhint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for "
                                "anyone.")));
    if (stmt->is_from)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("must be superuser or have privileges of the pg_read_server_files role to COPY "
                               "from a file"),
                        errhint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for "
                                "anyone.")));
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("must be superuser or have privileges of the pg_write_server_files role to COPY to a "
                           "file"),
                    errhint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for "
                            "anyone.")));
}

static void check_alter_system(const AlterSystemStmt *stmt)
{
    const VariableSetStmt *set = stmt->setstmt;
    if (set && set->kind == VAR_RESET_ALL)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied to perform ALTER SYSTEM RESET ALL")));
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("permission denied to set parameter \"%s\"", set && set->name ? set->name : "")));
}

static void guard_process_utility(PlannedStmt *pstmt, const char *query_string, bool read_only_tree,
                                  ProcessUtilityContext context, ParamListInfo params,
                                  QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc)
{
    Node *node = pstmt->utilityStmt;
    if (storage_full)
        check_storage_utility(node);
    if (!superuser()) {
        switch (nodeTag(node)) {
        case T_GrantRoleStmt: check_grant_role((GrantRoleStmt *)node); break;
        case T_CreateRoleStmt: check_create_role((CreateRoleStmt *)node); break;
        case T_AlterRoleStmt: check_alter_role((AlterRoleStmt *)node); break;
        case T_CopyStmt: check_copy((CopyStmt *)node); break;
        case T_AlterSystemStmt: check_alter_system((AlterSystemStmt *)node); break;
        default: break;
        }
    }
    if (prev_process_utility)
        prev_process_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
    else
        standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
}

void _PG_init(void)
{
    if (!process_shared_preload_libraries_in_progress)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("rdslocal_guard must be loaded through shared_preload_libraries")));
    DefineCustomStringVariable("rdslocal_guard.version", "Version of the rdslocal guard module.", NULL,
                               &guard_version, "1", PGC_INTERNAL, 0, NULL, NULL, NULL);
    DefineCustomBoolVariable("rdslocal_guard.storage_full",
                             "Makes writes fail as on a full volume (rdslocal's storage-full fault).", NULL,
                             &storage_full, false, PGC_SIGHUP, 0, NULL, NULL, NULL);
    MarkGUCPrefixReserved("rdslocal_guard");
    prev_process_utility = ProcessUtility_hook;
    ProcessUtility_hook = guard_process_utility;
    prev_executor_start = ExecutorStart_hook;
    ExecutorStart_hook = guard_executor_start;
}
