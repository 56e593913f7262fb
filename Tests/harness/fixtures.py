"""The C fixtures (fixtures/*.c): applications and a daemon host written
against swiftgate.h, so that what a Swift application would not do (bad
response fields, another ABI, a crash at start) can be provoked."""

import os
import subprocess

from .env import HEADER_DIR

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def build(source, output, *flags):
    """Compiles fixtures/SOURCE into OUTPUT with cc and extra flags;
    returns OUTPUT."""
    subprocess.run(["cc", "-O1", "-Wall", "-I", HEADER_DIR, "-o", output, *flags, os.path.join(FIXTURES, source)],
                   check=True, timeout=60)
    return output


def build_library(source, directory, name=None):
    """Compiles fixtures/SOURCE as a shared library into directory, named
    `name` or libSOURCE.so; returns its path."""
    return build(source, os.path.join(directory, name or "lib" + source[:-2] + ".so"), "-shared", "-fPIC")
