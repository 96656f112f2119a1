"""``ProviderConformance``: every check group in one class for a plugin's tests to subclass.

The groups are separate mixins only to keep each file about one subject; a plugin author
sees a single base class, and pytest collects every inherited ``test_*`` method on the
subclass, once per recording where a check runs over recordings.
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from ._checks_bodies import BodyChecks
from ._checks_errors import ErrorChecks
from ._checks_faults import FaultChecks
from ._checks_llm import LLMChecks
from ._checks_reports import ReportChecks
from ._checks_streams import StreamChecks
from ._checks_wire import WireChecks

__all__ = ["ProviderConformance"]


class ProviderConformance(
    StreamChecks, BodyChecks, ErrorChecks, WireChecks, LLMChecks, FaultChecks, ReportChecks
):
    """Subclass it in a test module and set ``conformance = Conformance(...)``; see the
    ``modelport.testing.conformance`` docstring for the checks and the recordings layout."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.conformance]
