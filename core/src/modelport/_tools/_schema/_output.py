"""Output types: what ``response_format=`` accepts, the schema sent, and answer validation.

``output_spec(target)`` turns a pydantic model, a dataclass, a TypedDict, a plain annotated class
or a JSON-schema dict into an :class:`OutputSpec`: a name, the wire schema (strict-normalized
when the schema allows it) and a validator that returns what the user asked for -- a model
instance, a dataclass instance, a dict for TypedDicts and dict schemas, or an instance of the
plain class.

Validation order, for ``validate_json``: parse (if that fails, look for JSON inside a code fence
or prose), turn strict-mode ``null``\\s for optional fields back into "absent", validate; only if
that fails, repair JSON-encoded strings in list/object fields and validate once more. An answer
that still fails raises ``StructuredOutputError`` carrying the raw text and the *original*
validation errors.
"""

from __future__ import annotations

import dataclasses
import json
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from ..._errors import SchemaConversionError, StructuredOutputError
from ._jsonschema_branches import drop_optional_nulls
from ._jsonschema_check import check_instance, format_loc
from ._jsonschema_walk import strip_keyword
from ._repair import extract_json_text, repair_json_strings
from ._strict import make_strict
from ._types import TypeRewriter, is_plain_class, is_typeddict

__all__ = ["OutputSpec", "output_spec"]

_NAME_OK = re.compile(r"[^a-zA-Z0-9_-]")
_CACHE: weakref.WeakKeyDictionary[type, dict[bool | None, OutputSpec]] = weakref.WeakKeyDictionary()


@dataclass(slots=True)
class OutputSpec:
    """A requested output structure: wire schema plus the validator for the answer.

    ``schema`` is what goes to the provider (strict-ready when ``strict``); ``target`` is what
    the user passed. ``source_schema`` is the schema before strict normalization: validation,
    null handling and repair follow it, because it says what the target really accepts.
    """

    name: str
    schema: dict[str, Any]
    strict: bool
    target: Any
    description: str = ""
    source_schema: dict[str, Any] = field(default_factory=dict, repr=False)
    _adapter: Any = field(default=None, repr=False, compare=False)
    _rewriter: TypeRewriter | None = field(default=None, repr=False, compare=False)

    def to_response_format(self) -> Any:
        """The ``ResponseFormat`` a ``Request`` carries for this spec."""
        from ..._request import ResponseFormat

        return ResponseFormat(name=self.name, schema=self.schema, strict=self.strict)

    def validate(self, data: Any) -> Any:
        """Validate already-decoded JSON (e.g. a forced tool call's arguments)."""
        try:
            raw = json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError):
            raw = repr(data)
        return self._validate(data, raw)

    def validate_json(self, text: str) -> Any:
        """Parse and validate the model's answer text."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            inner = extract_json_text(text) if isinstance(text, str) else None
            if inner is None:
                raise StructuredOutputError(
                    f"the answer is not valid JSON for {self.name}: {exc}", raw_text=text
                ) from None
            data = json.loads(inner)
        return self._validate(data, text)

    # -- internals --------------------------------------------------------------------------

    def _prepare(self, data: Any) -> Any:
        if self.strict:
            return drop_optional_nulls(data, self.source_schema, self.source_schema)
        return data

    def _validate(self, data: Any, raw: str) -> Any:
        ok, result, errors = self._check(self._prepare(data))
        if ok:
            return result
        repaired, changed = repair_json_strings(data, self.source_schema)
        if changed:
            ok, result, _ = self._check(self._prepare(repaired))
            if ok:
                return result
        listing = "\n".join(f"- {e}" for e in errors)
        exc = StructuredOutputError(
            f"the answer does not validate as {self.name} ({len(errors)} error"
            f"{'s' if len(errors) != 1 else ''}):\n{listing}",
            raw_text=raw,
        )
        exc.errors = errors  # type: ignore[attr-defined]
        raise exc

    def _check(self, data: Any) -> tuple[bool, Any, list[str]]:
        if self._adapter is None:
            errors = check_instance(data, self.source_schema)
            return (not errors, data, errors)
        from pydantic import ValidationError

        try:
            payload = json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError):
            payload = None
        try:
            if payload is not None:
                # JSON mode: the answer is JSON, and strict pydantic models accept JSON's
                # spelling of tuples, enums and dates only in JSON mode.
                value = self._adapter.validate_json(payload)
            else:
                value = self._adapter.validate_python(data)
        except ValidationError as exc:
            return False, None, format_validation_errors(exc)
        if self._rewriter is not None:
            value = self._rewriter.to_user(value)
        return True, value, []


def format_validation_errors(exc: Any) -> list[str]:
    """One readable line per pydantic error: ``location: message (got <input>)``."""
    lines = []
    for err in exc.errors(include_url=False):
        where = format_loc(tuple(err.get("loc", ())))
        message = err.get("msg", "invalid")
        if err.get("type") in ("missing", "extra_forbidden"):
            lines.append(f"{where}: {message}")
            continue
        got = repr(err.get("input"))
        if len(got) > 80:
            got = got[:77] + "..."
        lines.append(f"{where}: {message} (got {got})")
    return lines


def _safe_name(name: str) -> str:
    cleaned = _NAME_OK.sub("_", name)[:64]
    return cleaned or "response"


def output_spec(target: Any, *, strict: bool | None = None) -> OutputSpec:
    """Build the spec for a ``response_format`` target.

    ``strict=None`` (the default) uses strict mode whenever the schema can be expressed in it,
    and falls back to a non-strict schema otherwise (``spec.strict`` says which); ``True``
    raises ``SchemaConversionError`` when it cannot; ``False`` never normalizes. A dict with
    its own ``"strict"`` key decides for itself unless ``strict`` is given here.
    """
    if isinstance(target, OutputSpec):
        return target
    if isinstance(target, type):
        per_type = _CACHE.get(target)
        if per_type is not None and strict in per_type:
            return per_type[strict]
        spec = _spec_for_type(target, strict)
        _CACHE.setdefault(target, {})[strict] = spec
        return spec
    from ..._request import ResponseFormat

    if isinstance(target, ResponseFormat):
        target_dict: dict[str, Any] = {
            "name": target.name,
            "schema": dict(target.json_schema),
            "strict": target.strict,
        }
        return _spec_for_dict(target_dict, strict, original=target)
    if isinstance(target, dict):
        return _spec_for_dict(target, strict, original=target)
    raise SchemaConversionError(
        "response_format must be a pydantic model class, a dataclass, a TypedDict, a class "
        f"with annotated attributes, or a JSON-schema dict; got {target!r}"
    )


def _spec_for_type(target: type, strict: bool | None) -> OutputSpec:
    from pydantic import BaseModel, TypeAdapter

    rewriter: TypeRewriter | None = None
    if isinstance(target, type) and issubclass(target, BaseModel):
        adapted: Any = target
    elif dataclasses.is_dataclass(target) or is_typeddict(target):
        rewriter = TypeRewriter(plain_classes=False)
        adapted = rewriter.rewrite(target)
        rewriter = None  # TypedDict rewrites still validate to plain dicts
    elif is_plain_class(target):
        rewriter = TypeRewriter(plain_classes=True)
        adapted = rewriter.rewrite(target)
    else:
        raise SchemaConversionError(
            f"cannot use {target!r} as response_format: expected a pydantic model, a "
            "dataclass, a TypedDict or a class with annotated attributes"
        )
    try:
        adapter = TypeAdapter(adapted)
        source = adapter.json_schema(mode="validation")
    except SchemaConversionError:
        raise
    except Exception as exc:
        raise SchemaConversionError(
            f"cannot build a JSON schema for {getattr(target, '__qualname__', target)}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
        ) from None
    description = source.get("description", "") if isinstance(source, dict) else ""
    wire, is_strict = _wire_schema(source, strict, getattr(target, "__qualname__", "output"))
    return OutputSpec(
        name=_safe_name(target.__name__),
        schema=wire,
        strict=is_strict,
        target=target,
        description=description if isinstance(description, str) else "",
        source_schema=source,
        _adapter=adapter,
        _rewriter=rewriter,
    )


def _spec_for_dict(target: dict[str, Any], strict: bool | None, *, original: Any) -> OutputSpec:
    d = target
    if d.get("type") == "json_schema" and isinstance(d.get("json_schema"), dict):
        d = d["json_schema"]  # a whole OpenAI response_format object
    if isinstance(d.get("schema"), dict):
        schema = d["schema"]
        name = str(d.get("name") or schema.get("title") or "response")
        description = str(d.get("description") or schema.get("description") or "")
        if strict is None and isinstance(d.get("strict"), bool):
            strict = d["strict"]
    else:
        schema = d
        name = str(d.get("title") or "response")
        description = str(d.get("description") or "")
    wire, is_strict = _wire_schema(schema, strict, name)
    return OutputSpec(
        name=_safe_name(name),
        schema=wire,
        strict=is_strict,
        target=original,
        description=description,
        source_schema=schema,
    )


def _wire_schema(
    source: dict[str, Any], strict: bool | None, what: str
) -> tuple[dict[str, Any], bool]:
    if strict is False:
        return strip_keyword(source, "title"), False
    try:
        return make_strict(source), True
    except SchemaConversionError as exc:
        if strict:
            raise SchemaConversionError(
                f"{what} cannot be used in strict mode: {exc.message}"
            ) from None
        return strip_keyword(source, "title"), False
