"""The part of ``ProviderConformance`` every group of checks shares.

Collection reads the subclass's ``conformance`` attribute (``pytest_generate_tests`` is
called by pytest on the class), and an autouse fixture applies the configured environment
and the capability skips to every check. Checks reach the provider only through ``self.conf``
and the helpers here, so each one reads as what it asserts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from ._collect import parametrize, property_check, requires
from ._config import Conformance
from ._decode import body_answer, stream_answer

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from ...provider import Response
    from ._recordings import Case

__all__ = ["SuiteBase"]


class SuiteBase:
    """Shared state and helpers; see ``ProviderConformance``."""

    conformance: ClassVar[Conformance]
    examples: int = 25

    @classmethod
    def _conf(cls) -> Conformance:
        conf = getattr(cls, "conformance", None)
        if not isinstance(conf, Conformance):
            raise TypeError(
                f"{cls.__qualname__} must set `conformance = Conformance(provider=..., "
                "recordings=..., model=...)` (modelport.testing.conformance)"
            )
        return conf

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        parametrize(metafunc, self._conf())

    @pytest.fixture(autouse=True)
    def _conformance_setup(
        self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        conf = self._conf()
        for name, value in conf.env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        needed: frozenset[str] = getattr(request.function, "_conformance_needs", frozenset())
        reason = conf.lacks(needed)
        if reason:
            pytest.skip(reason)
        option = request.config.getoption("conformance_max_examples", default=None)
        self.examples = int(option) if option else conf.max_examples

    # -- helpers ------------------------------------------------------------------------------

    @property
    def conf(self) -> Conformance:
        return self._conf()

    def answer(self, case: Case) -> Response:
        """The recording decoded as a whole: streamed (one chunk) or parsed."""
        if case.kind == "stream":
            return stream_answer(self.conf, case)[1]
        return body_answer(self.conf, case)

    def primary(self, kind: str, *, with_text: bool = False) -> Case:
        """The first recording of ``kind`` this provider can serve (for the checks that need
        one answer to put behind a server), else a skip naming what to record."""
        conf = self.conf
        fallback: Case | None = None
        for case in conf.cases():
            if case.kind != kind or conf.lacks(requires(conf, case)):
                continue
            if not with_text:
                return case
            fallback = fallback or case
            try:
                if self.answer(case).text:
                    return case
            except Exception:  # a recording that does not decode fails its own checks
                continue
        if fallback is not None:
            return fallback
        what = {"stream": "streamed", "response": "non-streamed"}.get(kind, kind)
        pytest.skip(f"no usable {what} recording in {', '.join(map(str, conf.folders))}")

    def given(
        self, *strategies: SearchStrategy[Any]
    ) -> Callable[[Callable[..., None]], Callable[[], None]]:
        """``@given`` bounded by ``examples`` (see ``property_check``)."""
        return property_check(self.examples, *strategies)
