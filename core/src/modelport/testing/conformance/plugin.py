"""The pytest plugin (entry point ``pytest11: modelport``): the suite's marker and option.

pytest imports this module at start-up in every environment where modelport is installed,
so it imports pytest and nothing else: no hypothesis, no provider code, no network. It also
asks pytest to rewrite the asserts of the check modules (not imported yet at this point), so a
failing check shows both sides of a comparison however modelport was installed.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_addoption", "pytest_configure"]

_CHECKS = (
    "_base",
    "_checks_bodies",
    "_checks_errors",
    "_checks_faults",
    "_checks_llm",
    "_checks_reports",
    "_checks_streams",
    "_checks_wire",
    "_compare",
    "_decode",
    "_listing",
)
pytest.register_assert_rewrite(*(f"{__package__}.{name}" for name in _CHECKS))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelport", "modelport provider conformance suite")
    group.addoption(
        "--conformance-max-examples",
        type=int,
        default=None,
        metavar="N",
        help="inputs per property check of modelport.testing.conformance (default: 25, or "
        "the Conformance(max_examples=...) of the class)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "conformance: a check of modelport's provider conformance suite "
        "(select with -m conformance, skip with -m 'not conformance')",
    )
