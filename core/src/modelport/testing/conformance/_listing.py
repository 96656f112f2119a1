"""The model listing a provider walks: ``models_request``, then ``next_models_request`` after
each answer, until it says the listing is complete.

Without ``paged_listing`` the walk is one request answered by the first model-list recording
(a provider that pages is then held to stopping after one page it was not told to follow).
With it, the model-list recordings are the pages in order: recording ``i`` answers the
``i``-th request, and the provider must ask for exactly as many as were recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from ...provider import WireRequest
from ._collect import requires

if TYPE_CHECKING:
    from ._base import SuiteBase
    from ._config import Conformance
    from ._recordings import Case

__all__ = ["listing_pages", "target_of", "walk_listing"]


def target_of(url: str) -> str:
    """The request target (path and query) a server sees for ``url``."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def listing_pages(suite: SuiteBase) -> list[Case]:
    """The recorded pages, in order (the first one only unless ``paged_listing``)."""
    conf = suite.conf
    pages = [c for c in conf.cases() if c.kind == "models" and not conf.lacks(requires(conf, c))]
    if not pages:
        pytest.skip(f"no usable model-list recording in {', '.join(map(str, conf.folders))}")
    return pages if "paged_listing" in conf.declared else pages[:1]


def walk_listing(conf: Conformance, pages: list[Case]) -> list[tuple[WireRequest, Case]]:
    """Each request of the walk with the page that answers it; fails when the provider asks
    for a page that was not recorded, or stops before the last recorded one."""
    provider = conf.make(pages[0])
    wire = provider.models_request()
    assert wire is not None, "model_listing declared, but models_request() returned None"
    walked: list[tuple[WireRequest, Case]] = []
    paged = "paged_listing" in conf.declared
    for i, page in enumerate(pages):
        walked.append((wire, page))
        following = provider.next_models_request(wire, page.body())
        last = i == len(pages) - 1
        if following is None:
            assert last or not paged, (
                f"next_models_request stopped after {page.name}, but {len(pages) - i - 1} more "
                "recorded page(s) follow it (paged_listing: the recordings are the pages in order)"
            )
            return walked
        if last or not paged:
            what = "after the last recorded page" if paged else "(paged_listing not declared)"
            raise AssertionError(
                f"next_models_request asked for {following.url} {what}: record that page and "
                "declare paged_listing, or make the listing end"
            )
        assert (following.method, following.url) != (wire.method, wire.url), (
            f"next_models_request repeats the request it was given ({wire.url}): the walk "
            "would never end"
        )
        wire = following
    return walked
