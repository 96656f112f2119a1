"""``llm.model_info()``: the profile, with what the model's server reports about it.

Written once as a program of driver actions (``Send``, ``ReadBody``, ``Blocking``), so the
sync ``model_info`` and the async ``amodel_info`` run the same steps through the engine's two
drivers. The provider's ``profile_requests`` are tried in order: a 404/405/501 (no such
endpoint) moves to the next quietly, any other failure is logged and moves on too, and the
first answer parsed is the report. A server that reports nothing, or fails, never fails the
call: the result is then the static profile, with one WARNING on ``modelport.profiles``
naming the error (its class, status and message, scrubbed of credentials).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from .._contract import ModelProfile, ModelReport
from .._engine._actions import Blocking, ReadBody, Send
from .._errors import LLMError, LLMTimeoutError, ProviderConnectionError
from .._host._hook_calls import plugin_failure
from .._http._timeouts import pre_header_timeouts
from .._logs import safe_url
from ._resolve import hooked_profile, layered, user_overrides

if TYPE_CHECKING:
    from .._contract import Provider
    from .._engine._engine import Engine
    from .._wire import WireRequest

__all__ = ["model_info_program", "profiles_log"]

profiles_log = logging.getLogger("modelport.profiles")

_NO_ENDPOINT = (404, 405, 501)


def model_info_program(engine: Engine, provider_name: str, model: str) -> Generator[Any, Any, Any]:
    """Returns the ``ModelProfile``: the provider's table and the hooks, under the server's
    report, under the user's ``[profiles]`` overrides."""
    static = hooked_profile(engine.host, engine.setup.plugin, engine.provider, model)
    user = user_overrides(provider_name, model)
    report = yield from _report(engine, provider_name, model)
    profile: ModelProfile = layered(static, report, user)
    return profile


def _requests(engine: Engine, model: str) -> list[WireRequest]:
    try:
        return list(engine.provider.profile_requests(model))
    except LLMError:
        raise
    except Exception as exc:
        raise plugin_failure(LLMError, engine.setup.plugin, "profile_requests", exc) from exc


def _report(
    engine: Engine, provider_name: str, model: str
) -> Generator[Any, Any, ModelReport | None]:
    provider = engine.provider
    failures: list[str] = []
    for wire in _requests(engine, model):
        where = f"{wire.method} {safe_url(wire.url)}"
        try:
            report = yield from _ask(engine, provider, wire, model)
        except LLMError as err:
            err = err.scrubbed([*engine.setup.secrets, *_secrets(provider)])
            failures.append(f"{where}: {type(err).__name__}: {err.message}")
            if isinstance(err, ProviderConnectionError | LLMTimeoutError):
                break  # the next endpoint is on the same server
            continue
        if report is None:
            profiles_log.debug("%s %s: %s has no such endpoint", provider_name, model, where)
            continue
        profiles_log.debug("%s %s: %s reported %s", provider_name, model, where, sorted(report))
        return report
    if failures:
        profiles_log.warning(
            "%s %s: the server's model info is unavailable, using the static profile (%s)",
            provider_name,
            model,
            "; ".join(failures),
        )
    return None


def _ask(
    engine: Engine, provider: Provider, wire: WireRequest, model: str
) -> Generator[Any, Any, ModelReport | None]:
    """One request's report; ``None`` when the server has no such endpoint."""
    if provider.auth_pending():
        yield Blocking(provider.prepare_auth)
    provider.authenticate(wire)
    raw = yield Send(wire, pre_header_timeouts(engine.setup.timeouts))
    body: bytes = yield ReadBody(raw, None)
    if raw.status in _NO_ENDPOINT:
        return None
    if raw.status >= 400:
        raise provider.parse_error(raw.status, raw.headers, body)
    try:
        report: ModelReport = provider.parse_profile(wire, body, model)
    except LLMError:
        raise
    except Exception as exc:
        raise plugin_failure(LLMError, engine.setup.plugin, "parse_profile", exc) from exc
    return report


def _secrets(provider: Provider) -> list[str]:
    try:
        return list(provider.secrets())
    except Exception:  # a broken secrets() must not replace the failure being reported
        return []
