"""The scripted server's sockets: a loopback listener, one bounded thread per connection.

Threads rather than an event loop because replies block on purpose (delays, stalls) and a
thread per connection keeps each script step a plain sequence of ``sendall`` calls; the
count is capped (connections past the cap wait in the listen backlog) and every blocking
point wakes up on ``stop()``: waits use an Event, sockets are shut down under the threads.

This module knows nothing of the script: each request read is handed to ``on_request`` (to
be recorded) and then to ``answer`` (which picks the reply), and the reply is written by
``write_reply``. ``ScriptedServer`` supplies those callbacks.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import time
from collections.abc import Callable

from ._http import (
    Limits,
    ProtocolError,
    RecordedRequest,
    RequestReader,
    close_gracefully,
    close_lingering,
)
from ._reply_writer import Outcome, error_reply, write_reply
from ._script import Fault, Reply

__all__ = ["Connections"]


class Connections:
    """Accepts connections on ``host:port`` and serves each on its own thread until stopped.

    ``answer`` maps a request to the reply to send (and the fault plan, if any); ``on_request``
    sees every request before it is answered; ``on_error`` receives exceptions raised inside
    the server, which would otherwise vanish with their thread.
    """

    def __init__(
        self,
        *,
        limits: Limits,
        idle_timeout: float,
        max_requests: int,
        max_connections: int,
        stop_timeout: float,
        answer: Callable[[RecordedRequest], tuple[Reply, Fault | None]],
        on_request: Callable[[RecordedRequest], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._limits = limits
        self._idle_timeout = idle_timeout
        self._max_requests = max_requests
        self._stop_timeout = stop_timeout
        self._answer = answer
        self._on_request = on_request
        self._record_error = on_error
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._connections: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._connection_count = 0
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._accept_thread: threading.Thread | None = None
        self._port = 0

    @property
    def count(self) -> int:
        """TCP connections accepted so far."""
        with self._lock:
            return self._connection_count

    def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port) and start accepting; the bound port."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if os.name == "posix":  # rebind right after stop() despite TIME_WAIT leftovers
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
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
        self._accept_thread.start()
        return self._port

    def stop(self) -> tuple[list[str], bool]:
        """Close the listener and every connection, join all threads within the stop timeout.

        Returns the names of the connection threads still running and whether the accepting
        thread is, so that the caller can warn about a handler that never returns.
        """
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
        accepting = self._accept_thread is not None and self._accept_thread.is_alive()
        return stuck, accepting

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
        outcome: Outcome = "close"
        try:
            reader = RequestReader(sock, self._limits, number)
            for _ in range(self._max_requests):
                if self._stopping.is_set():
                    break
                try:
                    request = reader.read()
                except ProtocolError as exc:
                    refusal = error_reply(exc.status, exc.message, close=True)
                    write_reply(sock, None, refusal, None, self._stopping)
                    outcome = "linger"
                    break
                except (OSError, EOFError):
                    break
                if request is None:
                    break
                self._on_request(request)
                reply, plan = self._answer(request)
                outcome = write_reply(sock, request, reply, plan, self._stopping)
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
