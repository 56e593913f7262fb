import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# The real-Apache harness lives with the integration tests.
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

from apache import Apache  # noqa: E402


@pytest.fixture
def server():
    """Makes a private Apache from a site.conf text and starts it; every
    one is stopped and removed afterwards."""
    made = []

    def make(site, prepare=None, **kwargs):
        s = Apache(site, **kwargs)
        made.append(s)
        if prepare:
            prepare(s)
        return s.start()

    yield make
    for s in made:
        s.cleanup()
