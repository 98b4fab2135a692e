// fixture_file.h — test helper: write a fixture file into a fresh per-test temp directory.
// Tests generate their inputs (never download them); this keeps each fixture in its own
// mkdtemp directory so parallel ctest runs never collide. Failure here fails the test.
#ifndef W2S_TESTS_FIXTURE_FILE_H
#define W2S_TESTS_FIXTURE_FILE_H

#include <stddef.h>

// Writes len bytes of data to a new file named `name` in a fresh temp directory and returns
// its malloc'ed path (free it with fixture_file_remove). Calls cmocka's fail() on error.
char *fixture_file_write(const char *name, const void *data, size_t len);
// Writes a NUL-terminated string.
char *fixture_file_write_str(const char *name, const char *text);
// Returns a path (malloc'ed) for a file named `name` in a fresh temp directory, not created.
char *fixture_file_path(const char *name);
// Removes the file (if present) and its temp directory, and frees path.
void fixture_file_remove(char *path);

#endif
