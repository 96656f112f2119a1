"""Capability-aware shaping: the body a Claude generation accepts, from its ``ModelProfile``.

The body ``_encode`` builds is what the caller asked for; this module removes or reshapes what
the model would reject, driven only by the profile (``_generations`` holds the table):

- ``sampling_params``: temperature / top_p / top_k the model does not accept are dropped
  (Opus 4.7 and later accept none);
- ``thinking``: ``none`` drops reasoning settings; ``manual_budget`` sends
  ``thinking={"type": "enabled", "budget_tokens": N}`` (``reasoning_effort`` maps to ``N`` by
  ``EFFORT_BUDGETS``; an explicit ``budget_tokens`` overrides it); ``adaptive_effort`` sends
  ``thinking={"type": "adaptive"}`` with ``output_config={"effort": ...}`` (a budget maps to the
  nearest effort); an unknown profile (``None``) is treated as a manual budget, as before;
- a forced tool choice cannot be combined with thinking: thinking is dropped (the core runs
  structured output in two passes for such models, so this only happens when a caller forces a
  tool choice by hand).

Every drop is a warning, once per provider instance (one ``LLM``), model and parameter, never
once per call; with ``strict`` it is a ``ConfigurationError`` instead. Thinking also removes
temperature, top_p and top_k silently, as Claude requires the defaults while it thinks.
"""

from __future__ import annotations

import math
import threading
import warnings
from typing import Any

from modelport.provider import ConfigurationError, ModelProfile, Request

from ._errors import PROVIDER

__all__ = [
    "ADAPTIVE_EFFORTS",
    "EFFORT_BUDGETS",
    "MIN_THINKING_BUDGET",
    "Drops",
    "nearest_effort",
    "shape_body",
    "thinking_budget",
]

MIN_THINKING_BUDGET = 1024
# reasoning_effort -> budget_tokens on manual-budget models.
EFFORT_BUDGETS: dict[str, int] = {
    "minimal": 1024,
    "low": 1024,
    "medium": 4096,
    "high": 16384,
    "max": 32768,
}
# reasoning_effort -> output_config.effort on adaptive models.
ADAPTIVE_EFFORTS: dict[str, str] = {
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "max",
}
# The budget each adaptive effort stands for, to map an explicit budget to the nearest one.
_EFFORT_POINTS = (("low", 1024), ("medium", 4096), ("high", 16384), ("max", 32768))
_OFF = frozenset({"none", "off", "disabled", "0", ""})
_FORCED = ("any", "tool")


class Drops:
    """Which (model, parameter) drops were already reported: one warning each per ``LLM``."""

    __slots__ = ("_lock", "_seen", "strict")

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def drop(self, model: str, param: str, why: str) -> None:
        text = f"bedrock-claude: {param} is not sent to {model}: {why}"
        if self.strict:
            raise ConfigurationError(
                text + " (strict mode: remove it, or turn strict off to drop it with a warning)",
                provider=PROVIDER,
                model=model,
            )
        with self._lock:
            if (model, param) in self._seen:
                return
            self._seen.add((model, param))
        warnings.warn(text, UserWarning, stacklevel=2)


def thinking_budget(effort: str | None) -> int | None:
    """The ``budget_tokens`` for a ``reasoning_effort``, or None for "no thinking"."""
    if effort is None:
        return None
    value = effort.strip().lower()
    if value in _OFF:
        return None
    if value in EFFORT_BUDGETS:
        return EFFORT_BUDGETS[value]
    if value.isdigit():
        return int(value)
    raise ConfigurationError(
        f"reasoning_effort must be one of {sorted(EFFORT_BUDGETS)}, 'none' or a token budget "
        f"such as '8000' for bedrock-claude, not {effort!r}",
        provider=PROVIDER,
    )


def nearest_effort(budget: int) -> str:
    """The adaptive effort whose budget is nearest to ``budget`` (on a log scale)."""
    target = math.log(max(budget, 1))
    return min(_EFFORT_POINTS, key=lambda p: abs(math.log(p[1]) - target))[0]


def shape_body(
    body: dict[str, Any],
    request: Request,
    profile: ModelProfile,
    drops: Drops,
    *,
    default_max: int,
) -> None:
    """Reshape ``body`` in place for what ``profile`` says the model accepts."""
    model = request.model
    accepted = profile.sampling_params
    if accepted is not None:
        for param in ("temperature", "top_p", "top_k"):
            if param in body and param not in accepted:
                drops.drop(model, param, "this model does not accept sampling parameters")
                del body[param]
    effort = request.reasoning_effort
    if effort is not None and effort.strip().lower() in _OFF:
        return  # thinking explicitly off (two-pass structured output's second pass)
    budget = request.budget_tokens
    if effort is None and budget is None:
        return
    if profile.thinking == "none":
        if effort is not None:
            drops.drop(model, "reasoning_effort", "this model cannot think")
        if budget is not None:
            drops.drop(model, "budget_tokens", "this model cannot think")
        return
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in _FORCED:
        drops.drop(
            model,
            "reasoning_effort" if effort is not None else "budget_tokens",
            "Claude cannot think while a tool choice is forced (structured output runs in two "
            "passes instead unless structured_strategy forces one)",
        )
        return
    if profile.thinking == "adaptive_effort":
        _adaptive(body, model, effort, budget, drops)
    else:
        _manual(body, model, effort, budget, request.max_tokens, default_max)
    for param in ("temperature", "top_p", "top_k"):
        body.pop(param, None)


def _manual(
    body: dict[str, Any],
    model: str,
    effort: str | None,
    budget: int | None,
    asked_max: int | None,
    default_max: int,
) -> None:
    """``thinking={"type": "enabled", "budget_tokens": N}``; ``max_tokens`` must exceed ``N``:
    when it does not, it becomes ``N`` plus the requested (or default) ``max_tokens``, so the
    answer keeps its own room."""
    explicit = budget is not None
    n = budget if budget is not None else thinking_budget(effort)
    if n is None:
        return
    if n < MIN_THINKING_BUDGET:
        name = "budget_tokens" if explicit else "reasoning_effort"
        raise ConfigurationError(
            f"{name}: Claude's thinking budget is at least {MIN_THINKING_BUDGET} tokens, not {n}",
            provider=PROVIDER,
            model=model,
        )
    body["thinking"] = {"type": "enabled", "budget_tokens": n}
    if body["max_tokens"] <= n:
        body["max_tokens"] = n + (asked_max if asked_max is not None else default_max)


def _adaptive(
    body: dict[str, Any], model: str, effort: str | None, budget: int | None, drops: Drops
) -> None:
    """``thinking={"type": "adaptive"}`` and ``output_config={"effort": ...}``."""
    if budget is not None or (effort is not None and effort.strip().isdigit()):
        n = budget if budget is not None else int(str(effort).strip())
        if n < MIN_THINKING_BUDGET:
            raise ConfigurationError(
                f"budget_tokens: Claude's thinking budget is at least {MIN_THINKING_BUDGET} "
                f"tokens, not {n}",
                provider=PROVIDER,
                model=model,
            )
        level = nearest_effort(n)
        drops.drop(
            model,
            "budget_tokens",
            f"this model chooses its own budget; sent as the nearest effort, {level!r}",
        )
    else:
        value = str(effort).strip().lower()
        if value not in ADAPTIVE_EFFORTS:
            raise ConfigurationError(
                f"reasoning_effort must be one of {sorted(ADAPTIVE_EFFORTS)} or 'none' for "
                f"{model}, not {effort!r}",
                provider=PROVIDER,
                model=model,
            )
        level = ADAPTIVE_EFFORTS[value]
    body["thinking"] = {"type": "adaptive"}
    config = body.get("output_config")
    body["output_config"] = {**(config if isinstance(config, dict) else {}), "effort": level}
