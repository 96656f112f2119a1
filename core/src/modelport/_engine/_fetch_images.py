"""Images for the model's limits: checked against its profile, remote URLs fetched when needed.

A provider whose API takes no image URL (Claude on Bedrock) declares ``image_urls=False`` in
its ``ModelProfile``; the core then fetches each remote image itself, as ``Send`` and chunk
reads of the call's own program, so the fetch runs on the call's transport, under its
timeouts (its total budget counts from before the fetch) and its abort signal, sync and async
alike. The body is bounded as it arrives (the profile's ``max_image_bytes``, else the global
bound), must be an image by its bytes, and replaces the URL in a copy of the request: the
caller's messages are never changed. The cache key is built from that copy, so it holds a
hash of the fetched bytes (a changed image is a new key), never the bytes themselves.

Every image is also checked against the profile's ``max_image_bytes`` and ``max_image_side``
before any request: a ``ConfigurationError`` naming the image and the model.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from .. import _images
from .._contract import ModelProfile
from .._errors import ConfigurationError, LLMError, ModelRequestError
from .._host._hook_calls import plugin_failure
from .._http._timeouts import Timeouts, label_timeout, pre_header_timeouts
from .._logs import safe_url
from .._messages import Message, messages_have_images
from .._parts import ImagePart, TextPart
from .._request import Request
from .._wire import WireRequest
from ._abort import Aborted
from ._actions import Close, NextChunk, OpenChunks, ReadBody, Send
from ._call import Call
from ._call_setup import CallOptions, CallSetup
from ._program import Program, call_program

__all__ = ["MAX_REDIRECTS", "imaged_call", "imaged_program"]

MAX_REDIRECTS = 5
"""Redirects followed per image (http and https only); one more is an error."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
Fetched = dict[str, ImagePart]


@dataclass(slots=True)
class _Clock:
    """The deadlines a fetch reads under: the call's timeouts, from the call's start."""

    timeouts: Timeouts
    started: float


def imaged_program(
    setup: CallSetup, request: Request, opts: CallOptions, streaming: bool
) -> Program:
    """``call_program`` for ``request``, after its images are checked and, for a provider that
    takes no URLs, fetched. Without a remote image to fetch, the call is built at once (a
    request the provider cannot build fails here, as before)."""
    if not messages_have_images(
        request.messages
    ):  # the common case: no profile is read (nor the config)
        return call_program(Call(setup, request, opts), streaming)
    profile = _profile(setup, request.model)
    _check_inline(request, profile, setup.provider.name)
    if not _remote_urls(request, profile):
        return call_program(Call(setup, request, opts), streaming)
    return _fetch_then_call(setup, request, opts, streaming)


def _fetch_then_call(
    setup: CallSetup, request: Request, opts: CallOptions, streaming: bool
) -> Program:
    call = yield from imaged_call(setup, request, opts, {})
    return (yield from call_program(call, streaming))


def imaged_call(
    setup: CallSetup, request: Request, opts: CallOptions, fetched: Fetched
) -> Generator[Any, Any, Call]:
    """The ``Call`` for ``request`` with its remote images fetched (those in ``fetched``, a
    tool loop's memo across turns, are not fetched again). An abort during a fetch gives a
    call that is never sent: its program meets the abort at its first wait and answers
    ``stop_reason="aborted"`` like any aborted call."""
    started = time.perf_counter()
    if not messages_have_images(request.messages):
        return Call(setup, request, opts)
    profile = _profile(setup, request.model)
    _check_inline(request, profile, setup.provider.name)
    clock = _Clock(opts.timeouts or setup.timeouts, started)
    limit = _images.max_image_bytes()  # the user's bound, and the model's when lower
    if profile.max_image_bytes is not None:
        limit = min(limit, profile.max_image_bytes)
    try:
        for url in _remote_urls(request, profile):
            if url not in fetched:
                part = yield from _fetch(setup, url, clock, limit)
                _check_part(part, profile, setup.provider.name, f"the image at {safe_url(url)}")
                fetched[url] = part
    except LLMError as err:
        err.provider = err.provider or setup.provider.name
        err.model = err.model or request.model
        raise
    except Aborted:
        call = Call(setup, _inlined(request, fetched), opts.replaced(cache="never"))
    else:
        call = Call(setup, _inlined(request, fetched), opts)
    call.started = started  # the call's budget includes its fetches
    return call


# -- the profile and the checks ---------------------------------------------------------------


def _profile(setup: CallSetup, model: str) -> ModelProfile:
    """The layered profile of the ``LLM``'s own model, else the provider's table for ``model``."""
    provider = setup.provider
    resolved = provider.settings.resolved_profile
    try:
        if resolved is not None and model == provider.settings.model:
            return resolved()
        return provider.profile(model)
    except LLMError:
        raise
    except Exception as exc:
        raise plugin_failure(ConfigurationError, setup.plugin, "profile", exc) from exc


def _images_of(request: Request) -> Generator[ImagePart, None, None]:
    for message in request.messages:
        if isinstance(message.content, list):
            for part in message.content:
                if isinstance(part, ImagePart):
                    yield part


def _remote_urls(request: Request, profile: ModelProfile) -> list[str]:
    """The remote image URLs to fetch, once each, in order (none for a provider taking URLs)."""
    if profile.image_urls is not False:
        return []
    return list(dict.fromkeys(p.url for p in _images_of(request) if p.url is not None))


def _check_inline(request: Request, profile: ModelProfile, provider: str) -> None:
    if profile.max_image_bytes is None and profile.max_image_side is None:
        return
    for n, part in enumerate(_images_of(request), 1):
        if part.data is not None:
            _check_part(part, profile, provider, f"image {n} of the request")


def _check_part(part: ImagePart, profile: ModelProfile, provider: str, what: str) -> None:
    if part.data is not None:
        _images.check_limits(
            part.data, profile.max_image_bytes, profile.max_image_side, what, provider
        )


def _inlined(request: Request, fetched: Fetched) -> Request:
    """A copy of ``request`` with each fetched URL replaced by its bytes (an image not fetched,
    after an abort, by a note); the caller's messages and parts are left as they were."""
    messages: list[Message] = []
    for message in request.messages:
        content = message.content
        if not isinstance(content, list) or not any(
            isinstance(p, ImagePart) and p.url is not None for p in content
        ):
            messages.append(message)
            continue
        parts: list[Any] = []
        for p in content:
            if isinstance(p, ImagePart) and p.url is not None:
                inline = fetched.get(p.url)
                if inline is None:
                    parts.append(TextPart(text=f"[image not fetched: {safe_url(p.url)}]"))
                else:
                    parts.append(inline.model_copy(update={"detail": p.detail}))
            else:
                parts.append(p)
        messages.append(message.model_copy(update={"content": parts}))
    return request.model_copy(update={"messages": messages})


# -- one fetch ----------------------------------------------------------------------------------


def _fetch(setup: CallSetup, url: str, clock: _Clock, limit: int) -> Generator[Any, Any, ImagePart]:
    """GET ``url`` (following at most ``MAX_REDIRECTS``), its body bounded by ``limit``."""
    shown = safe_url(url)
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        wire = WireRequest("GET", target, {"Accept": "image/*", "User-Agent": "modelport"})
        try:
            raw = yield Send(wire, pre_header_timeouts(clock.timeouts))
        except ModelRequestError as err:
            raise _named(err, clock.timeouts, shown) from None
        if raw.status in _REDIRECTS:
            location = raw.headers.get("location")
            yield Close(raw)
            if not location:
                raise ConfigurationError(
                    f"fetching the image {shown}: HTTP {raw.status} without a Location",
                    status=raw.status,
                )
            target = urljoin(target, location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise ConfigurationError(
                    f"fetching the image {shown}: redirected to a non-http(s) URL"
                )
            continue
        if raw.status >= 300:
            yield ReadBody(raw, None)  # closes the response; its body is not the image
            raise ConfigurationError(
                f"fetching the image {shown}: HTTP {raw.status}", status=raw.status
            )
        data = yield from _bounded_body(raw, clock, limit, shown)
        try:
            return ImagePart.from_bytes(data, max_bytes=limit)
        except ConfigurationError as err:
            raise ConfigurationError(f"fetching the image {shown}: {err.message}") from None
    raise ConfigurationError(f"fetching the image {shown}: more than {MAX_REDIRECTS} redirects")


def _bounded_body(raw: Any, clock: _Clock, limit: int, shown: str) -> Generator[Any, Any, bytes]:
    """The body, read chunk by chunk; refused as soon as it passes ``limit`` (a declared
    ``Content-Length`` over it is refused before reading)."""
    declared = raw.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        yield Close(raw)
        raise _too_big(shown, int(declared), limit)
    handle = yield OpenChunks(raw, clock)
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = yield NextChunk(handle)
        except ModelRequestError as err:
            yield Close(handle)
            raise _named(err, clock.timeouts, shown) from None
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            yield Close(handle)
            raise _too_big(shown, size, limit, so_far=True)
        chunks.append(chunk)
    yield Close(handle)
    return b"".join(chunks)


def _too_big(shown: str, size: int, limit: int, *, so_far: bool = False) -> ConfigurationError:
    amount = f"over {limit} bytes after {size}" if so_far else f"{size} bytes"
    return ConfigurationError(
        f"fetching the image {shown}: the body is {amount}, over the {limit}-byte bound "
        "(the model profile's max_image_bytes, else MODELPORT_MAX_IMAGE_BYTES)"
    )


def _named(err: ModelRequestError, t: Timeouts, shown: str) -> ModelRequestError:
    """A transport failure (a timeout, a refused connection), saying which image it was."""
    err = label_timeout(err, t)
    err.message = f"fetching the image {shown}: {err.message}"
    err.args = (err.message,)
    return err
