"""The console's browser tests run against the README's demo (tests/test_demo.py starts it)."""

from tests.test_demo import demo  # noqa: F401
