"""probes.py — where the Python tests find the small C programs they drive (tests/*/probe_*.c,
built with the tests under W2S_BUILD_DIR/tests): one lookup with one clear error for all."""
import os
import sys


def probe_path(name):
    """The path of the built probe program `name` (e.g. "probe_loss"); exits with a reason."""
    build = os.environ.get("W2S_BUILD_DIR")
    if not build:
        sys.exit("W2S_BUILD_DIR is not set (run through ctest)")
    path = os.path.join(build, "tests", name)
    if not os.path.exists(path):
        sys.exit(f"{path} not found: build the {name} target")
    return path
