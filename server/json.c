/* json.c: see json.h. A recursive-descent parser driven by the expected shape: each value
 * is parsed straight into a param node, so no JSON tree is built. Depth is bounded. */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JSON_MAX_DEPTH = 32 };

typedef struct jp {
    const char *p, *end;
    arena *a;
    rds_error *err;
    char path[160];   /* member path for validation messages: "keySpec", "tags.1.tagKey" */
} jp;

static int syntax(jp *j, const char *what)
{
    return rds_fail(j->err, RDS_E_JSON_SERIALIZATION_EXCEPTION, "%s", what);
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool lit(jp *j, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, s, n) == 0) {
        j->p += n;
        return true;
    }
    return false;
}

static void put_utf8(char **o, unsigned cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) { *u++ = (unsigned char)cp; }
    else if (cp < 0x800) { *u++ = (unsigned char)(0xC0 | cp >> 6); *u++ = (unsigned char)(0x80 | (cp & 63)); }
    else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xE0 | cp >> 12); *u++ = (unsigned char)(0x80 | ((cp >> 6) & 63));
        *u++ = (unsigned char)(0x80 | (cp & 63));
    } else {
        *u++ = (unsigned char)(0xF0 | cp >> 18); *u++ = (unsigned char)(0x80 | ((cp >> 12) & 63));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 63)); *u++ = (unsigned char)(0x80 | (cp & 63));
    }
    *o = (char *)u;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

/* A string at j->p (which is at '"'), unescaped into the arena. NUL escapes are refused
 * (the param tree holds C strings). */
static int string(jp *j, char **out, size_t *len)
{
    if (j->p >= j->end || *j->p != '"')
        return syntax(j, "Expected a string");
    j->p++;
    const char *s = j->p;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\')
            j->p++;
        j->p++;
    }
    if (j->p >= j->end)
        return syntax(j, "Unterminated string");
    size_t n = (size_t)(j->p - s);
    j->p++;
    char *o = arena_alloc(j->a, n + 1), *start = o;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20)
            return syntax(j, "Control character in string");
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        c = (unsigned char)s[++i];
        switch (c) {
        case '"': case '\\': case '/': *o++ = (char)c; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (i + 4 >= n || hex4(s + i + 1, &cp))
                return syntax(j, "Bad \\u escape");
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' || hex4(s + i + 3, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return syntax(j, "Bad surrogate pair");
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
                return syntax(j, "Bad \\u escape");
            }
            put_utf8(&o, cp);
            break;
        }
        default:
            return syntax(j, "Bad escape");
        }
    }
    *o = '\0';
    *out = start;
    *len = (size_t)(o - start);
    return 0;
}

/* The text of a JSON number at j->p, or NULL if there is none. */
static char *number(jp *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || !isdigit((unsigned char)*j->p)) { j->p = s; return NULL; }
    if (*j->p == '0') {
        j->p++;
        if (j->p < j->end && isdigit((unsigned char)*j->p)) { j->p = s; return NULL; } /* 01 */
    } else while (j->p < j->end && isdigit((unsigned char)*j->p)) j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p)) { j->p = s; return NULL; }
        while (j->p < j->end && isdigit((unsigned char)*j->p)) j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p)) { j->p = s; return NULL; }
        while (j->p < j->end && isdigit((unsigned char)*j->p)) j->p++;
    }
    size_t n = (size_t)(j->p - s);
    char *t = arena_alloc(j->a, n + 1);
    memcpy(t, s, n);
    t[n] = '\0';
    return t;
}

/* Skips any well-formed value (an unknown member). */
static int skip(jp *j, int depth)
{
    ws(j);
    if (depth > JSON_MAX_DEPTH)
        return syntax(j, "Document nested too deeply");
    if (j->p >= j->end)
        return syntax(j, "Unexpected end of input");
    char c = *j->p;
    if (c == '"') {
        char *s;
        size_t n;
        return string(j, &s, &n);
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == close) { j->p++; return 0; }
        for (;;) {
            if (c == '{') {
                char *k;
                size_t n;
                ws(j);
                if (string(j, &k, &n)) return -1;
                ws(j);
                if (j->p >= j->end || *j->p != ':') return syntax(j, "Expected ':'");
                j->p++;
            }
            if (skip(j, depth + 1)) return -1;
            ws(j);
            if (j->p < j->end && *j->p == ',') { j->p++; continue; }
            if (j->p < j->end && *j->p == close) { j->p++; return 0; }
            return syntax(j, "Expected ',' or a closing bracket");
        }
    }
    if (lit(j, "true") || lit(j, "false") || lit(j, "null"))
        return 0;
    return number(j) ? 0 : syntax(j, "Unexpected character");
}

/* Validation messages name members in lower camel case, as AWS's JSON services do. */
static void push_path(jp *j, size_t *saved, const char *name)
{
    *saved = strlen(j->path);
    snprintf(j->path + *saved, sizeof j->path - *saved, "%s%c%s", *saved ? "." : "",
             tolower((unsigned char)name[0]), name[0] ? name + 1 : "");
}

static int invalid(jp *j, const char *value, const char *constraint)
{
    if (value)
        return rds_fail(j->err, RDS_E_JSON_VALIDATION_EXCEPTION,
                        "1 validation error detected: Value '%.100s' at '%s' failed to satisfy constraint: %s",
                        value, j->path, constraint);
    return rds_fail(j->err, RDS_E_JSON_VALIDATION_EXCEPTION,
                    "1 validation error detected: Value null at '%s' failed to satisfy constraint: %s",
                    j->path, constraint);
}

static int wrong_type(jp *j, const char *got, const char *want)
{
    return rds_fail(j->err, RDS_E_JSON_SERIALIZATION_EXCEPTION, "%s can not be converted to %s", got, want);
}

static const char *json_kind(char c)
{
    switch (c) {
    case '"': return "STRING_VALUE";
    case '{': return "START_OBJECT";
    case '[': return "START_ARRAY";
    case 't': return "VALUE_TRUE";
    case 'f': return "VALUE_FALSE";
    default: return "NUMBER_VALUE";
    }
}

static const char *type_name(api_type t)
{
    switch (t) {
    case AT_STRING: return "a String";
    case AT_INTEGER: return "an Integer";
    case AT_LONG: return "a Long";
    case AT_BOOLEAN: return "a Boolean";
    case AT_DOUBLE: return "a Double";
    case AT_TIMESTAMP: return "a Timestamp";
    case AT_BLOB: return "a ByteBuffer";
    case AT_LIST: return "a List";
    case AT_MAP: return "a Map";
    default: return "a Structure";
    }
}

static int length_checks(jp *j, const api_shape *s, size_t n, const char *shown)
{
    char c[96];
    if (s->has_min && n < (size_t)s->min) {
        snprintf(c, sizeof c, "Member must have length greater than or equal to %.0f", s->min);
        return invalid(j, shown, c);
    }
    if (s->has_max && n > (size_t)s->max) {
        snprintf(c, sizeof c, "Member must have length less than or equal to %.0f", s->max);
        return invalid(j, shown, c);
    }
    return 0;
}

static int value(param **out, jp *j, const api_shape *s, int depth);

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Base64 (padding optional) into the arena; -1 if not base64. */
static int b64decode(arena *a, const char *s, size_t n, char **out, size_t *len)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    char *o = arena_alloc(a, n * 3 / 4 + 1);
    size_t k = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (char)((acc >> bits) & 0xFF);
        }
    }
    o[k] = '\0';
    *out = o;
    *len = k;
    return 0;
}

static int structure(param *p, jp *j, const api_shape *s, int depth)
{
    p->n_items = s ? s->n_members : 0;
    p->items = arena_alloc(j->a, (p->n_items ? p->n_items : 1) * sizeof *p->items);
    memset(p->items, 0, (p->n_items ? p->n_items : 1) * sizeof *p->items);
    if (j->p >= j->end || *j->p != '{')
        return wrong_type(j, json_kind(j->p < j->end ? *j->p : '"'), "a Structure");
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
    } else {
        for (;;) {
            char *key;
            size_t klen;
            ws(j);
            if (string(j, &key, &klen))
                return -1;
            ws(j);
            if (j->p >= j->end || *j->p != ':')
                return syntax(j, "Expected ':'");
            j->p++;
            const api_member *m = s ? api_find_member(s, key) : NULL;
            if (m) {
                size_t saved;
                push_path(j, &saved, m->name);
                size_t idx = (size_t)(m - s->members);
                if (value(&p->items[idx], j, m->shape, depth + 1))
                    return -1;
                j->path[saved] = '\0';
            } else if (skip(j, depth + 1)) {
                return -1;
            }
            ws(j);
            if (j->p < j->end && *j->p == ',') { j->p++; continue; }
            if (j->p < j->end && *j->p == '}') { j->p++; break; }
            return syntax(j, "Expected ',' or '}'");
        }
    }
    for (size_t i = 0; s && i < s->n_members; i++) {
        if (s->members[i].required && !p->items[i]) {
            size_t saved;
            push_path(j, &saved, s->members[i].name);
            return invalid(j, NULL, "Member must not be null");
        }
    }
    return 0;
}

static int scalar(param *p, jp *j, const api_shape *s)
{
    char c = *j->p;
    char cons[160];
    switch (s->type) {
    case AT_STRING:
    case AT_BLOB: {
        if (c != '"')
            return wrong_type(j, json_kind(c), type_name(s->type));
        char *str;
        size_t n;
        if (string(j, &str, &n))
            return -1;
        if (s->type == AT_BLOB) {
            if (b64decode(j->a, str, n, (char **)&p->text, &p->len))
                return syntax(j, "Base64 encoded value could not be decoded");
            return length_checks(j, s, p->len, NULL);
        }
        p->text = str;
        p->len = n;
        if (s->n_enums) {
            bool ok = false;
            for (size_t i = 0; i < s->n_enums && !ok; i++)
                ok = strcmp(s->enums[i], str) == 0;
            if (!ok) {
                size_t k = (size_t)snprintf(cons, sizeof cons, "Member must satisfy enum value set: [");
                for (size_t i = 0; i < s->n_enums && k < sizeof cons; i++)
                    k += (size_t)snprintf(cons + k, sizeof cons - k, "%s%s", i ? ", " : "", s->enums[i]);
                if (k < sizeof cons)
                    snprintf(cons + k, sizeof cons - k, "]");
                return invalid(j, str, cons);
            }
        }
        return length_checks(j, s, utf8_chars(str, n), str);
    }
    case AT_BOOLEAN:
        if (lit(j, "true")) p->b = true;
        else if (lit(j, "false")) p->b = false;
        else return wrong_type(j, json_kind(c), "a Boolean");
        p->text = p->b ? "true" : "false";
        p->len = strlen(p->text);
        return 0;
    case AT_INTEGER:
    case AT_LONG:
    case AT_DOUBLE:
    case AT_TIMESTAMP: {
        char *t = c == '-' || isdigit((unsigned char)c) ? number(j) : NULL;
        if (!t)
            return wrong_type(j, json_kind(c), type_name(s->type));
        p->text = t;
        p->len = strlen(t);
        errno = 0;
        double d = strtod(t, NULL);
        p->d = d;
        if (s->type == AT_TIMESTAMP) {
            if (!isfinite(d) || fabs(d) > 253402300799.0)
                return wrong_type(j, "NUMBER_VALUE", "a Timestamp");
            p->i = (int64_t)llround(d * 1000.0);
            return 0;
        }
        if (s->type == AT_DOUBLE)
            return 0;
        bool integral = strpbrk(t, ".eE") == NULL;
        long long v = strtoll(t, NULL, 10);
        if (!integral || errno ||
            (s->type == AT_INTEGER && (v > 2147483647LL || v < -2147483648LL)))
            return wrong_type(j, "NUMBER_VALUE", type_name(s->type));
        p->i = v;
        if (s->has_min && v < s->min) {
            snprintf(cons, sizeof cons, "Member must have value greater than or equal to %.0f", s->min);
            return invalid(j, t, cons);
        }
        if (s->has_max && v > s->max) {
            snprintf(cons, sizeof cons, "Member must have value less than or equal to %.0f", s->max);
            return invalid(j, t, cons);
        }
        return 0;
    }
    default:
        return syntax(j, "Unsupported shape");
    }
}

static int value(param **out, jp *j, const api_shape *s, int depth)
{
    *out = NULL;
    ws(j);
    if (depth > JSON_MAX_DEPTH)
        return syntax(j, "Document nested too deeply");
    if (j->p >= j->end)
        return syntax(j, "Unexpected end of input");
    if (lit(j, "null"))
        return 0; /* botocore never sends null; AWS treats it as absent */
    param *p = arena_alloc(j->a, sizeof *p);
    memset(p, 0, sizeof *p);
    p->shape = s;
    switch (s->type) {
    case AT_STRUCTURE:
        if (structure(p, j, s, depth))
            return -1;
        break;
    case AT_LIST: {
        if (*j->p != '[')
            return wrong_type(j, json_kind(*j->p), "a List");
        j->p++;
        size_t cap = 4;
        p->items = arena_alloc(j->a, cap * sizeof *p->items);
        ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
        } else {
            for (;;) {
                param *item;
                size_t saved = strlen(j->path);
                snprintf(j->path + saved, sizeof j->path - saved, ".%zu", p->n_items + 1);
                if (value(&item, j, s->element, depth + 1))
                    return -1;
                j->path[saved] = '\0';
                param_append(j->a, p, &cap, NULL, item);
                ws(j);
                if (j->p < j->end && *j->p == ',') { j->p++; continue; }
                if (j->p < j->end && *j->p == ']') { j->p++; break; }
                return syntax(j, "Expected ',' or ']'");
            }
        }
        if (length_checks(j, s, p->n_items, NULL))
            return -1;
        break;
    }
    case AT_MAP: {
        if (*j->p != '{')
            return wrong_type(j, json_kind(*j->p), "a Map");
        j->p++;
        size_t cap = 4;
        p->items = arena_alloc(j->a, cap * sizeof *p->items);
        p->map_keys = arena_alloc(j->a, cap * sizeof *p->map_keys);
        ws(j);
        if (j->p < j->end && *j->p == '}') {
            j->p++;
        } else {
            for (;;) {
                ws(j);
                param *k = arena_alloc(j->a, sizeof *k), *v;
                memset(k, 0, sizeof *k);
                k->shape = s->map_key;
                if (j->p >= j->end || *j->p != '"')
                    return syntax(j, "Expected a string");
                if (scalar(k, j, s->map_key))
                    return -1;
                ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return syntax(j, "Expected ':'");
                j->p++;
                if (value(&v, j, s->map_value, depth + 1))
                    return -1;
                param_append(j->a, p, &cap, k, v);
                ws(j);
                if (j->p < j->end && *j->p == ',') { j->p++; continue; }
                if (j->p < j->end && *j->p == '}') { j->p++; break; }
                return syntax(j, "Expected ',' or '}'");
            }
        }
        if (length_checks(j, s, p->n_items, NULL))
            return -1;
        break;
    }
    default:
        if (scalar(p, j, s))
            return -1;
        break;
    }
    *out = p;
    return 0;
}

int json_decode(param **out, arena *a, const char *body, size_t len, const api_shape *shape,
                rds_error *err)
{
    jp j = { .p = body ? body : "", .end = (body ? body : "") + (body ? len : 0), .a = a, .err = err };
    param *p = arena_alloc(a, sizeof *p);
    memset(p, 0, sizeof *p);
    p->shape = shape;
    ws(&j);
    if (j.p == j.end) { /* an empty body is an empty object */
        static const char empty[] = "{}";
        j.p = empty;
        j.end = empty + 2;
    }
    if (*j.p != '{')
        return syntax(&j, "Start of structure or map found where not expected");
    if (structure(p, &j, shape, 0))
        return -1;
    ws(&j);
    if (j.p != j.end)
        return syntax(&j, "Unexpected data after the document");
    *out = p;
    return 0;
}
