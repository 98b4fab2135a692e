// test_parallel_choose.c — protocol_parallel_choose, the choice `w2s run --parallel` makes
// (protocol.h): an explicit data or tasks is kept whatever the world; auto picks data for one
// rank, for fewer seeds than ranks and for a strong model over 1B parameters (checked in that
// order), tasks otherwise; each choice says why. Pure logic: no MPI, no model.
#include "protocol.h"

#include <stddef.h>
#include <string.h>

#include "test_main.h"

// gpt2 (124M) and a model just over the 1B-parameter line auto draws.
static const size_t small = 124000000, huge = 1000000001, line = 1000000000;

static void choice_is(protocol_parallel p, int world, size_t seeds, size_t params, protocol_parallel want,
                      const char *why_has) {
    const char *why = NULL;
    protocol_parallel got = protocol_parallel_choose(p, world, seeds, params, &why);
    if (got != want)
        fail_msg("choose(%s, world %d, %zu seeds, %zu params) = %s, want %s", protocol_parallel_name(p), world, seeds,
                 params, protocol_parallel_name(got), protocol_parallel_name(want));
    if (!why || !strstr(why, why_has))
        fail_msg("choose(%s, world %d, %zu seeds, %zu params): reason '%s' lacks '%s'", protocol_parallel_name(p), world,
                 seeds, params, why ? why : "(null)", why_has);
}

static void test_explicit_kept(void **state) {
    (void)state;
    // As asked, even where auto would choose the other way.
    choice_is(PROTOCOL_PARALLEL_DATA, 4, 8, small, PROTOCOL_PARALLEL_DATA, "as asked");
    choice_is(PROTOCOL_PARALLEL_TASKS, 4, 2, huge, PROTOCOL_PARALLEL_TASKS, "as asked");
    choice_is(PROTOCOL_PARALLEL_TASKS, 1, 3, small, PROTOCOL_PARALLEL_TASKS, "as asked");
}

static void test_auto_one_rank(void **state) {
    (void)state;
    choice_is(PROTOCOL_PARALLEL_AUTO, 1, 3, small, PROTOCOL_PARALLEL_DATA, "one rank");
    choice_is(PROTOCOL_PARALLEL_AUTO, 1, 1, huge, PROTOCOL_PARALLEL_DATA, "one rank");
}

static void test_auto_fewer_seeds(void **state) {
    (void)state;
    choice_is(PROTOCOL_PARALLEL_AUTO, 4, 3, small, PROTOCOL_PARALLEL_DATA, "fewer seeds");
    choice_is(PROTOCOL_PARALLEL_AUTO, 2, 1, small, PROTOCOL_PARALLEL_DATA, "fewer seeds");
    // Checked before the size: both hold, the seeds are named.
    choice_is(PROTOCOL_PARALLEL_AUTO, 4, 2, huge, PROTOCOL_PARALLEL_DATA, "fewer seeds");
}

static void test_auto_large_model(void **state) {
    (void)state;
    choice_is(PROTOCOL_PARALLEL_AUTO, 2, 4, huge, PROTOCOL_PARALLEL_DATA, "1B");
    choice_is(PROTOCOL_PARALLEL_AUTO, 2, 2, huge, PROTOCOL_PARALLEL_DATA, "1B");
}

static void test_auto_tasks(void **state) {
    (void)state;
    // A seed for every rank (exactly as many, or more) and a model up to the line itself.
    choice_is(PROTOCOL_PARALLEL_AUTO, 2, 2, small, PROTOCOL_PARALLEL_TASKS, "seed per rank");
    choice_is(PROTOCOL_PARALLEL_AUTO, 2, 4, small, PROTOCOL_PARALLEL_TASKS, "seed per rank");
    choice_is(PROTOCOL_PARALLEL_AUTO, 3, 4, line, PROTOCOL_PARALLEL_TASKS, "seed per rank");
}

static void test_names(void **state) {
    (void)state;
    assert_string_equal(protocol_parallel_name(PROTOCOL_PARALLEL_AUTO), "auto");
    assert_string_equal(protocol_parallel_name(PROTOCOL_PARALLEL_DATA), "data");
    assert_string_equal(protocol_parallel_name(PROTOCOL_PARALLEL_TASKS), "tasks");
}

W2S_TEST_MAIN(NULL, NULL, test_explicit_kept, test_auto_one_rank, test_auto_fewer_seeds, test_auto_large_model,
              test_auto_tasks, test_names)
