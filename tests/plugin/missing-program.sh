#!/bin/sh
# Stands in for a program CMake did not find, so the test fails with a clear message (CI installs it).
echo "FAIL: a program this test needs (node, python3 or thunderbird) is not installed; run scripts/setup.sh --test" >&2
exit 1
