"""The HTTP seam: where bytes are sent.

The transport protocol and the built-in transports (httpx2, the standard library), their
registration, SSE framing, and the deadlines (``Timeouts``) a transport enforces.
"""
