/* sv_proc.c: the supervisor's process primitives: fork/exec of postgres binaries (as the
 * unprivileged pg user when rdslocal runs as root), waiting and reaping, and /proc
 * inspection (children of a postmaster, every process working in a directory).
 * Called from any supervisor thread. Children are only ever reaped by pid
 * (waitpid(pid, ...)), never waitpid(-1), so other code's children are left alone.
 * Between fork and exec the child only makes async-signal-safe calls: everything it
 * needs (argv, fds, ids) is prepared by the parent. */
#include "sv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void sv__sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

int64_t sv__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The one fork/exec path: out, errfd and in are the child's stdout, stderr and stdin. */
static pid_t spawn3(const sv_supervisor *sv, char *const argv[], int out, int errfd, int in, rds_error *err)
{
    bool drop = sv->as_root;
    uid_t uid = sv->pg_uid;
    gid_t gid = sv->pg_gid;

    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < 32; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        setsid(); /* terminal signals to rdslocal must not reach postgres */
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
            _exit(126);
        closefrom(3);
        if (drop && (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
            _exit(126);
        if (chdir("/") != 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int saved = errno;
    if (pid < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not start %s", argv[0]);
        return rds_detail(err, "fork: %s", strerror(saved));
    }
    return pid;
}

static pid_t spawn_fds(const sv_supervisor *sv, char *const argv[], int out, int in, rds_error *err)
{
    return spawn3(sv, argv, out, out, in, err);
}

pid_t sv__spawn_fds(const sv_supervisor *sv, char *const argv[], int out_fd, int err_fd, int in_fd, rds_error *err)
{
    return spawn3(sv, argv, out_fd, err_fd, in_fd, err);
}

pid_t sv__spawn(const sv_supervisor *sv, char *const argv[], const char *out_path, int in_fd,
                rds_error *err)
{
    int out = open(out_path ? out_path : "/dev/null",
                   out_path ? O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC : O_WRONLY | O_CLOEXEC, 0600);
    if (out < 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not start %s", argv[0]);
        return rds_detail(err, "open %s: %s", out_path ? out_path : "/dev/null", strerror(errno));
    }
    int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        close(out);
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not start %s", argv[0]);
        return rds_detail(err, "open /dev/null: %s", strerror(errno));
    }
    pid_t pid = spawn_fds(sv, argv, out, in, err);
    close(out);
    if (in_fd < 0)
        close(in);
    return pid;
}

const char *sv__status_str(int status, char *buf, size_t n)
{
    if (status < 0)
        snprintf(buf, n, "exit status unknown");
    else if (WIFEXITED(status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "wait status %d", status);
    return buf;
}

static int wait_child(pid_t pid, int *status)
{
    int st = -1;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            st = -1;
            break;
        }
    }
    *status = st;
    return 0;
}

int sv__run(const sv_supervisor *sv, char *const argv[], const char *out_path, int in_fd,
            int *status, rds_error *err)
{
    pid_t pid = sv__spawn(sv, argv, out_path, in_fd, err);
    if (pid < 0)
        return -1;
    return wait_child(pid, status);
}

int sv__capture(const sv_supervisor *sv, char *const argv[], char *buf, size_t n, rds_error *err)
{
    int fds[2];
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not run %s", argv[0]);
        return rds_detail(err, "pipe: %s", strerror(errno));
    }
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = in < 0 ? -1 : spawn_fds(sv, argv, fds[1], in, err);
    if (in < 0)
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not run %s: cannot open /dev/null", argv[0]);
    else
        close(in);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    size_t len = 0;
    for (;;) {
        char tmp[512];
        ssize_t r = read(fds[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r;
        if (len + take > n - 1)
            take = n - 1 - len;
        memcpy(buf + len, tmp, take);
        len += take;
    }
    buf[len] = '\0';
    close(fds[0]);
    int st;
    wait_child(pid, &st);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char sbuf[64];
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "%s failed", argv[0]);
        return rds_detail(err, "%s", sv__status_str(st, sbuf, sizeof sbuf));
    }
    return 0;
}

/* State letter from /proc/<pid>/stat and the ppid; 0 if the process does not exist. */
static char proc_stat(pid_t pid, pid_t *ppid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    char *p = strrchr(buf, ')'); /* comm may contain spaces and parens */
    char state = 0;
    int pp = 0;
    if (!p || sscanf(p + 1, " %c %d", &state, &pp) != 2)
        return 0;
    if (ppid)
        *ppid = pp;
    return state;
}

bool sv__pid_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    if (kill(pid, 0) != 0 && errno != EPERM)
        return false;
    char st = proc_stat(pid, NULL);
    return st != 0 && st != 'Z' && st != 'X';
}

static int scan_proc(bool (*match)(pid_t pid, const void *arg), const void *arg, int *out, int max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid_t pid = (pid_t)atoi(e->d_name);
        if (match(pid, arg))
            out[n++] = (int)pid;
    }
    closedir(d);
    return n;
}

static bool match_child(pid_t pid, const void *arg)
{
    pid_t pp = 0;
    char st = proc_stat(pid, &pp);
    return st != 0 && st != 'Z' && pp == *(const pid_t *)arg;
}

int sv__proc_children(pid_t ppid, int *out, int max)
{
    return scan_proc(match_child, &ppid, out, max);
}

static bool match_cwd(pid_t pid, const void *arg)
{
    const char *dir = arg;
    char path[64], cwd[SV_PATH];
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
    ssize_t r = readlink(path, cwd, sizeof cwd - 1);
    if (r <= 0)
        return false;
    cwd[r] = '\0';
    size_t dl = strlen(dir);
    return strncmp(cwd, dir, dl) == 0 && (cwd[dl] == '\0' || cwd[dl] == '/');
}

int sv__proc_by_cwd(const char *dir, int *out, int max)
{
    return scan_proc(match_cwd, dir, out, max);
}

bool sv__wait_gone(pid_t pid, bool is_child, int timeout_ms, int *status)
{
    int64_t deadline = sv__mono_ms() + timeout_ms;
    if (status)
        *status = -1;
    for (int i = 0;; i++) {
        if (is_child) {
            int st;
            pid_t r = waitpid(pid, &st, WNOHANG);
            if (r == pid) {
                if (status)
                    *status = st;
                return true;
            }
            if (r < 0 && errno == ECHILD) /* already reaped (SIGCHLD ignored) */
                return true;
        } else if (!sv__pid_alive(pid)) {
            return true;
        }
        if (sv__mono_ms() >= deadline)
            return false;
        sv__sleep_ms(i < 50 ? 1 : 5);
    }
}

void sv__kill_all_under(const char *dir)
{
    int pids[256];
    int64_t deadline = sv__mono_ms() + 5000;
    for (;;) {
        int n = sv__proc_by_cwd(dir, pids, 256);
        int alive = 0;
        for (int i = 0; i < n; i++) {
            if (sv__pid_alive(pids[i])) {
                kill(pids[i], SIGKILL);
                alive++;
            }
        }
        if (!alive || sv__mono_ms() >= deadline)
            return;
        sv__sleep_ms(2);
    }
}

bool sv__pg_can_traverse(const sv_supervisor *sv, const char *path)
{
    if (!sv->as_root)
        return access(path, X_OK) == 0;
    uid_t uid = sv->pg_uid;
    gid_t gid = sv->pg_gid;
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
            _exit(2);
        _exit(access(path, X_OK) == 0 ? 0 : 1);
    }
    if (pid < 0)
        return false;
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return false;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
