"""A scripted LM Studio SDK server on 127.0.0.1: what ``lmstudio`` 1.5.0 says for a count.

It speaks what the SDK sends (read from its source): ``GET /lmstudio-greeting`` (the probe,
answered ``{"lmstudio": true}``), then a WebSocket on ``/llm`` whose first message is the auth
packet (``authVersion``, ``clientIdentifier``, ``clientPasskey``) answered ``{"success": ...}``,
then ``rpcCall`` messages (``endpoint``, ``callId``, ``parameter``) answered ``rpcResult`` or
``rpcError``. ``listLoaded`` lists ``loaded``; ``countTokens`` counts its ``inputString`` with a
toy tokenizer (words and punctuation marks), so no hard-coded answer can pass a test.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

_MAX_MESSAGES = 50  # per connection: every loop here is bounded
_RECV_TIMEOUT = 5.0


def toy_count(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


@dataclass
class SDKServer:
    loaded: list[str]
    refuse_auth: bool = False
    fail_count: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    api_host: str = ""

    def _probe(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/lmstudio-greeting":
            return connection.respond(200, json.dumps({"lmstudio": True}))
        if request.path != "/llm":
            return connection.respond(404, "no such namespace")
        return None

    def _answer(self, message: dict[str, Any]) -> dict[str, Any]:
        call = {"callId": message.get("callId")}
        endpoint = message.get("endpoint")
        if endpoint == "listLoaded":
            infos = [{"type": "llm", "identifier": m, "modelKey": m} for m in self.loaded]
            return {"type": "rpcResult", **call, "result": infos}
        if endpoint == "countTokens" and not self.fail_count:
            param = message["parameter"]
            wanted = param["specifier"]["query"]["identifier"]
            if wanted in self.loaded:
                return {
                    "type": "rpcResult",
                    **call,
                    "result": {"tokenCount": toy_count(param["inputString"])},
                }
            error = {
                "title": f"No model found that matches the query {wanted}",
                "displayData": {"code": "generic.noModelMatchingQuery"},
            }
            return {"type": "rpcError", **call, "error": error}
        return {"type": "rpcError", **call, "error": {"title": f"{endpoint} failed"}}

    def _session(self, ws: ServerConnection) -> None:
        auth = json.loads(ws.recv(timeout=_RECV_TIMEOUT))
        self.received.append(auth)
        if self.refuse_auth:
            ws.send(json.dumps({"success": False, "error": {"title": "Authentication refused"}}))
            return
        ws.send(json.dumps({"success": True}))
        for _ in range(_MAX_MESSAGES):
            try:
                message = json.loads(ws.recv(timeout=_RECV_TIMEOUT))
            except Exception:  # closed by the client, or idle past the bound
                return
            self.received.append(message)
            if message.get("type") == "rpcCall":
                ws.send(json.dumps(self._answer(message)))

    @property
    def calls(self) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == "rpcCall"]


@contextmanager
def sdk_server(loaded: list[str], **kw: Any) -> Iterator[SDKServer]:
    script = SDKServer(loaded=loaded, **kw)
    server = serve(script._session, "127.0.0.1", 0, process_request=script._probe)
    port = server.socket.getsockname()[1]
    script.api_host = f"127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        thread.join(timeout=10)
