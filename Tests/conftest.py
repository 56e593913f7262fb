"""What every pytest suite shares: the harness on sys.path, the error-log
check around every test, and the fixtures more than one suite uses. A
suite's own conftest.py keeps the fixtures only it uses."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import logs  # noqa: E402
from harness.apache import Apache  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "expect_log(*patterns): error lines the test provokes, each matched by a log number "
        "(SG00504, AH00561) or another part of the line; any other error-level line in a log the "
        "test's servers write fails it")


# The check (harness/logs.py): a test's declarations take effect as its
# setup begins; after the test body, the lines at level error or worse
# written since the last check, in every log watched, fail the test unless
# declared; what its teardown (servers stopping) writes is checked after
# it, as a teardown error. A test that failed already gets the lines in
# its report.

WHAT = {
    "call": "error-level log lines the test did not declare (pytest.mark.expect_log or "
            "harness.logs.expect_errors):\n",
    "teardown": "error-level log lines written after the test body (its servers stopping), not declared:\n",
}


def checking_logs(item, when):
    """The body of a hook wrapper: runs the phase, then the check."""
    try:
        result = yield
    except BaseException:
        found = logs.unexpected()
        if found:
            item.add_report_section(when, "error-log lines not declared", logs.describe(found))
        raise
    found = logs.unexpected()
    if found:
        pytest.fail(WHAT[when] + logs.describe(found), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    logs.begin_test(pattern for mark in item.iter_markers("expect_log") for pattern in mark.args)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from checking_logs(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    return (yield from checking_logs(item, "teardown"))


@pytest.fixture
def scratch_apache():
    """Servers a test configures itself; stopped and removed afterwards."""
    made = []

    def make(site, **kwargs):
        server = Apache(site, **kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        server.cleanup()
