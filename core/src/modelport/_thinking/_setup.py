"""Per-``LLM`` thinking configuration: which tag patterns apply, and how to apply them.

Patterns come from plugins through the ``register_thinking`` hook (the built-in plugin adds
``<think>``, ``<thinking>``, ``[THINK]``), plus the user's ``thinking=CustomThinkingToken(...)``.
``thinking=False`` turns inline-tag parsing off. Structured-output calls are never parsed:
tags inside JSON string values are payload, not reasoning.

A setting is tag pairs (strings) until text holds a character a tag can start with: only then
are the pattern objects made and the parser imported, so a first call whose answer has no tag
loads none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError

if TYPE_CHECKING:
    from .._engine._call import CallOptions
    from .._host._plugins import PluginHost
    from .._request import Request
    from .._response import Response

__all__ = ["ThinkingSetup"]


class ThinkingSetup:
    __slots__ = (
        "_custom",
        "_enabled",
        "_from_beginning",
        "_host",
        "_key_parts",
        "_model",
        "_pairs",
        "_parser_args",
        "_provider",
        "_tag_firsts",
    )

    def __init__(self, host: PluginHost, provider: str, model: str, thinking: Any) -> None:
        self._host = host
        self._provider = provider
        self._model = model
        self._enabled = thinking is not False
        self._custom = None if thinking in (None, False, True) else thinking
        if self._custom is not None and not hasattr(self._custom, "from_beginning"):
            raise ConfigurationError(
                "thinking= must be True, False or a modelport.thinking.CustomThinkingToken"
            )
        self._pairs: tuple[tuple[str, str], ...] | None = None
        self._from_beginning: tuple[str, str] | bool = False  # a pair: that block is open
        # What the parser takes, made for the first parse: the pairs as ThinkingPatterns, and
        # from_beginning as one (or a bool).
        self._parser_args: tuple[tuple[Any, ...], Any] | None = None
        # The characters a tag can start with, in any case: a text holding none has no tag.
        self._tag_firsts: tuple[str, ...] = ()
        self._key_parts: dict[bool, dict[str, Any]] = {}

    def _resolve(self) -> tuple[tuple[str, str], ...]:
        """The (start, end) tag pairs that apply to this model, the user's first."""
        if self._pairs is None:
            pairs: list[tuple[str, str]] = []
            for reg in self._host.registry().thinking:
                if reg.models is None or reg.models(self._provider, self._model):
                    pairs.append(_tag_pair(reg.start, reg.end))
            custom = self._custom
            if custom is not None:
                if custom.start_token:
                    mine = (custom.start_token, custom.end_token)
                    pairs.insert(0, mine)
                    self._from_beginning = mine if custom.from_beginning else False
                else:
                    self._from_beginning = bool(custom.from_beginning)
            self._pairs = tuple(dict.fromkeys(pairs))
            firsts = {tag[0] for pair in self._pairs for tag in pair}
            chars = firsts | {c.upper() for c in firsts} | {c.lower() for c in firsts}
            self._tag_firsts = tuple(sorted(chars))
        return self._pairs

    def _parsing(self) -> tuple[tuple[Any, ...], Any]:
        """The patterns and ``from_beginning`` as the parser takes them."""
        if self._parser_args is None:
            from ._types import ThinkingPattern

            patterns = tuple(ThinkingPattern(start, end) for start, end in self._resolve())
            fb = self._from_beginning
            self._parser_args = (patterns, ThinkingPattern(*fb) if isinstance(fb, tuple) else fb)
        return self._parser_args

    def key_part(self, request: Request) -> dict[str, Any]:
        """What of this setting changes a stored response, for the cache key. The same two
        dicts for every call (read, never changed): a call does not build its own."""
        active = self.active(request)
        part = self._key_parts.get(active)
        if part is None:
            if not active:
                part = {"thinking": False}
            else:
                patterns = [list(pair) for pair in self._resolve()]
                fb = self._from_beginning
                start = list(fb) if isinstance(fb, tuple) else bool(fb)
                part = {"thinking": patterns, "from_beginning": start}
            self._key_parts[active] = part
        return part

    def active(self, request: Request) -> bool:
        pairs = self._pairs if self._pairs is not None else self._resolve()
        return self._enabled and request.response_format is None and bool(pairs)

    def parser_for(self, request: Request, opts: CallOptions) -> Any:
        if not self.active(request):
            return None
        from ._parser import ThinkingParser

        patterns, from_beginning = self._parsing()
        return ThinkingParser(patterns, from_beginning=from_beginning)

    def apply(self, response: Response, request: Request, opts: CallOptions) -> None:
        """Split inline tags out of a whole (non-streamed) answer."""
        if not response.text or not self.active(request):
            return
        text = response.text
        if not self._from_beginning and not _holds_any(text, self._tag_firsts):
            return  # no tag can start anywhere in this text: nothing to split (the common case)
        from ._parser import split_thinking

        patterns, from_beginning = self._parsing()
        split = split_thinking(response.text, patterns, from_beginning=from_beginning)
        if not split.reasoning and split.answer == response.text:
            return
        response.text = split.answer
        if split.reasoning and not response.reasoning:
            # A reasoning field, when the provider sent one, is authoritative: tags in the
            # answer are removed but not counted twice.
            response.reasoning = split.reasoning
        if split.unclosed:
            response.provider_metadata["reasoning_unclosed"] = True
        for message in response._built_messages():
            if message.role == "assistant":
                message.content = response.text or None
                message.reasoning = response.reasoning


def _tag_pair(start: object, end: object) -> tuple[str, str]:
    """A registered pair, checked as ``ThinkingPattern`` checks it (before one is made)."""
    if not isinstance(start, str) or not isinstance(end, str):
        raise ConfigurationError("thinking tags must be strings")
    if not start or not end:
        raise ConfigurationError("thinking tags must not be empty")
    return start, end


def _holds_any(text: str, chars: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of a few ``chars``: one substring search each (a regex
    character class is an order of magnitude slower on a whole answer)."""
    for c in chars:  # noqa: SIM110  (any() over a generator costs more than the searches)
        if c in text:
            return True
    return False
