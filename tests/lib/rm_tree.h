/* rm_tree.h: `rm -r` for test temp dirs (symlinks are removed, never followed). Shared by
 * the api tests and the fuzz target, which each open an engine on a temp state dir. */
#ifndef RDSLOCAL_RM_TREE_H
#define RDSLOCAL_RM_TREE_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char child[4096];
        if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) < (int)sizeof child)
            rm_tree(child);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

#endif
