"""Model management as one-call functions for an ``LLM``, a base URL or an ``LMStudio``.

A script that loads one model before chatting should not have to build and close a client:
these make one for the call (and close it) unless given the caller's own, which stays open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, cast

import modelport as mp
from modelport.provider import ConfigurationError

from ._admin_args import load_args
from ._admin_client import LMStudio
from ._admin_replies import LoadedModel
from ._models import PROVIDER

__all__ = [
    "Target",
    "aload_model",
    "aloaded_context_length",
    "aunload_model",
    "aunload_others",
    "load_model",
    "loaded_context_length",
    "unload_model",
    "unload_others",
]

Target = mp.LLM | str | LMStudio


def _new_client(target: Target) -> LMStudio | None:
    """A new ``LMStudio`` for an ``LLM`` or a base URL; ``None`` for the caller's own."""
    if isinstance(target, LMStudio):
        return None
    if isinstance(target, str):
        return LMStudio(target)
    if isinstance(target, mp.LLM):
        return LMStudio.from_llm(target)
    raise ConfigurationError(
        "lmstudio: expected a modelport.LLM, a base URL or an LMStudio, "
        f"not {type(target).__name__}",
        provider=PROVIDER,
    )


@contextmanager
def _client(target: Target) -> Iterator[LMStudio]:
    """The ``LMStudio`` a function works with: the caller's own (left open) or a new one."""
    admin = _new_client(target)
    if admin is None:
        yield cast(LMStudio, target)
        return
    try:
        yield admin
    finally:
        admin.close()


@asynccontextmanager
async def _aclient(target: Target) -> AsyncIterator[LMStudio]:
    admin = _new_client(target)
    if admin is None:
        yield cast(LMStudio, target)
        return
    try:
        yield admin
    finally:
        await admin.aclose()


def load_model(target: Target, model: str | None = None, **options: Any) -> LoadedModel:
    """``LMStudio.load_model`` on ``target``: an ``LLM`` (its server, key and, by default, its
    model), a base URL, or an ``LMStudio``. Unknown option names are ``ConfigurationError``."""
    args = load_args(options)
    with _client(target) as admin:
        return admin.load_model(model, **args)


async def aload_model(target: Target, model: str | None = None, **options: Any) -> LoadedModel:
    args = load_args(options)
    async with _aclient(target) as admin:
        return await admin.aload_model(model, **args)


def unload_model(target: Target, instance_id: str | None = None) -> str:
    with _client(target) as admin:
        return admin.unload_model(instance_id)


async def aunload_model(target: Target, instance_id: str | None = None) -> str:
    async with _aclient(target) as admin:
        return await admin.aunload_model(instance_id)


def unload_others(target: Target, keep: str | Iterable[str] | None = None) -> list[str]:
    with _client(target) as admin:
        return admin.unload_others(keep)


async def aunload_others(target: Target, keep: str | Iterable[str] | None = None) -> list[str]:
    async with _aclient(target) as admin:
        return await admin.aunload_others(keep)


def loaded_context_length(target: Target, model: str | None = None) -> int | None:
    with _client(target) as admin:
        return admin.loaded_context_length(model)


async def aloaded_context_length(target: Target, model: str | None = None) -> int | None:
    async with _aclient(target) as admin:
        return await admin.aloaded_context_length(model)
