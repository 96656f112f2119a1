"""Which JSON decoder reads a reply: msgspec when installed, the standard library otherwise.

With msgspec installed (``pip install modelport-openai-chat[fast]``) each event's data is
decoded by msgspec, about 2.5x faster than the standard library's scanner on these chunks
(bench/bench_steps.py). Whatever msgspec rejects (``NaN``, ``1e400``, a lone ``\\ud800``
escape, which the standard library accepts) is decoded again by the standard library, so the
result is the same value for the same text either way (property test:
tests/plugins/openai_chat/test_json.py). orjson is not used: it decodes an integer beyond
64 bits as a float, a silently different value.

Whole (non-streamed) bodies go through ``body_loads``: msgspec reads the bytes as they are,
about 3x faster than ``json.loads`` on a chat completion. A process's first whole body is read
by the standard library, so a program that makes one call (a CLI) never pays msgspec's import
(about 5 ms on top of modelport's); the second and later use msgspec, with the same fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from json import JSONDecoder, loads
from typing import Any

__all__ = ["body_loads", "json_decoders", "stdlib_json_loads"]

# The C scanner behind json.loads, called directly: json.loads spends about a third of its
# time per stream chunk on type checks and two whitespace regex matches around the scan.
_scan: Callable[[str, int], tuple[Any, int]] = JSONDecoder().scan_once  # type: ignore[attr-defined]


def stdlib_json_loads(data: str) -> Any:
    """``json.loads(data)`` (same value, same errors), through the scanner directly."""
    try:
        obj, end = _scan(data, 0)
    except StopIteration:  # leading blank or not JSON: let json.loads judge it
        return loads(data)
    if end != len(data) and not data[end:].isspace():
        raise ValueError("extra data")
    return obj


def _fast_json(decode: Callable[[str], Any]) -> Callable[[str], Any]:
    def fast_json_loads(data: str) -> Any:
        """msgspec where it accepts the text, else the standard library (module docstring)."""
        try:
            return decode(data)
        except (ValueError, RecursionError):  # msgspec: DecodeError, ValidationError, depth
            return stdlib_json_loads(data)

    return fast_json_loads


_Picked = tuple[Callable[[str], Any] | None, Callable[[str], Any], Callable[[bytes], Any] | None]


def _pick() -> _Picked:
    try:
        from msgspec.json import Decoder
    except ImportError:
        return None, stdlib_json_loads, None
    decode = Decoder().decode
    fast = _fast_json(decode)
    return fast, fast, decode


_picked: list[_Picked] = []


def _chosen() -> _Picked:
    if not _picked:
        _picked.append(_pick())
    return _picked[0]


def json_decoders() -> tuple[Callable[[str], Any] | None, Callable[[str], Any]]:
    """(the msgspec-backed decoder, or None without msgspec; the one streams use). Chosen on
    the first stream (or second whole body), so a process that never needs it never imports
    msgspec."""
    fast, used, _ = _chosen()
    return fast, used


_bodies = [0]  # whole bodies read so far, up to 1


def body_loads(body: bytes) -> Any:
    """``json.loads(body)``: the same value, the same errors (module docstring)."""
    if _bodies[0] == 0:
        _bodies[0] = 1
        return loads(body)
    decode = _chosen()[2]
    if decode is not None:
        try:
            return decode(body)
        except (ValueError, RecursionError):  # what msgspec rejects, the standard library judges
            pass
    return loads(body)
