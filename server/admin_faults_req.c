/* admin_faults_req.c: see admin_faults_req.h. The JSON reader builds a tree of nodes in
 * one array (each value takes at least one input byte, so len + 1 nodes always suffice)
 * and decodes strings into one buffer of len + 1 bytes (a decoded string is never longer
 * than its source), so nothing is reallocated and every pointer stays valid. */
#include "admin_faults_req.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BODY = 64 * 1024, MAX_DEPTH = 16 };

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype t;
    double num;
    bool b;
    const char *str;       /* J_STR: decoded, NUL-terminated */
    const char *key;       /* member name when the parent is an object */
    int first, next;       /* children (arrays, objects) and siblings: node indexes, -1 none */
} jnode;

typedef struct jparser {
    const char *p, *end;
    jnode *nodes;
    int n, cap;
    char *sbuf;            /* decoded strings */
    size_t slen;
    char *msg;
    size_t msg_n;
} jparser;

static int fail(jparser *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(jparser *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, j->msg_n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_ws(jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int new_node(jparser *j, jtype t)
{
    if (j->n == j->cap)
        return -1;
    jnode *nd = &j->nodes[j->n];
    memset(nd, 0, sizeof *nd);
    nd->t = t;
    nd->first = nd->next = -1;
    return j->n++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A string at j->p (the opening quote); *out points into sbuf. Only ASCII \u escapes are
 * taken (identifiers and kinds are ASCII). */
static int parse_string(jparser *j, const char **out)
{
    j->p++;
    char *dst = j->sbuf + j->slen, *start = dst;
    for (;;) {
        if (j->p >= j->end)
            return fail(j, "bad JSON: unterminated string");
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(j, "bad JSON: control character in a string");
        if (c != '\\') {
            *dst++ = (char)c;
            continue;
        }
        if (j->p >= j->end)
            return fail(j, "bad JSON: unterminated string");
        char e = *j->p++;
        switch (e) {
        case '"': *dst++ = '"'; break;
        case '\\': *dst++ = '\\'; break;
        case '/': *dst++ = '/'; break;
        case 'b': *dst++ = '\b'; break;
        case 'f': *dst++ = '\f'; break;
        case 'n': *dst++ = '\n'; break;
        case 'r': *dst++ = '\r'; break;
        case 't': *dst++ = '\t'; break;
        case 'u': {
            unsigned v;
            if (j->end - j->p < 4 || hex4(j->p, &v) != 0)
                return fail(j, "bad JSON: bad \\u escape");
            if (v == 0 || v > 0x7f)
                return fail(j, "bad JSON: only ASCII \\u escapes are accepted");
            *dst++ = (char)v;
            j->p += 4;
            break;
        }
        default:
            return fail(j, "bad JSON: bad escape \\%c", e);
        }
    }
    *dst++ = '\0';
    j->slen = (size_t)(dst - j->sbuf);
    *out = start;
    return 0;
}

static int parse_value(jparser *j, int depth);

static int parse_container(jparser *j, int depth, bool is_obj)
{
    int self = new_node(j, is_obj ? J_OBJ : J_ARR);
    if (self < 0)
        return fail(j, "bad JSON: too many values");
    j->p++;
    skip_ws(j);
    char close = is_obj ? '}' : ']';
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return self;
    }
    int last = -1;
    for (;;) {
        skip_ws(j);
        const char *key = NULL;
        if (is_obj) {
            if (j->p >= j->end || *j->p != '"')
                return fail(j, "bad JSON: expected a member name");
            if (parse_string(j, &key) != 0)
                return -1;
            skip_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return fail(j, "bad JSON: expected ':' after member \"%.40s\"", key);
            j->p++;
        }
        int child = parse_value(j, depth + 1);
        if (child < 0)
            return -1;
        j->nodes[child].key = key;
        if (last < 0)
            j->nodes[self].first = child;
        else
            j->nodes[last].next = child;
        last = child;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return self;
        }
        return fail(j, "bad JSON: expected ',' or '%c'", close);
    }
}

static int parse_value(jparser *j, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(j, "bad JSON: nested too deeply");
    skip_ws(j);
    if (j->p >= j->end)
        return fail(j, "bad JSON: unexpected end of input");
    char c = *j->p;
    if (c == '{' || c == '[')
        return parse_container(j, depth, c == '{');
    if (c == '"') {
        int nd = new_node(j, J_STR);
        if (nd < 0)
            return fail(j, "bad JSON: too many values");
        const char *s;
        if (parse_string(j, &s) != 0)
            return -1;
        j->nodes[nd].str = s;
        return nd;
    }
    static const struct { const char *word; jtype t; bool b; } words[] = {
        { "true", J_BOOL, true }, { "false", J_BOOL, false }, { "null", J_NULL, false },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i].word, n) == 0) {
            int nd = new_node(j, words[i].t);
            if (nd < 0)
                return fail(j, "bad JSON: too many values");
            j->nodes[nd].b = words[i].b;
            j->p += n;
            return nd;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t n = 0;
        while (j->p + n < j->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", j->p[n]))
            n++;
        memcpy(tmp, j->p, n);
        tmp[n] = '\0';
        char *e;
        double v = strtod(tmp, &e);
        if (e != tmp + n || !isfinite(v))
            return fail(j, "bad JSON: bad number \"%.30s\"", tmp);
        int nd = new_node(j, J_NUM);
        if (nd < 0)
            return fail(j, "bad JSON: too many values");
        j->nodes[nd].num = v;
        j->p += n;
        return nd;
    }
    return fail(j, "bad JSON: unexpected character '%c'", c);
}

/* ---- the request shapes ---------------------------------------------------------------- */

static const char *type_name(jtype t)
{
    static const char *const names[] = { "null", "a boolean", "a number", "a string", "an array", "an object" };
    return names[t];
}

/* A non-negative number member in ms (seconds scaled); *set false when absent or null. */
static int take_ms(jparser *j, const jnode *nd, double scale, int64_t *out, bool *set)
{
    if (nd->t == J_NULL)
        return 0;
    if (nd->t != J_NUM)
        return fail(j, "%s must be a number, not %s", nd->key, type_name(nd->t));
    double ms = nd->num * scale;
    if (ms < 0 || ms > 1e12)
        return fail(j, "%s must be a number from 0 up", nd->key);
    *out = (int64_t)llround(ms);
    *set = true;
    return 0;
}

static int parse_step(jparser *j, const jnode *obj, bool experiment, engine_fault_in *out)
{
    if (obj->t != J_OBJ)
        return fail(j, "a fault must be a JSON object, not %s", type_name(obj->t));
    memset(out, 0, sizeof *out);
    out->duration_ms = -1;
    const char *kind = NULL;
    bool dur_set = false, off_set = false;
    for (int i = obj->first; i >= 0; i = j->nodes[i].next) {
        const jnode *m = &j->nodes[i];
        const char *k = m->key;
        if (strcmp(k, "kind") == 0 || strcmp(k, "DBInstanceIdentifier") == 0 || strcmp(k, "region") == 0) {
            if (m->t == J_NULL)
                continue;
            if (m->t != J_STR)
                return fail(j, "%s must be a string, not %s", k, type_name(m->t));
            if (k[0] == 'k')
                kind = m->str;
            else if (k[0] == 'D')
                out->instance_id = m->str;
            else
                out->region = m->str;
        } else if (strcmp(k, "duration_ms") == 0 || strcmp(k, "duration_seconds") == 0) {
            if (dur_set)
                return fail(j, "give duration_ms or duration_seconds, not both");
            if (take_ms(j, m, k[9] == 'm' ? 1.0 : 1000.0, &out->duration_ms, &dur_set) != 0)
                return -1;
        } else if (experiment && (strcmp(k, "offset_ms") == 0 || strcmp(k, "offset_seconds") == 0)) {
            if (off_set)
                return fail(j, "give offset_ms or offset_seconds, not both");
            if (take_ms(j, m, k[7] == 'm' ? 1.0 : 1000.0, &out->offset_ms, &off_set) != 0)
                return -1;
        } else {
            return fail(j, "unknown member \"%.40s\"%s", k,
                        !experiment && strncmp(k, "offset", 6) == 0 ? " (offsets belong to experiments)" : "");
        }
    }
    if (!kind)
        return fail(j, "kind is required: one of kill-primary, kill-standby, hang, storage-full, cut-standby");
    if (!engine_fault_kind_parse(kind, &out->kind))
        return fail(j, "unknown fault kind \"%.40s\": use one of kill-primary, kill-standby, hang, storage-full, "
                       "cut-standby", kind);
    if (!out->instance_id || !out->instance_id[0])
        return fail(j, "DBInstanceIdentifier is required");
    return 0;
}

int admin_fault_req_parse(const char *body, size_t len, bool experiment, admin_fault_req *out, char *msg,
                          size_t msg_n)
{
    memset(out, 0, sizeof *out);
    jparser j = { .p = body, .end = body + len, .msg = msg, .msg_n = msg_n };
    msg[0] = '\0';
    if (!body || len == 0)
        return fail(&j, "the request needs a JSON body");
    if (len > MAX_BODY)
        return fail(&j, "the JSON body is larger than %d bytes", MAX_BODY);
    j.cap = (int)len + 1;
    j.nodes = malloc((size_t)j.cap * sizeof *j.nodes);
    j.sbuf = malloc(len + 1);
    if (!j.nodes || !j.sbuf) {
        free(j.nodes);
        free(j.sbuf);
        return fail(&j, "out of memory");
    }
    int rc = -1;
    int root = parse_value(&j, 0);
    if (root < 0)
        goto done;
    skip_ws(&j);
    if (j.p != j.end) {
        fail(&j, "bad JSON: trailing characters after the value");
        goto done;
    }
    const jnode *r = &j.nodes[root];
    if (r->t != J_OBJ) {
        fail(&j, "the body must be a JSON object, not %s", type_name(r->t));
        goto done;
    }
    if (!experiment) {
        if (parse_step(&j, r, false, &out->steps[0]) != 0)
            goto done;
        out->n = 1;
    } else {
        const jnode *list = NULL;
        for (int i = r->first; i >= 0; i = j.nodes[i].next) {
            if (strcmp(j.nodes[i].key, "faults") != 0) {
                fail(&j, "unknown member \"%.40s\" (an experiment is {\"faults\": [...]})", j.nodes[i].key);
                goto done;
            }
            list = &j.nodes[i];
        }
        if (!list || list->t != J_ARR) {
            fail(&j, "faults is required: a list of faults with their offset_ms");
            goto done;
        }
        for (int i = list->first; i >= 0; i = j.nodes[i].next) {
            if (out->n == ENGINE_EXPERIMENT_MAX_STEPS) {
                fail(&j, "an experiment has at most %d faults", ENGINE_EXPERIMENT_MAX_STEPS);
                goto done;
            }
            if (parse_step(&j, &j.nodes[i], true, &out->steps[out->n]) != 0) {
                size_t l = strlen(msg);
                snprintf(msg + l, msg_n - l, " (faults[%zu])", out->n);
                goto done;
            }
            out->n++;
        }
        if (out->n == 0) {
            fail(&j, "faults is empty: give at least one fault");
            goto done;
        }
    }
    rc = 0;
done:
    free(j.nodes);
    if (rc == 0) {
        out->strings = j.sbuf;
    } else {
        free(j.sbuf);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

void admin_fault_req_free(admin_fault_req *r)
{
    if (!r)
        return;
    free(r->strings);
    r->strings = NULL;
}
