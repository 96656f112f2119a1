"""AWS credentials from botocore's standard chain, resolved off the request path and cached.

The chain (environment, shared credentials/config files and profiles, ``credential_process``,
SSO, assume-role, web identity, container and instance metadata) can run a process or reach
IMDS, SSO or STS over the network. So it runs only in ``prepare``, which the core calls in a
worker thread on the async path; ``signing`` and ``pending`` read what ``prepare`` left, with no
I/O and no lock, which is what lets ``authenticate`` run on the event loop.

- resolved once: concurrent ``prepare`` calls serialize on a lock, and every caller after the
  first finds the credentials cached;
- static credentials (access keys) never go stale and are never resolved again;
- refreshable ones (SSO, assumed roles, ``credential_process``, IMDS, ``AWS_CREDENTIAL_EXPIRATION``)
  are refreshed once they are within ``REFRESH_WINDOW_S`` of expiry. The window is below
  botocore's own mandatory refresh window (10 min), so when we ask, botocore does refresh;
- a refresh that fails while the cached credentials are still valid keeps them (the next
  attempt tries again); one that fails after they expired, or a chain that finds nothing, is a
  ``ConfigurationError``: nothing reached Bedrock, and, like a missing API key, the fix is in
  the caller's environment. ``AuthenticationError`` stays what it is everywhere else, Bedrock
  refusing credentials it was sent (HTTP 401/403, with status and request id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from modelport.provider import ConfigurationError

from ._errors import PROVIDER
from ._sigv4 import SigningCredentials

__all__ = ["REFRESH_WINDOW_S", "CredentialCache"]

REFRESH_WINDOW_S = 300.0
_DETAIL_LIMIT = 300


class CredentialCache:
    """The credentials of one provider instance (one profile), shared by all its threads."""

    __slots__ = (
        "_current",
        "_model",
        "_needs_refresh",
        "_previous",
        "_profile",
        "_resolve_lock",
        "_session",
        "_session_lock",
        "_source",
    )

    def __init__(
        self,
        profile: str | None,
        *,
        model: str | None = None,
        static: SigningCredentials | None = None,
    ) -> None:
        """``static``: keys given by the caller (a credential set), used as they are: the chain
        never runs and they never need a refresh."""
        self._profile = profile
        self._model = model
        # Two locks: ``session`` is also used on the request path (the profile's region), so
        # it must never wait behind a resolution that is doing network I/O.
        self._session_lock = threading.Lock()
        self._resolve_lock = threading.Lock()
        self._session: Any = None
        self._source: Any = None  # botocore Credentials / RefreshableCredentials
        self._needs_refresh: Callable[[float], bool] | None = None
        self._current: SigningCredentials | None = static
        self._previous: SigningCredentials | None = None

    def __repr__(self) -> str:
        state = "unresolved" if self._current is None else "resolved"
        return f"CredentialCache(profile={self._profile!r}, {state})"

    def session(self) -> Any:
        """The botocore session (created on first use: importing botocore is not free)."""
        with self._session_lock:
            if self._session is None:
                import botocore.session  # type: ignore[import-untyped]

                self._session = botocore.session.Session(profile=self._profile)
            return self._session

    # -- cheap reads (no I/O, no lock) --------------------------------------------------------

    @property
    def signing(self) -> SigningCredentials | None:
        return self._current

    def pending(self) -> bool:
        """True until resolved, and again once refreshable credentials near their expiry."""
        if self._current is None:
            return True
        check = self._needs_refresh
        return check is not None and bool(check(REFRESH_WINDOW_S))

    def expired(self) -> bool:
        if self._current is None:
            return True
        check = self._needs_refresh
        return check is not None and bool(check(0))

    def secrets(self) -> list[str]:
        """Every part of the current and previous credentials: an error built around a refresh
        may quote either generation."""
        out: list[str] = []
        for creds in (self._current, self._previous):
            if creds is not None:
                out.extend(s for s in (creds.access_key, creds.secret_key, creds.token) if s)
        return out

    # -- resolution (may block) ---------------------------------------------------------------

    def prepare(self) -> SigningCredentials:
        """Resolve or refresh when ``pending``; the cached credentials otherwise."""
        with self._resolve_lock:
            current = self._current
            if current is not None and not self.pending():
                return current  # another thread resolved them while we waited
            try:
                fresh = self._resolve()
            except ConfigurationError:
                if current is not None and not self.expired():
                    return current  # still valid: keep signing, try the refresh next attempt
                raise
            if fresh != current:
                self._previous, self._current = current, fresh
            return fresh

    def _resolve(self) -> SigningCredentials:
        source = self._source
        if source is None:
            try:
                source = self.session().get_credentials()
            except Exception as exc:  # ProfileNotFound, SSO token expired, STS refusals, ...
                raise self._error("could not load AWS credentials", exc) from None
            if source is None:
                raise ConfigurationError(
                    "no AWS credentials found by botocore's standard chain (environment, "
                    "shared credentials/config files and profiles, SSO, container or instance "
                    "metadata); configure one, or pass options={'profile': ...}",
                    provider=PROVIDER,
                    model=self._model,
                )
            self._source = source
            refresh = getattr(source, "refresh_needed", None)
            self._needs_refresh = refresh if callable(refresh) else None
        try:
            # Refreshable credentials renew themselves here (botocore's own lock and windows).
            frozen = source.get_frozen_credentials()
        except Exception as exc:
            raise self._error("could not refresh AWS credentials", exc) from None
        access = getattr(frozen, "access_key", None)
        secret = getattr(frozen, "secret_key", None)
        token = getattr(frozen, "token", None)
        if not access or not secret:
            raise ConfigurationError(
                "AWS credentials are incomplete (an access key id and a secret access key are "
                "both needed)",
                provider=PROVIDER,
                model=self._model,
            )
        return SigningCredentials(str(access), str(secret), str(token) if token else None)

    def _error(self, what: str, exc: Exception) -> ConfigurationError:
        """botocore's own errors are templated (they name the profile, variable or source,
        never a secret) and an STS refusal names the role, so their text is kept; anything
        else is named by type only."""
        detail = ""
        try:
            from botocore.exceptions import (  # type: ignore[import-untyped]
                BotoCoreError,
                ClientError,
            )

            if isinstance(exc, BotoCoreError | ClientError):
                text = str(exc)
                detail = ": " + text[:_DETAIL_LIMIT] + ("..." if len(text) > _DETAIL_LIMIT else "")
        except ImportError:  # pragma: no cover - botocore is a dependency
            pass
        return ConfigurationError(
            f"{what} ({type(exc).__name__}){detail}", provider=PROVIDER, model=self._model
        )
