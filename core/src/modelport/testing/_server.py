"""The scripted server: what to answer (queue, routes) and what was asked (recorded requests).

The sockets and threads are ``_connections``' job and writing a reply is ``_reply_writer``'s;
this module holds the script and the observations a test makes, behind one lock. The server
runs in its own threads, so sync and async clients can both talk to it.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from typing import Literal, TypeAlias

from ._connections import Connections
from ._http import Limits, RecordedRequest
from ._reply_writer import error_reply
from ._script import Fault, Reply

__all__ = ["Entry", "Handler", "ScriptedServer", "free_port"]

Handler: TypeAlias = Callable[[RecordedRequest], "Reply | Fault"]
Entry: TypeAlias = "Reply | Fault | Handler"

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that need one given)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class ScriptedServer:
    """An HTTP/1.1 server on 127.0.0.1 that answers from a script.

    Each request is answered by, in order of precedence: a route matching its method and
    path (``route``, never consumed), else the oldest queued entry (``add``, consumed), else
    a 500 whose JSON error message names the request, so an unscripted call fails loudly
    instead of hanging. Entries are ``Reply``, ``Fault`` or a callable taking the
    ``RecordedRequest`` and returning one of those.

    Chunked request bodies are accepted and decoded (httpx sends them for generator content).
    Limits: header section, body size, idle/request timeouts, requests per connection and
    concurrent connections are all bounded; a request over a limit gets 4xx and the
    connection is closed.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        api_prefix: str = "/v1",
        max_connections: int = 256,
        idle_timeout: float = 10.0,
        max_header_bytes: int = 64 * 1024,
        max_headers: int = 256,
        max_body_bytes: int = 32 * 1024 * 1024,
        max_requests_per_connection: int = 100_000,
        stop_timeout: float = 5.0,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        if idle_timeout <= 0 or stop_timeout <= 0:
            raise ValueError("timeouts must be > 0")
        self._requested_port = port
        self._api_prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
        self._stop_timeout = stop_timeout
        self._lock = threading.Lock()
        self._requests_changed = threading.Condition(self._lock)
        self._queue: deque[Entry] = deque()
        self._routes: dict[tuple[str, str], Entry] = {}
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._connections = Connections(
            limits=Limits(
                max_header_bytes=max_header_bytes,
                max_headers=max_headers,
                max_body_bytes=max_body_bytes,
                request_timeout=idle_timeout,
            ),
            idle_timeout=idle_timeout,
            max_requests=max_requests_per_connection,
            max_connections=max_connections,
            stop_timeout=stop_timeout,
            answer=self._answer,
            on_request=self._record_request,
            on_error=self._record_error,
        )
        self._port = 0
        self._state: Literal["new", "running", "stopped"] = "new"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        if self._state != "new":
            raise RuntimeError(f"server is {self._state}; create a new one instead")
        self._port = self._connections.start(HOST, self._requested_port)
        self._state = "running"
        return self

    def stop(self) -> None:
        """Close the listener and every connection, join all threads (bounded); idempotent."""
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopped"
        stuck, accepting = self._connections.stop()
        if stuck or accepting:
            warnings.warn(
                f"ScriptedServer on port {self._port}: {len(stuck)} connection thread(s) "
                f"still running after {self._stop_timeout}s (a handler that never returns?)",
                RuntimeWarning,
                stacklevel=2,
            )

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- script ----------------------------------------------------------------------------

    def add(self, *entries: Entry) -> None:
        """Queue entries; each request consumes the oldest one (unless a route matches)."""
        for entry in entries:
            self._check_entry(entry)
        with self._lock:
            self._queue.extend(entries)

    def route(self, method: str, path: str, entry: Entry) -> None:
        """Answer every ``method path`` request (query string ignored) with ``entry``.

        Routes win over the queue, so a client's side requests (``GET /v1/models``) never eat
        a reply queued for the call under test. ``method="*"`` matches any method.
        """
        self._check_entry(entry)
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        with self._lock:
            self._routes[(method.upper(), path.partition("?")[0])] = entry

    def clear(self) -> None:
        """Forget queued entries, routes, recorded requests and errors."""
        with self._lock:
            self._queue.clear()
            self._routes.clear()
            self._requests.clear()
            self._errors.clear()

    @staticmethod
    def _check_entry(entry: object) -> None:
        if not isinstance(entry, Reply | Fault) and not callable(entry):
            raise TypeError(f"expected Reply, Fault or a callable, got {type(entry).__name__}")

    # -- observation -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._state == "new":
            raise RuntimeError("server not started; use `with ScriptedServer() as server:`")
        return self._port

    @property
    def host(self) -> str:
        return HOST

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}{self._api_prefix}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Queued entries not consumed yet (a test can assert its whole script was used)."""
        with self._lock:
            return len(self._queue)

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far."""
        return self._connections.count

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised by handlers or inside the server (each also answered with 500)."""
        with self._lock:
            return list(self._errors)

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until ``n`` requests were received; raise ``TimeoutError`` if they never are."""
        deadline = time.monotonic() + timeout
        with self._requests_changed:
            while len(self._requests) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"scripted server got {len(self._requests)} request(s), "
                        f"expected {n} within {timeout}s"
                    )
                self._requests_changed.wait(remaining)
            return list(self._requests)

    # -- answering (called from the connection threads) ------------------------------------

    def _record_request(self, request: RecordedRequest) -> None:
        with self._requests_changed:
            self._requests.append(request)
            self._requests_changed.notify_all()

    def _record_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)

    def _answer(self, request: RecordedRequest) -> tuple[Reply, Fault | None]:
        with self._lock:
            routes = self._routes
            entry = (
                routes.get((request.method, request.path)) or routes.get(("*", request.path))
                if routes
                else None
            )
            if entry is None and self._queue:
                entry = self._queue.popleft()
        where = f"{request.method} {request.target}"
        if entry is None:
            return error_reply(500, f"no reply queued for {where}"), None
        if not isinstance(entry, Reply | Fault):
            try:
                result: object = entry(request)
            except Exception as exc:
                self._record_error(exc)
                return error_reply(500, f"handler for {where} raised {exc!r}"), None
            if not isinstance(result, Reply | Fault):
                error = TypeError(f"handler for {where} returned {type(result).__name__}")
                self._record_error(error)
                return error_reply(500, str(error)), None
            entry = result
        if isinstance(entry, Reply):
            return entry, None
        return entry.reply or error_reply(500, "fault without reply"), entry
