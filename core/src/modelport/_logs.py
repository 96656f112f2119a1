"""modelport's loggers: one hierarchy under ``modelport``, one child per part.

    modelport.transport   DEBUG   each attempt: provider, model, method, URL, status, latency
    modelport.retry       INFO    each retry: the reason and the delay
    modelport.cache       DEBUG   hits and misses (key prefix); WARNING a backend failure
    modelport.plugins     WARNING a plugin that failed to load or register
    modelport.tools       DEBUG   each tool call's outcome and time

No handler is installed: the application decides where records go (``logging.basicConfig``).
Every record is built only when its level is enabled, so logging that is off costs one
``isEnabledFor`` check. No record carries a credential: URLs lose credential-looking query
parameters and userinfo, and messages hold only names, counts, statuses and error classes.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["cache_log", "plugins_log", "retry_log", "safe_url", "tools_log", "transport_log"]

transport_log = logging.getLogger("modelport.transport")
retry_log = logging.getLogger("modelport.retry")
cache_log = logging.getLogger("modelport.cache")
plugins_log = logging.getLogger("modelport.plugins")
tools_log = logging.getLogger("modelport.tools")

_SECRET_QUERY = ("key", "token", "sig", "secret", "password", "auth", "credential")


def safe_url(url: str) -> str:
    """The URL as it may be logged: no userinfo, no credential-looking query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    query = [
        (k, "[REDACTED]" if any(s in k.lower() for s in _SECRET_QUERY) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(query), ""))
