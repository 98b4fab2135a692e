// test_topology.c — the plain topology view built from synthetic, XML and real topologies,
// restriction, and the strict PU-list parser. Expected counts and index lists are written
// out by hand from the synthetic descriptions (hwloc numbers synthetic PUs 0..n-1 in order).
#include "error.h"
#include "topology.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_main.h"
#include <hwloc/export.h>

static topology *synth(const char *desc) {
    topology *t = topology_load_synthetic(desc);
    if (!t) fail_msg("loading '%s': %s", desc, w2s_error_message());
    return t;
}

// ---- synthetic shapes

static void test_two_packages(void **state) {
    topology *t = synth("pack:2 [numa] core:8 pu:2");
    assert_false(t->this_system);
    assert_int_equal(t->n_packages, 2);
    assert_int_equal(t->n_nodes, 2);
    assert_int_equal(t->n_cores, 16);
    assert_int_equal(t->n_pus, 32);
    for (int c = 0; c < 16; c++) {
        assert_int_equal(t->cores[c].package, c / 8);
        assert_int_equal(t->cores[c].node, c / 8);
        assert_int_equal(t->cores[c].n_pus, 2);
        assert_int_equal(t->pus[t->cores[c].pu_first], 2 * c);
        assert_int_equal(t->pus[t->cores[c].pu_first + 1], 2 * c + 1);
    }
    for (int n = 0; n < 2; n++) {
        assert_int_equal(t->nodes[n].os_index, n);
        assert_int_equal(t->nodes[n].n_cores, 8);
        for (int i = 0; i < 8; i++) assert_int_equal(t->nodes[n].cores[i], 8 * n + i);
    }
    topology_destroy(t);
}

static void test_four_nodes_smt(void **state) {
    topology *t = synth("numa:4 core:4 pu:2");
    assert_int_equal(t->n_nodes, 4);
    assert_int_equal(t->n_cores, 16);
    assert_int_equal(t->n_pus, 32);
    for (int n = 0; n < 4; n++) {
        assert_int_equal(t->nodes[n].n_cores, 4);
        assert_int_equal(t->nodes[n].cores[0], 4 * n);
    }
    topology_destroy(t);
}

static void test_caches_and_memory(void **state) {
    topology *t = synth("numa:1(memory=1073741824) l3:1(size=33554432) l2:4(size=1048576) l1d:1(size=49152) "
                        "core:1 pu:2");
    assert_int_equal(t->n_cores, 4);
    assert_int_equal(t->nodes[0].memory_bytes, 1073741824ull);
    for (int c = 0; c < 4; c++) {
        assert_int_equal(t->cores[c].l1d_bytes, 49152);
        assert_int_equal(t->cores[c].l2_bytes, 1048576);
        assert_int_equal(t->cores[c].l3_bytes, 33554432);
        assert_int_equal(t->cores[c].l3_sharing, 4);
    }
    topology_destroy(t);
}

static void test_bad_synthetic(void **state) {
    assert_null(topology_load_synthetic("pack:2 widget:3"));
    assert_non_null(strstr(w2s_error_message(), "widget:3"));
    assert_null(topology_load_synthetic(""));
    assert_null(topology_load_xml("/nonexistent/topo.xml"));
    assert_non_null(strstr(w2s_error_message(), "/nonexistent/topo.xml"));
}

// ---- restriction and XML (unequal nodes)

static void test_restrict_unequal(void **state) {
    topology *t = synth("numa:2 core:4 pu:1");
    assert_int_equal(topology_restrict(t, "0-4"), 0);
    assert_int_equal(t->n_cores, 5);
    assert_int_equal(t->n_nodes, 2);
    assert_int_equal(t->nodes[0].n_cores, 4);
    assert_int_equal(t->nodes[1].n_cores, 1);
    assert_int_equal(t->nodes[1].cores[0], 4);
    assert_non_null(strstr(t->source, "restricted to PUs 0-4"));
    // A failed restriction leaves the view as it was.
    assert_int_equal(topology_restrict(t, "7"), -1);
    assert_non_null(strstr(w2s_error_message(), "PU 7"));
    assert_int_equal(t->n_cores, 5);
    topology_destroy(t);
}

static void test_xml_roundtrip(void **state) {
    topology *t = synth("pack:2 [numa] core:3 pu:2");
    assert_int_equal(topology_restrict(t, "0-7"), 0); // node 0: 3 cores, node 1: 1 core
    char path[] = "/tmp/w2s_test_topology_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hwloc_topology_export_xml(t->hw, path, 0), 0);
    topology *x = topology_load_xml(path);
    unlink(path);
    assert_non_null(x);
    assert_false(x->this_system);
    assert_int_equal(x->n_packages, 2);
    assert_int_equal(x->n_nodes, 2);
    assert_int_equal(x->n_cores, 4);
    assert_int_equal(x->n_pus, 8);
    assert_int_equal(x->nodes[0].n_cores, 3);
    assert_int_equal(x->nodes[1].n_cores, 1);
    assert_int_equal(x->pus[x->cores[3].pu_first], 6);
    topology_destroy(x);
    topology_destroy(t);
}

// ---- PU lists

static void test_cpulist(void **state) {
    topology *t = synth("core:8 pu:2");
    hwloc_bitmap_t s = topology_parse_cpulist(t, "0-3,8,15");
    assert_non_null(s);
    assert_int_equal(hwloc_bitmap_weight(s), 6);
    assert_true(hwloc_bitmap_isset(s, 8));
    assert_true(hwloc_bitmap_isset(s, 15));
    hwloc_bitmap_free(s);
    const char *bad[] = {"3-1", "0,,1", "a", "0-", "-2", " 1", "1 ", "1,", "0-3;8", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(topology_parse_cpulist(t, bad[i]));
        if (!strstr(w2s_error_message(), "bad cpuset")) fail_msg("'%s': %s", bad[i], w2s_error_message());
    }
    assert_null(topology_parse_cpulist(t, "0-16"));
    assert_non_null(strstr(w2s_error_message(), "PU 16"));
    assert_null(topology_parse_cpulist(t, ""));
    unsigned pus[] = {0, 2, 4, 5, 6, 7, 9};
    char buf[64];
    topology_format_pus(buf, sizeof buf, pus, 7);
    assert_string_equal(buf, "0,2,4-7,9");
    topology_destroy(t);
}

// ---- this machine

static void test_this_system(void **state) {
    topology *t = topology_load_this_system();
    if (!t) fail_msg("%s", w2s_error_message());
    assert_true(t->this_system);
    assert_true(t->n_cores >= 1);
    assert_true(t->n_pus >= t->n_cores);
    int sum = 0;
    for (int n = 0; n < t->n_nodes; n++) sum += t->nodes[n].n_cores;
    assert_int_equal(sum, t->n_cores);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    topology_print(f, t);
    fclose(f);
    assert_non_null(strstr(buf, "this machine"));
    assert_non_null(strstr(buf, "node "));
    free(buf);
    topology_destroy(t);
}

W2S_TEST_MAIN(NULL, NULL, test_two_packages, test_four_nodes_smt, test_caches_and_memory, test_bad_synthetic,
              test_restrict_unequal, test_xml_roundtrip, test_cpulist, test_this_system)
