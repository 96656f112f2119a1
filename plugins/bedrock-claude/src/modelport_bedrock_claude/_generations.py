"""What each Claude generation accepts, as data, and how a Bedrock model id finds its row.

The table (``GENERATIONS``) is the one place capability-aware shaping reads (through the
``ModelProfile`` it yields); docs/providers/bedrock-claude.md prints it. A row matches a model
family (``haiku``, ``sonnet``, ``opus``; ``None`` for the pre-Claude-3 names) and a version
range; the first matching row wins. Ids arrive in every form Bedrock accepts:

- foundation models: ``anthropic.claude-3-5-sonnet-20240620-v1:0``,
  ``anthropic.claude-opus-4-6-v1``, ``anthropic.claude-opus-4-8``;
- inference profiles: the same with a geography prefix (``us.``, ``eu.``, ``apac.``,
  ``global.``, ...);
- ARNs of either (``arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-...``,
  ``arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-...``).

An application inference profile's ARN names no model; ``options={"claude_model": ...}`` says
which one it routes to. Anything that is not a Claude id resolves to no row (``None``): the
profile is then unknown and requests are sent as asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from modelport.provider import ModelProfile, ThinkingMode

__all__ = [
    "GENERATIONS",
    "SAMPLING",
    "ClaudeId",
    "Generation",
    "find_generation",
    "parse_model_id",
    "profile_for",
]

SAMPLING = frozenset({"temperature", "top_p", "top_k"})
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Generation:
    """One row: ``family`` and ``since <= version < until`` select it."""

    name: str
    family: str | None
    since: tuple[int, int]
    until: tuple[int, int]
    thinking: ThinkingMode
    sampling_params: frozenset[str]
    context_window: int | None
    max_output_tokens: int | None
    tools: bool = True
    images: bool = True


_ALL = (0, 0)
_END = (99, 0)

# Published limits per generation (context window, default max output); override them with
# the ``model_profile`` hook or the ``[profiles]`` table of modelport.toml.
GENERATIONS: tuple[Generation, ...] = (
    Generation("Claude 2 / Instant", None, _ALL, _END, "none", SAMPLING, 100_000, 4096,
               tools=False, images=False),
    Generation("Claude 3 Haiku", "haiku", (3, 0), (3, 5), "none", SAMPLING, 200_000, 4096),
    Generation("Claude 3 Sonnet", "sonnet", (3, 0), (3, 5), "none", SAMPLING, 200_000, 4096),
    Generation("Claude 3 Opus", "opus", (3, 0), (4, 0), "none", SAMPLING, 200_000, 4096),
    Generation("Claude 3.5 Haiku", "haiku", (3, 5), (4, 0), "none", SAMPLING, 200_000, 8192),
    Generation("Claude 3.5 Sonnet", "sonnet", (3, 5), (3, 7), "none", SAMPLING, 200_000, 8192),
    Generation("Claude Sonnet 3.7", "sonnet", (3, 7), (4, 0), "manual_budget", SAMPLING,
               200_000, 64_000),
    Generation("Claude Sonnet 4.x", "sonnet", (4, 0), (5, 0), "manual_budget", SAMPLING,
               200_000, 64_000),
    Generation("Claude Haiku 4.x", "haiku", (4, 0), (5, 0), "manual_budget", SAMPLING,
               200_000, 64_000),
    Generation("Claude Opus 4, 4.1", "opus", (4, 0), (4, 5), "manual_budget", SAMPLING,
               200_000, 32_000),
    Generation("Claude Opus 4.5", "opus", (4, 5), (4, 6), "manual_budget", SAMPLING,
               200_000, 64_000),
    Generation("Claude Opus 4.6", "opus", (4, 6), (4, 7), "adaptive_effort", SAMPLING,
               200_000, 128_000),
    Generation("Claude Opus 4.7 and later", "opus", (4, 7), _END, "adaptive_effort", _NONE,
               200_000, 128_000),
    # A generation newer than this table: the newest behaviour known (override when wrong).
    Generation("Claude Sonnet 5 and later", "sonnet", (5, 0), _END, "adaptive_effort", _NONE,
               200_000, 128_000),
    Generation("Claude Haiku 5 and later", "haiku", (5, 0), _END, "adaptive_effort", _NONE,
               200_000, 128_000),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClaudeId:
    family: str | None  # None: a pre-Claude-3 name (claude-v2, claude-instant)
    version: tuple[int, int]


_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(?P<kind>[a-z-]+)/(?P<rest>.+)$")
_GEO = re.compile(r"^[a-z][a-z-]*\.(?=anthropic\.)")
_SUFFIX = re.compile(r"(-v\d+)?(:\d+)?$")
_DATE = re.compile(r"-\d{8}$")
_FAMILIES = ("haiku", "sonnet", "opus")


def parse_model_id(model: str) -> ClaudeId | None:
    """The family and version a Bedrock model id names, or ``None`` for a non-Claude id."""
    text = unquote(model.strip()).lower()
    arn = _ARN.match(text)
    if arn is not None:
        text = arn["rest"]
    text = _GEO.sub("", text)
    if not text.startswith("anthropic.claude"):
        return None
    name = _DATE.sub("", _SUFFIX.sub("", text[len("anthropic.") :]))
    parts = name.split("-")[1:]  # after "claude"
    family = next((p for p in parts if p in _FAMILIES), None)
    numbers = [int(p) for p in parts if p.isdigit() and len(p) <= 2]
    if family is None:
        if not parts or parts[0] in ("instant", "2", "v2"):
            return ClaudeId(None, (2, 0))  # claude-v2, claude-v2:1, claude-instant-v1
        return None
    if not numbers:
        return None
    major = numbers[0]
    minor = numbers[1] if len(numbers) > 1 else 0
    return ClaudeId(family, (major, minor))


# Bedrock takes images as base64 only (the core fetches a remote URL), each at most 3.75 MB
# and 8000 px on a side (Bedrock's documented limits for Claude).
MAX_IMAGE_BYTES = 3_932_160
MAX_IMAGE_SIDE = 8000


def find_generation(model: str, table: tuple[Generation, ...] = GENERATIONS) -> Generation | None:
    parsed = parse_model_id(model)
    if parsed is None:
        return None
    for row in table:
        if row.family == parsed.family and row.since <= parsed.version < row.until:
            return row
    return None


def profile_for(model: str, table: tuple[Generation, ...] = GENERATIONS) -> ModelProfile:
    """The ``ModelProfile`` of ``model``: its row as a profile, or an unknown one.

    Claude cannot think while a tool choice is forced, so ``thinking_with_forced_tools`` is
    ``False`` wherever it thinks (the core then runs structured output in two passes) and
    ``None`` (the question does not arise) where it does not."""
    row = find_generation(model, table)
    if row is None:
        return ModelProfile(
            structured_output="tool",
            image_urls=False,
            max_image_bytes=MAX_IMAGE_BYTES,
            max_image_side=MAX_IMAGE_SIDE,
        )
    return ModelProfile(
        context_window=row.context_window,
        max_output_tokens=row.max_output_tokens,
        thinking=row.thinking,
        sampling_params=row.sampling_params,
        tools=row.tools,
        images=row.images,
        structured_output="tool",
        thinking_with_forced_tools=None if row.thinking == "none" else False,
        image_urls=False,
        max_image_bytes=MAX_IMAGE_BYTES,
        max_image_side=MAX_IMAGE_SIDE,
    )
