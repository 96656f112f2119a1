"""SigV4 signing of a ``WireRequest`` with botocore (service ``bedrock``), over its final bytes.

botocore signs an ``AWSRequest`` built from the wire's method, URL, headers and content; the
headers it adds (``Authorization``, ``X-Amz-Date``, ``X-Amz-Security-Token`` for temporary
credentials, ``X-Amz-Content-SHA256`` when set) are copied back. Headers from an earlier attempt
are dropped first, so a retry is signed afresh (with a fresh date). ``WireRequest.__repr__``
redacts ``Authorization`` and ``X-Amz-Security-Token``; the secret key itself never leaves
botocore's HMAC.
"""

from __future__ import annotations

from typing import Any

from modelport.provider import WireRequest

__all__ = ["SIGNING_HEADERS", "sign"]

SERVICE = "bedrock"
SIGNING_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256")
_STALE = frozenset(h.lower() for h in SIGNING_HEADERS)


def sign(wire: WireRequest, credentials: Any, region: str) -> None:
    """Add SigV4 headers to ``wire`` in place; ``credentials`` are botocore (frozen) ones."""
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]

    for name in [k for k in wire.headers if k.lower() in _STALE]:
        del wire.headers[name]
    request = AWSRequest(
        method=wire.method, url=wire.url, headers=dict(wire.headers), data=wire.content or b""
    )
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    for name in SIGNING_HEADERS:
        value = request.headers.get(name)
        if value is not None:
            wire.headers[name] = value
