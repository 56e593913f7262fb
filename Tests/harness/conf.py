"""Configuration text: the checked-in templates under apache/ filled in, and
the site snippets several suites write."""

import os
import re

from .env import REPO


def render(template, values):
    """apache/TEMPLATE with every @KEY@ replaced by values[KEY]; a
    placeholder left unfilled is an error."""
    with open(os.path.join(REPO, "apache", template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, value)
    left = re.findall(r"@[A-Z_]+@", text)
    assert not left, "unfilled placeholders in %s: %s" % (template, left)
    return text


# Lets Apache serve the libraries in a server's site folder.
SITE_ACCESS = """<Directory {site}>
    Require all granted
</Directory>
"""


def daemon_site(group, options, mount, library="{site}/libSwiftGateTestApp.so"):
    """One daemon group with `options`, mounted at `mount`, and access to
    the site folder."""
    return "SwiftGateDaemonProcess %s %s\nSwiftGateScriptAlias %s %s process-group=%s\n%s" % (
        group, options, mount, library, group, SITE_ACCESS)
