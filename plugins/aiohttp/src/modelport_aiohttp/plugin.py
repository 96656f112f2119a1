"""Entry point (group ``modelport``, name ``aiohttp``): registers the transport by name.

The transport is named as a string so that loading this plugin imports nothing but this
module: aiohttp is imported the first time an ``LLM`` chooses ``transport="aiohttp"``, so
``modelport plugins``, an ``LLM`` on another transport and ``import modelport`` never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport import hookimpl


@hookimpl
def register_transports(register: Callable[..., None]) -> None:
    register("modelport_aiohttp._transport:AiohttpTransport", name="aiohttp")
