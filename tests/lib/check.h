/* check.h: the tiny test harness. A test file defines cases `static void test_x__y(void)`,
 * lists them in a TESTS table, and calls check_main(). A single case runs by name:
 * ./test_rules test_rules__identifier. Failures print file:line and continue the case. */
#ifndef RDSLOCAL_CHECK_H
#define RDSLOCAL_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_case_failed;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    check_failures++; check_case_failed = 1; } } while (0)

#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); \
    if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) { \
        fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
        check_failures++; check_case_failed = 1; } } while (0)

#define CHECK_INT(got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
    if (g_ != w_) { fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, \
        #got, g_, w_); check_failures++; check_case_failed = 1; } } while (0)

/* rc must be -1 and err->code the expected code. */
#define CHECK_ERR(rc, errp, want) do { CHECK((rc) == -1); \
    if ((errp)->code != (want)) { fprintf(stderr, "%s:%d: error %s (%s), want %s\n", __FILE__, \
        __LINE__, rds_error_code_str((errp)->code), (errp)->message, rds_error_code_str(want)); \
        check_failures++; check_case_failed = 1; } } while (0)

#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
    if (!h_ || !strstr(h_, n_)) { fprintf(stderr, "%s:%d: \"%s\" not found in:\n%s\n", \
        __FILE__, __LINE__, n_, h_ ? h_ : "(null)"); check_failures++; check_case_failed = 1; } } while (0)

typedef struct check_case { const char *name; void (*fn)(void); } check_case;
#define TEST(fn) { #fn, fn }

/* Runs every case (or those named in argv), prints "N passed, N failed", returns the exit
 * code: non-zero if a case failed or a name in argv matches no case. */
static inline int check_main(int argc, char **argv, const check_case *cases, size_t n,
                             void (*setup)(void), void (*cleanup)(void))
{
    int passed = 0, failed = 0;
    for (int a = 1; a < argc; a++) { /* a name that matches no case is a typo: fail */
        bool known = false;
        for (size_t i = 0; i < n && !known; i++) known = strcmp(argv[a], cases[i].name) == 0;
        if (!known) { fprintf(stderr, "no test case named %s\n", argv[a]); failed++; }
    }
    for (size_t i = 0; i < n; i++) {
        if (argc > 1) {
            int want = 0;
            for (int a = 1; a < argc; a++) want |= strcmp(argv[a], cases[i].name) == 0;
            if (!want) continue;
        }
        check_case_failed = 0;
        if (setup) setup();
        cases[i].fn();
        if (cleanup) cleanup();
        if (check_case_failed) { failed++; fprintf(stderr, "FAIL %s\n", cases[i].name); }
        else { passed++; printf("ok   %s\n", cases[i].name); }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
#define CHECK_MAIN(cases, setup, cleanup) \
    int main(int argc, char **argv) { return check_main(argc, argv, cases, \
        sizeof(cases) / sizeof((cases)[0]), setup, cleanup); }

#endif
