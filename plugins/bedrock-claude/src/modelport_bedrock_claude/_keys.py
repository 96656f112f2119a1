"""Credential sets: what ``api_key=`` means for Bedrock, so that a list of them is a key pool.

The core's key pool (``api_key=[...]`` / ``mp.KeyPool``) holds strings and gives each attempt
the least-loaded one, through a provider instance of its own. For Bedrock a string is one of:

- ``"aws:ACCESS_KEY_ID:SECRET_ACCESS_KEY"`` or ``"aws:ACCESS_KEY_ID:SECRET:SESSION_TOKEN"``:
  static keys, signed with SigV4 (``aws_keys(...)`` builds it);
- ``"profile:NAME"``: a named profile of the shared AWS config, resolved through botocore's
  chain like ``options={"profile": ...}`` (``aws_profile(...)`` builds it);
- anything else: a Bedrock API key, sent as ``Authorization: Bearer`` instead of a signature.

AWS keys and tokens are base64 or alphanumeric, never containing ``:``, so the separator is
unambiguous. A malformed set is a ``ConfigurationError`` that never quotes the string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelport.provider import ConfigurationError

from ._errors import PROVIDER
from ._sigv4 import SigningCredentials

__all__ = ["CredentialSet", "aws_keys", "aws_profile", "credential_set"]

_KEYS = "aws:"
_PROFILE = "profile:"


@dataclass(frozen=True, slots=True)
class CredentialSet:
    """One of: static keys, a profile name, a bearer API key."""

    keys: SigningCredentials | None = None
    profile: str | None = None
    bearer: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        out = [self.bearer] if self.bearer else []
        if self.keys is not None:
            out += [s for s in (self.keys.access_key, self.keys.secret_key, self.keys.token) if s]
        return out


def aws_keys(access_key_id: str, secret_access_key: str, session_token: str | None = None) -> str:
    """A credential set for ``api_key=`` (or one entry of a pool) from static AWS keys."""
    parts = [access_key_id, secret_access_key] + ([session_token] if session_token else [])
    if not all(isinstance(p, str) and p and ":" not in p for p in parts):
        raise ConfigurationError(
            "aws_keys needs a non-empty access key id and secret (and optional session token) "
            "without ':'",
            provider=PROVIDER,
        )
    return _KEYS + ":".join(parts)


def aws_profile(name: str) -> str:
    """A credential set for ``api_key=`` that uses a named profile of the shared AWS config."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError("aws_profile needs a profile name", provider=PROVIDER)
    return _PROFILE + name.strip()


def credential_set(text: str) -> CredentialSet:
    """Parse one ``api_key`` string (module docstring)."""
    if text.startswith(_PROFILE):
        name = text[len(_PROFILE) :].strip()
        if not name:
            raise ConfigurationError(
                "a 'profile:' credential set needs a profile name", provider=PROVIDER
            )
        return CredentialSet(profile=name)
    if text.startswith(_KEYS):
        parts = text[len(_KEYS) :].split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise ConfigurationError(
                f"a credential set starting with 'aws:' has {len(parts)} field(s); it must be "
                "'aws:ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]' (build it with "
                "modelport_bedrock_claude.aws_keys)",
                provider=PROVIDER,
            )
        token = parts[2] if len(parts) == 3 else None
        return CredentialSet(keys=SigningCredentials(parts[0], parts[1], token))
    return CredentialSet(bearer=text)
