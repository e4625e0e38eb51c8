/* rules_names.c: identifier, name, credential and simple numeric parameter checks
 * (DBInstanceIdentifier and friends, DBSubnetGroupName, MasterUsername, MasterUserPassword,
 * DBName, Port, BackupRetentionPeriod). Pure functions; any thread.
 *
 * Message sources (AWS wording = seen in real AWS responses quoted in public issues):
 *   identifier invalid    AWS wording (terraform #3610, panther #2240, govuk-infrastructure
 *                         #1837: "The parameter X is not a valid identifier. Identifiers must
 *                         begin with a letter; ...")
 *   identifier too long   AWS pattern: real AWS says "... is not a valid identifier because it
 *                         is longer than 15 characters." for the SQL Server limit (terraform
 *                         #3610); the 63 form is the same sentence with our limit.
 *   missing / blank       AWS pattern "The parameter MasterUsername must be provided and must
 *                         not be blank" (cfn-lint #4070, real CloudFormation output).
 *   password too short    AWS wording (terraform output quoted in several repositories).
 *   password bad chars    AWS wording (crossplane #88, terraform-provider-random #15, ...).
 *   password too long     AWS-styled, same sentence as "too short".
 *   username reserved     AWS wording "MasterUsername admin cannot be used as it is a reserved
 *                         word used by the engine" (aws-cdk #5076, #10579).
 *   username characters   as reported by floci (#3729) for its emulator; AWS's exact text for
 *                         this case is not public.
 *   DBName characters     AWS wording "DBName must begin with a letter and contain only
 *                         alphanumeric characters." (terraform-aws-rds #475, real AWS).
 *   engine                AWS code and message start "InvalidParameterValue: Invalid DB engine"
 *                         (cloudfoundry-community/pe-rds-broker #8, real AWS); then the engine
 *                         asked for and which engines rdslocal offers (ours).
 *   subnet group, port,   AWS-styled: AWS's texts are not public. Retention follows the
 *   retention             "Invalid backup retention period: N. Retention period must be between
 *                         1 and 35." text that DocDB/Neptune (same control plane) return. */
#include "rdslocal/rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IDENT_MAX 63
#define SUBNET_GROUP_MAX 255
#define PG_NAME_MAX 63
#define PASSWORD_MIN 8
#define PASSWORD_MAX 128
#define PORT_MIN 1150
#define PORT_MAX 65535
#define RETENTION_MAX 35

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int rules_identifier(const char *param, const char *value, rds_error *err)
{
    if (!param)
        param = "DBInstanceIdentifier";
    if (!value || !*value)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s must be provided and must not be blank.", param);
    size_t len = strlen(value);
    if (len > IDENT_MAX)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s is not a valid identifier because it is longer "
                        "than %d characters.", param, IDENT_MAX);
    bool ok = is_alpha(value[0]) && value[len - 1] != '-';
    for (size_t i = 0; ok && i < len; i++) {
        char c = value[i];
        if (c == '-')
            ok = value[i + 1] != '-';
        else
            ok = is_alpha(c) || is_digit(c);
    }
    if (!ok)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter %s is not a valid identifier. Identifiers must begin "
                        "with a letter; must contain only ASCII letters, digits, and hyphens; "
                        "and must not end with a hyphen or contain two consecutive hyphens.",
                        param);
    return 0;
}

int rules_subnet_group_name(const char *value, rds_error *err)
{
    if (!value || !*value)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBSubnetGroupName must be provided and must not be "
                        "blank.");
    size_t len = strlen(value);
    bool ok = len <= SUBNET_GROUP_MAX;
    for (size_t i = 0; ok && i < len; i++) {
        char c = value[i];
        ok = is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == ' ' || c == '-';
    }
    /* AWS-styled (not public): the documented constraint, stated as a sentence. */
    if (!ok)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBSubnetGroupName is not a valid name. It must contain "
                        "no more than %d letters, digits, periods, underscores, spaces, or "
                        "hyphens.", SUBNET_GROUP_MAX);
    if (strcasecmp(value, "default") == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBSubnetGroupName must not be \"default\".");
    return 0;
}

/* Words PostgreSQL reserves (PostgreSQL docs, appendix "SQL Key Words": the words marked
 * "reserved" and "reserved (can be function or type)"). RDS refuses reserved words of the
 * engine for MasterUsername and DBName; AWS does not publish its exact list, so this is the
 * engine's own list. "user" is confirmed refused by AWS for postgres (terraform-aws-rds
 * examples quote the error); sorted for bsearch. */
static const char *const pg_reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
    "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull",
    "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
    "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
    "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample",
    "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic",
    "verbose", "when", "where", "window", "with",
};

/* Role names that exist on every RDS for PostgreSQL instance or that PostgreSQL refuses as
 * role names. "admin" and "rdsadmin" are confirmed refused by AWS (aws-cdk #10579,
 * cfn-lint #4425); "postgres" is confirmed accepted (cfn-lint #4425). */
static const char *const pg_reserved_roles[] = {
    "admin", "none", "public", "rds_password", "rds_replication", "rds_superuser",
    "rdsadmin", "rdsrepladmin", "rdstopmgr",
};

static int cmp_word(const void *key, const void *elem)
{
    return strcasecmp((const char *)key, *(const char *const *)elem);
}

static bool in_list(const char *word, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(word, list[i]) == 0)
            return true;
    return false;
}

static bool pg_word_reserved(const char *word)
{
    return bsearch(word, pg_reserved, sizeof pg_reserved / sizeof pg_reserved[0],
                   sizeof pg_reserved[0], cmp_word) != NULL;
}

/* 1-63 characters, a letter then letters, digits, underscores. */
static bool pg_name_chars_ok(const char *v)
{
    if (!is_alpha(v[0]))
        return false;
    for (const char *p = v; *p; p++)
        if (!is_alpha(*p) && !is_digit(*p) && *p != '_')
            return false;
    return true;
}

int rules_master_username(const char *engine, const char *value, rds_error *err)
{
    (void)engine; /* postgres rules for every engine, see rules.h */
    if (!value || !*value)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUsername must be provided and must not be blank.");
    if (strlen(value) > PG_NAME_MAX)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUsername is not a valid identifier because it is "
                        "longer than %d characters.", PG_NAME_MAX);
    if (!pg_name_chars_ok(value))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "MasterUsername must begin with a letter and contain only alphanumeric "
                        "characters or underscores.");
    if (pg_word_reserved(value) ||
        in_list(value, pg_reserved_roles, sizeof pg_reserved_roles / sizeof pg_reserved_roles[0]) ||
        strncasecmp(value, "pg_", 3) == 0)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "MasterUsername %s cannot be used as it is a reserved word used by the "
                        "engine", value);
    return 0;
}

int rules_master_password(const char *engine, const char *value, rds_error *err)
{
    (void)engine;
    if (!value || !*value)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUserPassword must be provided and must not be "
                        "blank.");
    size_t len = strlen(value);
    /* Characters first: AWS reports the character rule whatever the length. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x21 || c > 0x7e || c == '/' || c == '"' || c == '@')
            return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                            "The parameter MasterUserPassword is not a valid password. Only "
                            "printable ASCII characters besides '/', '@', '\"', ' ' may be "
                            "used.");
    }
    if (len < PASSWORD_MIN)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUserPassword is not a valid password because it "
                        "is shorter than %d characters.", PASSWORD_MIN);
    if (len > PASSWORD_MAX)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter MasterUserPassword is not a valid password because it "
                        "is longer than %d characters.", PASSWORD_MAX);
    return 0;
}

int rules_db_name(const char *engine, const char *value, rds_error *err)
{
    (void)engine;
    if (!value || !*value)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBName must be provided and must not be blank.");
    if (strlen(value) > PG_NAME_MAX)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "The parameter DBName is not a valid identifier because it is longer "
                        "than %d characters.", PG_NAME_MAX);
    if (!pg_name_chars_ok(value))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "DBName must begin with a letter and contain only alphanumeric "
                        "characters.");
    if (pg_word_reserved(value))
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "DBName %s cannot be used as it is a reserved word used by the engine",
                        value);
    return 0;
}

int rules_engine(const char *engine, rds_error *err)
{
    if (engine && strcmp(engine, "postgres") == 0)
        return 0;
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid DB engine: %.64s. rdslocal offers: %s.",
                    engine ? engine : "", RULES_ENGINES_OFFERED);
}

int rules_port(int port, rds_error *err)
{
    if (port < PORT_MIN || port > PORT_MAX)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid port: %d. Port must be between %d and %d.", port, PORT_MIN,
                        PORT_MAX);
    return 0;
}

int rules_backup_retention(int days, rds_error *err)
{
    if (days < 0 || days > RETENTION_MAX)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid backup retention period: %d. Retention period must be between "
                        "0 and %d.", days, RETENTION_MAX);
    return 0;
}
