"""The exact wire request an ``LLM`` would send, for tests of providers and shaping hooks.

A provider's ``build_request`` is only the first step: shaping hooks edit its output and the
core merges ``extra_body`` / ``extra_headers`` on top. Tests that check what reaches the wire
should look at the result of all of them, without a server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._engine._call import Call

if TYPE_CHECKING:
    from .._client import LLM
    from .._prepare import Prompt
    from .._wire import WireRequest

__all__ = ["shaped_request"]


def shaped_request(llm: LLM, prompt: Prompt, *, stream: bool = False, **kw: Any) -> WireRequest:
    """The request ``llm.complete(prompt, **kw)`` (or ``stream``) would send, before
    credentials are added: built by the provider, shaped by hooks, with the caller's extras."""
    prepared = llm._prepare(prompt, dict(kw), stream=stream)
    return Call(llm._engine.setup, prepared.request, prepared.opts).wire
