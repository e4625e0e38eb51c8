/* loadgen.c: a small HTTP/1.1 keep-alive load generator for rdslocal's benchmarks.
 *
 * N connections (one thread each) send the same POST again and again (form-encoded by
 * default; --content-type and --header for e.g. AWS JSON 1.1 with X-Amz-Target), for D
 * seconds or until M requests in all, with an AWS SigV4-shaped Authorization header (the
 * signature is syntactically valid but not computed: neither rdslocal nor moto checks it).
 * A "{n}" in the body is replaced by a process-wide counter, so every request can name a
 * new resource (e.g. DBInstanceIdentifier=bench-{n}).
 *
 * Responses are parsed properly: status line, Content-Length, Transfer-Encoding: chunked,
 * and close-delimited bodies; "Connection: close" (what werkzeug sends, hence moto) makes
 * the thread reconnect before its next request, and that connect time is counted in the
 * next request's latency (as a client without a reusable connection would see it).
 * Any status other than 200, and any transport failure, counts as an error.
 *
 * Output: a human-readable summary, then one machine-readable line
 *   RESULT requests=.. errors=.. rps=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. ...
 *
 * Build: bench/build.sh (gcc -O2 -pthread). Usage: loadgen --help. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_SAMPLES_TOTAL (50u * 1000u * 1000u) /* bound on stored latencies (200 MB) */
#define MAX_RESPONSE_BYTES (256u * 1024u * 1024u)

/* ---- settings ------------------------------------------------------------------------- */

static const char *g_host = "127.0.0.1";
static int g_port = 0;
static const char *g_path = "/";
static int g_conns = 1;
static double g_duration = 0;     /* seconds; 0: until g_max_requests */
static long g_max_requests = 0;   /* 0: until g_duration */
static const char *g_body_tmpl = NULL;
static long g_counter_start = 0;
static double g_timeout = 10;     /* per-request socket timeout, seconds */
static const char *g_region = "us-east-1";
static const char *g_service = "rds";
static const char *g_content_type = "application/x-www-form-urlencoded; charset=utf-8";
static const char *g_label = "";
static int g_verbose = 0;
static const char *g_extra_headers[16];
static int g_n_extra = 0;

/* ---- shared state --------------------------------------------------------------------- */

static atomic_long g_issued;      /* requests started (for --requests) */
static atomic_long g_counter;     /* the {n} counter */
static atomic_int g_printed_err;  /* first error body printed once with -v */
static struct timespec g_deadline;
static char g_head_fixed[2048];   /* request head without Content-Length */
static size_t g_head_fixed_len;

typedef struct worker {
    pthread_t tid;
    int idx;
    /* results */
    long requests, errors, transport_errors, connects;
    long status_counts[6]; /* 1xx..5xx by class, [0] unused */
    long bytes_in;
    uint32_t *lat_us;
    size_t nlat, caplat;
    /* connection */
    int fd;
    char *buf;
    size_t buflen, bufcap;
    char *req;
    size_t reqcap;
} worker;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int past_deadline(void)
{
    if (g_duration <= 0)
        return 0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec > g_deadline.tv_sec ||
           (t.tv_sec == g_deadline.tv_sec && t.tv_nsec >= g_deadline.tv_nsec);
}

static void die(const char *msg)
{
    fprintf(stderr, "loadgen: %s\n", msg);
    exit(2);
}

/* ---- request building ------------------------------------------------------------------ */

static void build_fixed_head(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char amzdate[17], day[9];
    strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    /* A fixed, well-formed 64-hex signature (not a real HMAC: the servers don't check). */
    char sig[65];
    unsigned long x = 0x9e3779b97f4a7c15ul;
    for (int i = 0; i < 64; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        sig[i] = "0123456789abcdef"[x & 15];
    }
    sig[64] = '\0';
    int n = snprintf(g_head_fixed, sizeof g_head_fixed,
                     "POST %s HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "User-Agent: rdslocal-loadgen/1\r\n"
                     "Accept-Encoding: identity\r\n"
                     "Content-Type: %s\r\n"
                     "X-Amz-Date: %s\r\n"
                     "Authorization: AWS4-HMAC-SHA256 Credential=test/%s/%s/%s/aws4_request, "
                     "SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\n",
                     g_path, g_host, g_port, g_content_type, amzdate, day, g_region, g_service, sig);
    for (int i = 0; i < g_n_extra && n > 0 && (size_t)n < sizeof g_head_fixed; i++)
        n += snprintf(g_head_fixed + n, sizeof g_head_fixed - (size_t)n, "%s\r\n", g_extra_headers[i]);
    if (n <= 0 || (size_t)n >= sizeof g_head_fixed - 64)
        die("request head too long");
    g_head_fixed_len = (size_t)n;
}

static void ensure_cap(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *np = realloc(*p, c);
    if (!np)
        die("out of memory");
    *p = np;
    *cap = c;
}

/* Builds the whole request into w->req; returns its length. */
static size_t build_request(worker *w)
{
    const char *tmpl = g_body_tmpl ? g_body_tmpl : "";
    size_t tlen = strlen(tmpl);
    char num[32];
    int have_num = 0;
    /* body first, after room for the head */
    size_t body_off = g_head_fixed_len + 64;
    ensure_cap(&w->req, &w->reqcap, body_off + tlen * 2 + 64);
    size_t bl = 0;
    for (const char *s = tmpl; *s;) {
        if (s[0] == '{' && s[1] == 'n' && s[2] == '}') {
            if (!have_num) {
                snprintf(num, sizeof num, "%ld", atomic_fetch_add(&g_counter, 1));
                have_num = 1;
            }
            size_t nl = strlen(num);
            ensure_cap(&w->req, &w->reqcap, body_off + bl + nl + (size_t)(tmpl + tlen - s) + 64);
            memcpy(w->req + body_off + bl, num, nl);
            bl += nl;
            s += 3;
        } else {
            w->req[body_off + bl++] = *s++;
        }
    }
    char cl[64];
    int cll = snprintf(cl, sizeof cl, "Content-Length: %zu\r\n\r\n", bl);
    size_t head_len = g_head_fixed_len + (size_t)cll;
    /* move the body right behind the head */
    memmove(w->req + head_len, w->req + body_off, bl);
    memcpy(w->req, g_head_fixed, g_head_fixed_len);
    memcpy(w->req + g_head_fixed_len, cl, (size_t)cll);
    return head_len + bl;
}

/* ---- connection ------------------------------------------------------------------------ */

static int do_connect(worker *w)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = { (time_t)g_timeout, (suseconds_t)((g_timeout - (long)g_timeout) * 1e6) };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)g_port);
    if (inet_pton(AF_INET, g_host, &sa.sin_addr) != 1) {
        close(fd);
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    w->fd = fd;
    w->buflen = 0;
    w->connects++;
    return 0;
}

static void drop_conn(worker *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->buflen = 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads more bytes into w->buf; returns bytes read, 0 on EOF, -1 on error/timeout. */
static ssize_t read_more(worker *w)
{
    if (w->bufcap - w->buflen < 16384) {
        if (w->bufcap * 2 > MAX_RESPONSE_BYTES)
            return -1;
        ensure_cap(&w->buf, &w->bufcap, w->bufcap * 2);
    }
    for (;;) {
        ssize_t k = recv(w->fd, w->buf + w->buflen, w->bufcap - w->buflen, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k > 0)
            w->buflen += (size_t)k;
        return k;
    }
}

/* ---- response parsing ------------------------------------------------------------------ */

typedef struct resp {
    int status;
    int close_after;
    int chunked;
    long content_length; /* -1: none */
    size_t head_len;
} resp;

static int hdr_is(const char *line, size_t len, const char *name, const char **val, size_t *vlen)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *val = v;
    *vlen = (size_t)(end - v);
    return 1;
}

static int contains_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++)
        if (strncasecmp(v + i, tok, tl) == 0)
            return 1;
    return 0;
}

/* Parses the head in buf[0..len); returns 1 done, 0 need more, -1 malformed. */
static int parse_head(const char *buf, size_t len, resp *r)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return len > 65536 ? -1 : 0;
    r->head_len = (size_t)(end - buf) + 4;
    r->content_length = -1;
    r->chunked = 0;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
        return -1;
    int http10 = buf[7] == '0';
    r->status = atoi(buf + 9);
    r->close_after = http10; /* HTTP/1.0: close unless keep-alive */
    const char *p = memchr(buf, '\n', r->head_len) + 1;
    while (p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end + 2 - p));
        size_t ll = (size_t)(eol - p);
        const char *v;
        size_t vl;
        if (hdr_is(p, ll, "Content-Length", &v, &vl)) {
            r->content_length = strtol(v, NULL, 10);
        } else if (hdr_is(p, ll, "Transfer-Encoding", &v, &vl)) {
            r->chunked = contains_token(v, vl, "chunked");
        } else if (hdr_is(p, ll, "Connection", &v, &vl)) {
            if (contains_token(v, vl, "close"))
                r->close_after = 1;
            else if (contains_token(v, vl, "keep-alive"))
                r->close_after = 0;
        }
        p = eol + 2;
    }
    if (r->chunked)
        r->content_length = -1;
    return 1;
}

/* Chunked body starting at b[0..n): returns total bytes of the chunked body (incl. trailers)
 * when complete, 0 when more is needed, -1 when malformed. */
static long chunked_len(const char *b, size_t n)
{
    size_t off = 0;
    for (;;) {
        const char *eol = memmem(b + off, n - off, "\r\n", 2);
        if (!eol)
            return 0;
        char *ep;
        unsigned long sz = strtoul(b + off, &ep, 16);
        if (ep == b + off)
            return -1;
        off = (size_t)(eol - b) + 2;
        if (sz == 0) {
            /* trailers until an empty line */
            for (;;) {
                const char *e2 = memmem(b + off, n - off, "\r\n", 2);
                if (!e2)
                    return 0;
                size_t ll = (size_t)(e2 - (b + off));
                off += ll + 2;
                if (ll == 0)
                    return (long)off;
            }
        }
        if (n - off < sz + 2)
            return 0;
        off += sz + 2;
    }
}

/* Reads one whole response; returns status (>0) or -1 on transport failure. Sets
 * *must_close when the connection can't be reused. Consumes it from w->buf. */
static int read_response(worker *w, int *must_close, size_t *body_start, size_t *body_len)
{
    resp r;
    int ph;
    while ((ph = parse_head(w->buf, w->buflen, &r)) == 0) {
        if (read_more(w) <= 0)
            return -1;
    }
    if (ph < 0)
        return -1;
    size_t total;
    if (r.status / 100 == 1 || r.status == 204 || r.status == 304) {
        total = r.head_len;
    } else if (r.chunked) {
        long cl;
        while ((cl = chunked_len(w->buf + r.head_len, w->buflen - r.head_len)) == 0)
            if (read_more(w) <= 0)
                return -1;
        if (cl < 0)
            return -1;
        total = r.head_len + (size_t)cl;
    } else if (r.content_length >= 0) {
        total = r.head_len + (size_t)r.content_length;
        if (total > MAX_RESPONSE_BYTES)
            return -1;
        ensure_cap(&w->buf, &w->bufcap, total + 1);
        while (w->buflen < total)
            if (read_more(w) <= 0)
                return -1;
    } else {
        /* close-delimited */
        ssize_t k;
        while ((k = read_more(w)) > 0)
            ;
        if (k < 0)
            return -1;
        total = w->buflen;
        r.close_after = 1;
    }
    *must_close = r.close_after;
    *body_start = r.head_len;
    *body_len = total - r.head_len;
    w->bytes_in += (long)total;
    return r.status;
}

static void consume(worker *w, size_t n)
{
    if (n >= w->buflen) {
        w->buflen = 0;
    } else {
        memmove(w->buf, w->buf + n, w->buflen - n);
        w->buflen -= n;
    }
}

/* ---- worker ---------------------------------------------------------------------------- */

static void record(worker *w, double secs)
{
    if (w->nlat == w->caplat) {
        size_t nc = w->caplat ? w->caplat * 2 : 65536;
        if (nc > MAX_SAMPLES_TOTAL / (size_t)g_conns)
            nc = MAX_SAMPLES_TOTAL / (size_t)g_conns;
        if (nc <= w->caplat)
            return; /* sample cap reached: latency not recorded (counts still are) */
        uint32_t *np = realloc(w->lat_us, nc * sizeof *np);
        if (!np)
            return;
        w->lat_us = np;
        w->caplat = nc;
    }
    double us = secs * 1e6;
    w->lat_us[w->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    w->fd = -1;
    ensure_cap(&w->buf, &w->bufcap, 65536);
    for (;;) {
        if (past_deadline())
            break;
        if (g_max_requests > 0 && atomic_fetch_add(&g_issued, 1) >= g_max_requests)
            break;
        size_t rl = build_request(w);
        double t0 = now_s();
        int status = -1, must_close = 1;
        size_t bs = 0, bl = 0;
        /* one retry only when a reused keep-alive connection turns out to be closed */
        for (int attempt = 0; attempt < 2; attempt++) {
            int reused = w->fd >= 0;
            if (w->fd < 0 && do_connect(w) != 0)
                break;
            if (send_all(w->fd, w->req, rl) == 0)
                status = read_response(w, &must_close, &bs, &bl);
            if (status > 0)
                break;
            int stale = reused && w->buflen == 0;
            drop_conn(w);
            if (!stale)
                break;
        }
        double t1 = now_s();
        w->requests++;
        if (status <= 0) {
            w->errors++;
            w->transport_errors++;
            drop_conn(w);
            /* don't spin on a dead server */
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            continue;
        }
        record(w, t1 - t0);
        if (status / 100 >= 1 && status / 100 <= 5)
            w->status_counts[status / 100]++;
        if (status != 200) {
            w->errors++;
            if (g_verbose && atomic_fetch_add(&g_printed_err, 1) == 0)
                fprintf(stderr, "loadgen: first error: HTTP %d: %.*s\n", status,
                        (int)(bl > 600 ? 600 : bl), w->buf + bs);
        }
        consume(w, bs + bl);
        if (must_close)
            drop_conn(w);
    }
    drop_conn(w);
    return NULL;
}

/* ---- main ------------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999); /* nearest rank */
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1] / 1000.0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: loadgen --port P [options]\n"
            "  -h, --host IP          server address (127.0.0.1)\n"
            "  -p, --port P           server port (required)\n"
            "  -P, --path PATH        request path (/)\n"
            "  -c, --connections N    concurrent keep-alive connections, one thread each (1)\n"
            "  -d, --duration S       run for S seconds\n"
            "  -n, --requests M       stop after M requests in all\n"
            "  -b, --body TEMPLATE    request body; {n} becomes a counter value\n"
            "  -T, --content-type CT  Content-Type (application/x-www-form-urlencoded; charset=utf-8)\n"
            "  -s, --counter-start K  first {n} value (0)\n"
            "  -t, --timeout S        per-request socket timeout (10)\n"
            "  -r, --region R         region in the credential scope (us-east-1)\n"
            "  -S, --service S        service in the credential scope (rds)\n"
            "  -H, --header 'K: V'    extra header (repeatable, 16 max)\n"
            "  -l, --label TEXT       label printed in the RESULT line\n"
            "  -v, --verbose          print the first non-200 response body\n"
            "At least one of --duration and --requests is required (both: whichever comes first).\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'h' },     { "port", required_argument, NULL, 'p' },
        { "path", required_argument, NULL, 'P' },     { "connections", required_argument, NULL, 'c' },
        { "duration", required_argument, NULL, 'd' }, { "requests", required_argument, NULL, 'n' },
        { "body", required_argument, NULL, 'b' },     { "counter-start", required_argument, NULL, 's' },
        { "timeout", required_argument, NULL, 't' },  { "region", required_argument, NULL, 'r' },
        { "service", required_argument, NULL, 'S' },  { "header", required_argument, NULL, 'H' },
        { "label", required_argument, NULL, 'l' },    { "verbose", no_argument, NULL, 'v' },
        { "content-type", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 1 },             { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "h:p:P:c:d:n:b:s:t:r:S:H:l:vT:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': g_host = optarg; break;
        case 'p': g_port = atoi(optarg); break;
        case 'P': g_path = optarg; break;
        case 'c': g_conns = atoi(optarg); break;
        case 'd': g_duration = atof(optarg); break;
        case 'n': g_max_requests = atol(optarg); break;
        case 'b': g_body_tmpl = optarg; break;
        case 's': g_counter_start = atol(optarg); break;
        case 't': g_timeout = atof(optarg); break;
        case 'r': g_region = optarg; break;
        case 'S': g_service = optarg; break;
        case 'H':
            if (g_n_extra < 16)
                g_extra_headers[g_n_extra++] = optarg;
            break;
        case 'l': g_label = optarg; break;
        case 'v': g_verbose = 1; break;
        case 'T': g_content_type = optarg; break;
        case 1: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (g_port <= 0 || g_port > 65535 || g_conns < 1 || g_conns > MAX_CONNS ||
        (g_duration <= 0 && g_max_requests <= 0) || g_duration > 3600 || g_timeout <= 0) {
        usage(stderr);
        return 2;
    }
    build_fixed_head();
    atomic_store(&g_counter, g_counter_start);
    worker *ws = calloc((size_t)g_conns, sizeof *ws);
    if (!ws)
        die("out of memory");
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double d = g_duration > 0 ? g_duration : 0;
    g_deadline.tv_sec = t.tv_sec + (time_t)d;
    g_deadline.tv_nsec = t.tv_nsec + (long)((d - (double)(long)d) * 1e9);
    if (g_deadline.tv_nsec >= 1000000000L) {
        g_deadline.tv_sec++;
        g_deadline.tv_nsec -= 1000000000L;
    }
    double start = now_s();
    for (int i = 0; i < g_conns; i++) {
        ws[i].idx = i;
        if (pthread_create(&ws[i].tid, NULL, run_worker, &ws[i]) != 0)
            die("pthread_create failed");
    }
    for (int i = 0; i < g_conns; i++)
        pthread_join(ws[i].tid, NULL);
    double elapsed = now_s() - start;

    long req = 0, err = 0, terr = 0, conn = 0, bytes = 0, sc[6] = { 0 };
    size_t nl = 0;
    for (int i = 0; i < g_conns; i++) {
        req += ws[i].requests;
        err += ws[i].errors;
        terr += ws[i].transport_errors;
        conn += ws[i].connects;
        bytes += ws[i].bytes_in;
        nl += ws[i].nlat;
        for (int k = 1; k < 6; k++)
            sc[k] += ws[i].status_counts[k];
    }
    uint32_t *all = malloc((nl ? nl : 1) * sizeof *all);
    if (!all)
        die("out of memory");
    size_t o = 0;
    for (int i = 0; i < g_conns; i++) {
        memcpy(all + o, ws[i].lat_us, ws[i].nlat * sizeof *all);
        o += ws[i].nlat;
    }
    qsort(all, nl, sizeof *all, cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < nl; i++)
        sum += all[i];
    double rps = elapsed > 0 ? (double)req / elapsed : 0;
    double p50 = pct(all, nl, 50), p90 = pct(all, nl, 90), p99 = pct(all, nl, 99);
    double mx = nl ? all[nl - 1] / 1000.0 : 0, mean = nl ? sum / (double)nl / 1000.0 : 0;

    printf("%s%sconnections %d, %.2f s, %ld requests, %ld errors (%ld transport), %ld connects\n",
           g_label, *g_label ? ": " : "", g_conns, elapsed, req, err, terr, conn);
    printf("  status: 2xx %ld, 3xx %ld, 4xx %ld, 5xx %ld\n", sc[2], sc[3], sc[4], sc[5]);
    printf("  throughput: %.1f req/s, %.1f MB/s in, %.0f bytes/response\n", rps,
           elapsed > 0 ? (double)bytes / elapsed / 1e6 : 0, req - terr > 0 ? (double)bytes / (double)(req - terr) : 0);
    printf("  latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", mean, p50, p90, p99, mx);
    printf("RESULT label=%s conns=%d secs=%.3f requests=%ld errors=%ld transport_errors=%ld connects=%ld "
           "rps=%.1f mean_ms=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f bytes_per_resp=%.0f\n",
           *g_label ? g_label : "-", g_conns, elapsed, req, err, terr, conn, rps, mean, p50, p90, p99, mx,
           req - terr > 0 ? (double)bytes / (double)(req - terr) : 0);
    for (int i = 0; i < g_conns; i++) {
        free(ws[i].lat_us);
        free(ws[i].buf);
        free(ws[i].req);
    }
    free(ws);
    free(all);
    return err > 0 ? 1 : 0;
}
