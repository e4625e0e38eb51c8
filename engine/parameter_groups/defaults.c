/* defaults.c: the engine defaults of a parameter group family, as RDS describes them
 * (DescribeEngineDefaultParameters), built from the real server's pg_settings: DataType,
 * AllowedValues and min/max from its type and range, ApplyType static for settings of the
 * postmaster context (they need a restart) and dynamic for the others, the description.
 * Settings rdslocal manages itself (sv_setting_reserved: ports, paths, logging layout,
 * TLS files, archiving) are shown with Source "system" and are not modifiable, as RDS
 * does for the ones it manages. RDS's own parameters (rds.*) are added to the list.
 *
 * The settings are read once per PostgreSQL version (sv_engine_settings starts a
 * throw-away single-user server, a few hundred ms) and kept in the store's meta under
 * "pg_settings:<version>:server", so no create or describe pays for it twice, even across
 * restarts. API-only mode reads the server's catalog (postgres --describe-config: the same
 * settings, without the enum values). */
#include "parameter_groups/params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RDS's own parameters for PostgreSQL (RDS user guide, "Working with parameters on your
 * RDS for PostgreSQL DB instance"; rds.force_ssl defaults to 1 from PostgreSQL 15).
 * rds.force_ssl and rds.log_retention_period take effect here (pg_hba hostssl lines; the
 * log files' retention); the others are described and stored only. */
static const param_def rds_params[] = {
    { "rds.accepted_password_auth_method", "string", "md5+scram,scram", "dynamic",
      "Password authentication methods the server accepts", "engine-default", "md5+scram", true, true, 'e', 0, 0 },
    { "rds.adaptive_autovacuum", "boolean", "0,1", "dynamic",
      "Tunes autovacuum when transaction id wraparound comes near", "engine-default", "1", true, true, 'b', 0, 0 },
    { "rds.allowed_extensions", "list", NULL, "dynamic", "Extensions users may create ('*': all)",
      "engine-default", "*", true, true, 's', 0, 0 },
    { "rds.force_ssl", "boolean", "0,1", "dynamic", "Require SSL for TCP connections", "engine-default", "1", true,
      true, 'b', 0, 0 },
    { "rds.log_retention_period", "integer", "1440-10080", "dynamic",
      "Minutes the server's log files are kept", "engine-default", "4320", true, true, 'i', 1440, 10080 },
    { "rds.logical_replication", "boolean", "0,1", "static", "Enables logical decoding", "engine-default", "0",
      true, true, 'b', 0, 0 },
    { "rds.rds_superuser_reserved_connections", "integer", "0-8388607", "static",
      "Connection slots reserved for rds_superuser", "engine-default", "2", true, true, 'i', 0, 8388607 },
    { "rds.restrict_password_commands", "boolean", "0,1", "static",
      "Only members of rds_password may manage passwords", "engine-default", "0", true, true, 'b', 0, 0 },
};

const char *params__rds_default(const char *name)
{
    for (size_t i = 0; i < sizeof rds_params / sizeof rds_params[0]; i++)
        if (strcmp(rds_params[i].name, name) == 0)
            return rds_params[i].value;
    return NULL;
}

/* The libraries a group may preload (contrib modules shipped with every PostgreSQL). */
static const char preload_allowed[] = "auto_explain,pg_prewarm,pg_stat_statements";

const char *params__family_major(engine_req *r, const char *family)
{
    if (!family || strncmp(family, "postgres", 8) != 0 || !r->e->sv)
        return NULL;
    const sv_engine_version *v;
    size_t n = sv_engine_versions(r->e->sv, &v);
    for (size_t i = 0; i < n; i++)
        if (strcmp(family + 8, v[i].major) == 0)
            return v[i].major;
    return NULL;
}

const char *params__default_group(arena *a, const char *family)
{
    return arena_printf(a, "default.%s", family);
}

const char *params__default_family(engine_req *r, const char *name)
{
    if (!name || strncmp(name, "default.", 8) != 0)
        return NULL;
    return params__family_major(r, name + 8) ? name + 8 : NULL;
}

static const char *version_of(engine_req *r, const char *major)
{
    const sv_engine_version *v;
    size_t n = sv_engine_versions(r->e->sv, &v);
    for (size_t i = 0; i < n; i++)
        if (strcmp(major, v[i].major) == 0)
            return v[i].version;
    return major;
}

/* COPY text format: \t \n \\ escapes. In place. */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static int cmp_def(const void *a, const void *b)
{
    return strcmp(((const param_def *)a)->name, ((const param_def *)b)->name);
}

/* One pg_settings line (see sv_engine_settings) into *p; false if it is not one to list. */
static bool parse_setting(arena *a, char *line, param_def *p)
{
    char *f[10] = { 0 };
    int nf = 0;
    for (char *q = line; nf < 10;) {
        f[nf++] = q;
        char *t = strchr(q, '\t');
        if (!t)
            break;
        *t = '\0';
        q = t + 1;
    }
    if (nf < 8 || strcmp(f[1], "internal") == 0)
        return false;
    for (int i = 0; i < nf; i++)
        unescape(f[i]);
    memset(p, 0, sizeof *p);
    p->name = arena_strdup(a, f[0]);
    p->apply_type = strcmp(f[1], "postmaster") == 0 ? "static" : "dynamic";
    p->description = arena_strdup(a, f[7]);
    bool reserved = sv_setting_reserved(f[0]);
    p->source = reserved ? "system" : "engine-default";
    p->modifiable = !reserved;
    const char *type = f[3];
    if (strcmp(type, "BOOL") == 0 || strcmp(type, "BOOLEAN") == 0) {
        p->kind = 'b', p->data_type = "boolean", p->allowed = "0,1";
    } else if (strcmp(type, "INTEGER") == 0 || strcmp(type, "REAL") == 0) {
        bool i = type[0] == 'I';
        p->kind = i ? 'i' : 'r';
        p->data_type = i ? "integer" : "real";
        p->min = strtod(f[5], NULL);
        p->max = strtod(f[6], NULL);
        p->allowed = arena_printf(a, "%s-%s", f[5], f[6]);
    } else if (strcmp(type, "ENUM") == 0) {
        p->kind = nf >= 10 && f[9][0] ? 'e' : 's';
        p->data_type = "string";
        p->allowed = p->kind == 'e' ? arena_strdup(a, f[9]) : NULL;
    } else if (strcmp(p->name, "shared_preload_libraries") == 0) {
        p->kind = 'l', p->data_type = "list", p->allowed = preload_allowed;
    } else {
        p->kind = 's', p->data_type = "string";
    }
    return true;
}

int params__defaults(engine_req *r, store *s, const char *family, param_defs *out, rds_error *err)
{
    const char *major = params__family_major(r, family);
    if (!major)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid DB parameter group family: %s",
                        family ? family : "");
    engine *e = r->e;
    bool from_server = !e->cfg.no_engine;
    const char *key = arena_printf(r->a, "pg_settings:%s:%s", version_of(r, major), from_server ? "server" : "catalog");
    char *text;
    if (store_meta_get(s, r->a, key, &text, err))
        return -1;
    if (!text) {
        char *got;
        if (sv_engine_settings(e->sv, major, &got, err))
            return -1;
        text = arena_strdup(r->a, got);
        free(got);
        if (store_meta_set(s, key, text, err))
            return -1;
    }
    size_t cap = 16 + sizeof rds_params / sizeof rds_params[0];
    for (const char *c = text; *c; c++)
        cap += *c == '\n';
    param_def *v = arena_alloc(r->a, cap * sizeof *v);
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < cap; line = strtok_r(NULL, "\n", &save))
        if (parse_setting(r->a, line, &v[n]))
            n++;
    for (size_t i = 0; i < sizeof rds_params / sizeof rds_params[0] && n < cap; i++)
        v[n++] = rds_params[i];
    qsort(v, n, sizeof *v, cmp_def);
    out->v = v;
    out->n = n;
    return 0;
}

const param_def *params__find(const param_defs *d, const char *name)
{
    param_def key = { .name = name };
    return bsearch(&key, d->v, d->n, sizeof *d->v, cmp_def);
}

static bool in_list(const char *list, const char *item, size_t n, bool nocase)
{
    for (const char *p = list; p && *p;) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        if (k == n && (nocase ? strncasecmp(p, item, n) : strncmp(p, item, n)) == 0)
            return true;
        p = c ? c + 1 : NULL;
    }
    return false;
}

/* AWS: "Invalid parameter value: <v> for: <name> allowed values are: <allowed>". */
static int bad_value(const param_def *p, const char *value, rds_error *err)
{
    if (p->allowed)
        return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE,
                        "Invalid parameter value: %.200s for: %s allowed values are: %s", value, p->name,
                        p->allowed);
    return rds_fail(err, RDS_E_INVALID_PARAMETER_VALUE, "Invalid parameter value: %.200s for: %s", value,
                    p->name);
}

int params__check_value(const param_def *p, const char *value, rds_error *err)
{
    size_t len = strlen(value);
    for (const unsigned char *c = (const unsigned char *)value; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return bad_value(p, value, err);
    if (len > 4096)
        return bad_value(p, value, err);
    char *end = NULL;
    switch (p->kind) {
    case 'b':
        return strcmp(value, "0") == 0 || strcmp(value, "1") == 0 ? 0 : bad_value(p, value, err);
    case 'i': {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!len || *end || errno || (double)v < p->min || (double)v > p->max)
            return bad_value(p, value, err);
        return 0;
    }
    case 'r': {
        errno = 0;
        double v = strtod(value, &end);
        if (!len || *end || errno || !isfinite(v) || v < p->min || v > p->max)
            return bad_value(p, value, err);
        return 0;
    }
    case 'e':
        return in_list(p->allowed, value, len, true) ? 0 : bad_value(p, value, err);
    case 'l':
        for (const char *q = value; *q;) {
            while (*q == ' ')
                q++;
            const char *c = strchr(q, ',');
            size_t k = c ? (size_t)(c - q) : strlen(q);
            while (k && q[k - 1] == ' ')
                k--;
            if (k && !in_list(p->allowed, q, k, false))
                return bad_value(p, value, err);
            if (!c)
                break;
            q = c + 1;
        }
        return 0;
    default:
        return 0;
    }
}

const char *params__conf_line(arena *a, const char *name, const char *value)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "%s = '", name);
    for (const char *c = value; *c; c++) {
        if (*c == '\'' || *c == '\\')
            strbuf_append(&b, c, 1);
        strbuf_append(&b, c, 1);
    }
    strbuf_puts(&b, "'\n");
    const char *out = arena_strdup(a, b.data);
    strbuf_free(&b);
    return out;
}
