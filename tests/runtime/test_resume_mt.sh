# test_resume_mt.sh — test_resume.sh with 2 OpenMP threads: results are bit-identical for a
# given thread count, so a killed and resumed 2-thread run matches an uninterrupted one.
W2S_TEST_THREADS=2 exec bash "$(dirname "$0")/test_resume.sh"
