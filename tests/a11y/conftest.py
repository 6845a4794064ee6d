"""The a11y tests judge the shells against the same `yiwang serve --demo` the shell tests use."""

from tests.shells.conftest import demo

__all__ = ["demo"]
