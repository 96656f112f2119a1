"""The scripted server: a loopback listener, one bounded thread per connection.

Threads rather than an event loop because replies block on purpose (delays, stalls) and a
thread per connection keeps each script step a plain sequence of ``sendall`` calls; the
count is capped (connections past the cap wait in the listen backlog) and every blocking
point wakes up on ``stop()``: waits use an Event, sockets are shut down under the threads.
The server runs in its own threads, so sync and async clients can both talk to it.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from typing import Literal, TypeAlias

from ._http import (
    Limits,
    ProtocolError,
    RecordedRequest,
    RequestReader,
    chunk,
    close_gracefully,
    close_lingering,
    encode_head,
    reason_phrase,
    reset,
    wait_until_sent,
)
from ._script import Fault, Reply

__all__ = ["Entry", "Handler", "ScriptedServer", "free_port"]

Handler: TypeAlias = Callable[[RecordedRequest], "Reply | Fault"]
Entry: TypeAlias = "Reply | Fault | Handler"
_Outcome = Literal["keep", "close", "linger", "gone"]

HOST = "127.0.0.1"
_NO_BODY = frozenset({204, 304})
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that need one given)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _identity(data: bytes) -> bytes:
    return data


def _error_reply(status: int, message: str, *, close: bool = False) -> Reply:
    body = {"error": {"message": f"scripted server: {message}", "type": "scripted_server"}}
    headers = {"connection": "close"} if close else None
    return Reply.json(body, status=status, headers=headers, close_after=close)


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
        self._idle_timeout = idle_timeout
        self._stop_timeout = stop_timeout
        self._max_requests = max_requests_per_connection
        self._limits = Limits(
            max_header_bytes=max_header_bytes,
            max_headers=max_headers,
            max_body_bytes=max_body_bytes,
            request_timeout=idle_timeout,
        )
        self._lock = threading.Lock()
        self._requests_changed = threading.Condition(self._lock)
        self._queue: deque[Entry] = deque()
        self._routes: dict[tuple[str, str], Entry] = {}
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._connections: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._connection_count = 0
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._accept_thread: threading.Thread | None = None
        self._port = 0
        self._state: Literal["new", "running", "stopped"] = "new"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        if self._state != "new":
            raise RuntimeError(f"server is {self._state}; create a new one instead")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if os.name == "posix":  # rebind right after stop() despite TIME_WAIT leftovers
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, self._requested_port))
            listener.listen(1024)
            listener.setblocking(False)
            wake = socket.socketpair()
        except BaseException:
            listener.close()
            raise
        for sock in wake:
            sock.setblocking(False)
        self._listener, self._wake = listener, wake
        self._port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"ScriptedServer:{self._port}", daemon=True
        )
        self._state = "running"
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection, join all threads (bounded); idempotent."""
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopped"
        self._stopping.set()
        deadline = time.monotonic() + self._stop_timeout
        if self._wake is not None:
            try:
                self._wake[1].send(b"x")
            except OSError:
                pass
        if self._accept_thread is not None:
            self._accept_thread.join(self._stop_timeout)
        if self._listener is not None:
            self._listener.close()
        for sock in self._wake or ():
            sock.close()
        with self._lock:
            live = list(self._connections.values())
            threads = list(self._threads)
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv/sendall
            except OSError:
                pass
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck or (self._accept_thread is not None and self._accept_thread.is_alive()):
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
        with self._lock:
            return self._connection_count

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

    # -- accepting -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake
        if listener is None or wake is None:
            return
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ, "listen")
        selector.register(wake[0], selectors.EVENT_READ, "wake")
        try:
            while not self._stopping.is_set():
                # A free slot first: at the cap, new connections wait in the listen backlog.
                if not self._slots.acquire(timeout=0.1):
                    continue
                accepted = False
                try:
                    events = selector.select(timeout=1.0)
                    if any(key.data == "wake" for key, _ in events) or not events:
                        continue
                    try:
                        sock, _ = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError as exc:  # e.g. EMFILE: back off instead of spinning
                        self._record_error(exc)
                        self._stopping.wait(0.05)
                        continue
                    accepted = self._spawn(sock)
                finally:
                    if not accepted:
                        self._slots.release()
        finally:
            selector.close()

    def _spawn(self, sock: socket.socket) -> bool:
        try:
            sock.settimeout(self._idle_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # the client is already gone
            sock.close()
            return False
        with self._lock:
            if self._stopping.is_set():
                sock.close()
                return False
            self._connection_count += 1
            number = self._connection_count
            self._connections[number] = sock
            thread = threading.Thread(
                target=self._serve,
                args=(sock, number),
                name=f"ScriptedServer:{self._port}#{number}",
                daemon=True,
            )
            # Finished threads are dropped here, not by themselves: a thread that removed
            # itself would still be running for a moment, unseen by stop()'s join.
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)
        try:
            thread.start()
        except RuntimeError as exc:  # out of threads: refuse this one, keep accepting
            with self._lock:
                self._connections.pop(number, None)
                self._threads.discard(thread)
            sock.close()
            self._record_error(exc)
            return False
        return True

    # -- serving ---------------------------------------------------------------------------

    def _serve(self, sock: socket.socket, number: int) -> None:
        outcome: _Outcome = "close"
        try:
            reader = RequestReader(sock, self._limits, number)
            for _ in range(self._max_requests):
                if self._stopping.is_set():
                    break
                try:
                    request = reader.read()
                except ProtocolError as exc:
                    refusal = _error_reply(exc.status, exc.message, close=True)
                    self._send(sock, None, refusal, None)
                    outcome = "linger"
                    break
                except (OSError, EOFError):
                    break
                if request is None:
                    break
                with self._requests_changed:
                    self._requests.append(request)
                    self._requests_changed.notify_all()
                reply, plan = self._answer(request)
                outcome = self._send(sock, request, reply, plan)
                if outcome != "keep":
                    break
        except OSError:
            pass  # the client went away mid-reply: its problem to observe, not ours
        except Exception as exc:  # a bug here must surface in the test, not vanish with a thread
            self._record_error(exc)
        finally:
            # Closed before it leaves the registry, so stop() can still cut a lingering close
            # short; a shutdown() racing with close() only meets an already-closed socket.
            if outcome == "linger":
                close_lingering(sock)
            elif outcome != "gone":
                close_gracefully(sock)
            with self._lock:
                self._connections.pop(number, None)
            self._slots.release()

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
            return _error_reply(500, f"no reply queued for {where}"), None
        if not isinstance(entry, Reply | Fault):
            try:
                result: object = entry(request)
            except Exception as exc:
                self._record_error(exc)
                return _error_reply(500, f"handler for {where} raised {exc!r}"), None
            if not isinstance(result, Reply | Fault):
                error = TypeError(f"handler for {where} returned {type(result).__name__}")
                self._record_error(error)
                return _error_reply(500, str(error)), None
            entry = result
        if isinstance(entry, Reply):
            return entry, None
        return entry.reply or _error_reply(500, "fault without reply"), entry

    @staticmethod
    def _head(reply: Reply, chunked: bool, closing: bool) -> bytes:
        headers = [(k, v) for k, v in reply.headers if k.lower() not in _FRAMING]
        names = {k.lower() for k, _ in headers}
        if reply.content_type is not None and "content-type" not in names:
            headers.append(("content-type", reply.content_type))
        status = reply.status_code
        if status >= 200 and status not in _NO_BODY:
            if chunked:
                headers.append(("transfer-encoding", "chunked"))
            elif reply.chunks is None:
                headers.append(("content-length", str(len(reply.body))))
        if closing and "connection" not in names:
            headers.append(("connection", "close"))
        return encode_head(status, reply.reason or reason_phrase(status), headers)

    def _send(
        self, sock: socket.socket, request: RecordedRequest | None, reply: Reply, plan: Fault | None
    ) -> _Outcome:
        stopping = self._stopping
        if plan is not None:
            if plan.first_byte_delay and stopping.wait(plan.first_byte_delay):
                return "close"
            if plan.before_headers == "reset":
                reset(sock)
                return "gone"
            if plan.before_headers == "close":
                return "close"
            if plan.raw is not None:
                sock.sendall(plan.raw)
                return "close"
        http11 = request is None or request.http_version == "HTTP/1.1"
        client_conn = request.headers.get("connection", "").lower() if request else ""
        client_close = "close" in client_conn or (not http11 and "keep-alive" not in client_conn)
        announced = any(
            k.lower() == "connection" and "close" in v.lower() for k, v in reply.headers
        )
        streamed = reply.chunks is not None
        # HTTP/1.0 has no chunked encoding: stream the raw pieces and close to end the body.
        chunked = streamed and http11
        closing = reply.close_connection or announced or client_close or (streamed and not http11)
        head = self._head(reply, chunked, client_close or (streamed and not http11))
        outcome: _Outcome = "close" if closing else "keep"
        no_body = (request is not None and request.method == "HEAD") or (
            reply.status_code < 200 or reply.status_code in _NO_BODY
        )
        if no_body:
            pieces: tuple[bytes, ...] = ()
        elif reply.chunks is not None:
            pieces = reply.chunks
        else:
            pieces = (reply.body,) if reply.body else ()
        encode: Callable[[bytes], bytes] = chunk if chunked else _identity
        terminator = b"0\r\n\r\n" if chunked and not no_body else b""
        delay = reply.chunk_delay

        if plan is None:  # the hot path: no per-position checks
            if not streamed:
                sock.sendall(head + pieces[0] if pieces else head)
                return outcome
            sock.sendall(head)
            for i, piece in enumerate(pieces):
                if i and delay and stopping.wait(delay):
                    return "close"
                sock.sendall(encode(piece))
            if terminator:
                sock.sendall(terminator)
            return outcome

        inserts: dict[int, list[bytes]] = {}
        for at, line in plan.inserts:
            inserts.setdefault(min(at, len(pieces)), []).append(line)
        stalls: dict[int, float] = {}
        for at, seconds in plan.stalls:
            stalls[min(at, len(pieces))] = stalls.get(min(at, len(pieces)), 0.0) + seconds
        cut = None if plan.cut_after is None else min(plan.cut_after, len(pieces))

        def step(position: int) -> _Outcome | None:
            for line in inserts.get(position, ()):
                sock.sendall(encode(line))
            pause = stalls.get(position)
            if pause and stopping.wait(pause):
                return "close"
            if cut == position:
                if plan.cut_with == "reset":
                    wait_until_sent(sock, stopping, 1.0)
                    reset(sock)
                    return "gone"
                return "close"
            return None

        sock.sendall(head)
        for i, piece in enumerate(pieces):
            ended = step(i)
            if ended is not None:
                return ended
            if i and delay and stopping.wait(delay):
                return "close"
            sock.sendall(encode(piece))
        ended = step(len(pieces))
        if ended is not None:
            return ended
        if terminator:
            sock.sendall(terminator)
        return outcome
