/* test_supervisor_untar.c: unit tests of the snapshot restore's ustar extractor
 * (engine/supervisor/sv_untar.c): archives built here byte by byte, fed in every split;
 * regular files and dirs extracted with their content and permission bits; names that
 * would leave the target dir, links and extension headers refused; an archive without its
 * end block refused. Temp dirs under /tmp. */
#include "check.h"
#include "../../engine/supervisor/sv_untar.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct tarbuf {
    unsigned char *p;
    size_t n;
} tarbuf;

static void add(tarbuf *t, const char *name, char type, unsigned mode, const char *data, size_t len)
{
    size_t blocks = 1 + (len + 511) / 512;
    t->p = realloc(t->p, t->n + blocks * 512);
    unsigned char *h = t->p + t->n;
    memset(h, 0, blocks * 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", mode);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011lo", (unsigned long)len);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    if (len)
        memcpy(h + 512, data, len);
    t->n += blocks * 512;
}

static void end(tarbuf *t)
{
    t->p = realloc(t->p, t->n + 1024);
    memset(t->p + t->n, 0, 1024);
    t->n += 1024;
}

static char g_dir[64];

static void mkdir_tmp(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/svuntar-XXXXXX");
    if (!mkdtemp(g_dir))
        exit(2);
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
}

/* Extracts t into a fresh dir fed `piece` bytes at a time; 0 or -1 (err filled). */
static int extract(const tarbuf *t, size_t piece, rds_error *err)
{
    mkdir_tmp();
    sv_untar *u = NULL;
    if (sv__untar_open(&u, g_dir, (uid_t)-1, 0, err) != 0)
        return -1;
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < t->n; off += piece)
        rc = sv__untar_feed(u, t->p + off, t->n - off < piece ? t->n - off : piece, err);
    if (rc == 0)
        rc = sv__untar_finish(u, err);
    sv__untar_free(u);
    return rc;
}

static const char *content(const char *rel)
{
    static char buf[2048];
    char p[256];
    snprintf(p, sizeof p, "%s/%s", g_dir, rel);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_supervisor_untar__extracts_in_any_split(void)
{
    char big[1500];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    tarbuf t = { 0 };
    add(&t, "./", '5', 0700, NULL, 0);
    add(&t, "./base/", '5', 0700, NULL, 0);
    add(&t, "./base/1", '0', 0600, big, strlen(big));
    add(&t, "./empty", '0', 0600, NULL, 0);
    add(&t, "PG_VERSION", '0', 0644, "15\n", 3);
    end(&t);
    size_t pieces[] = { 1, 7, 511, 512, 513, 100000 };
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        rds_error err = { 0 };
        CHECK_INT(extract(&t, pieces[i], &err), 0);
        CHECK_STR(content("base/1"), big);
        CHECK_STR(content("empty"), "");
        CHECK_STR(content("PG_VERSION"), "15\n");
        struct stat st;
        char p[256];
        snprintf(p, sizeof p, "%s/PG_VERSION", g_dir);
        CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600); /* owner bits only */
        rm_tmp();
    }
    free(t.p);
}

static void test_supervisor_untar__refuses_escapes_links_and_truncation(void)
{
    struct {
        const char *name;
        char type;
    } bad[] = { { "../evil", '0' }, { "/etc/evil", '0' }, { "a/../../evil", '0' }, { "link", '2' },
                { "hard", '1' },    { "pax", 'x' },       { "longname", 'L' },     { "dev", '3' } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tarbuf t = { 0 };
        add(&t, "a/", '5', 0700, NULL, 0);
        add(&t, bad[i].name, bad[i].type, 0600, "x", 1);
        end(&t);
        rds_error err = { 0 };
        CHECK_INT(extract(&t, 4096, &err), -1);
        CHECK_INT(err.code, RDS_E_INTERNAL_FAILURE);
        CHECK(access("/tmp/evil", F_OK) != 0);
        rm_tmp();
        free(t.p);
    }
    /* no end block; a cut inside a file; a corrupted header checksum */
    tarbuf t = { 0 };
    add(&t, "f", '0', 0600, "hello", 5);
    rds_error err = { 0 };
    CHECK_INT(extract(&t, 4096, &err), -1);
    rm_tmp();
    end(&t);
    tarbuf cut = { t.p, 512 + 3 };
    CHECK_INT(extract(&cut, 4096, &err), -1);
    rm_tmp();
    t.p[10] ^= 1;
    CHECK_INT(extract(&t, 4096, &err), -1);
    CHECK_CONTAINS(err.detail, "checksum");
    rm_tmp();
    free(t.p);
}

static const check_case cases[] = {
    TEST(test_supervisor_untar__extracts_in_any_split),
    TEST(test_supervisor_untar__refuses_escapes_links_and_truncation),
};

CHECK_MAIN(cases, NULL, NULL)
