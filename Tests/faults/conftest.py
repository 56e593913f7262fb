"""The fault cases' own fixture: a server started as soon as it is made."""

import pytest


@pytest.fixture
def server(scratch_apache):
    """Makes a private Apache from a site.conf text and starts it; every
    one is stopped and removed afterwards."""

    def make(site, prepare=None, **kwargs):
        s = scratch_apache(site, **kwargs)
        if prepare:
            prepare(s)
        return s.start()

    return make
