"""Serve a Router with the standard library's threading HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from app.d0_gateway.router import HTTPError, Request, Response, Router

MAX_BODY = 1 << 20  # requests above 1 MiB are refused before reading them


def error_response(exc: HTTPError) -> Response:
    return Response(exc.status, json.dumps({"error": exc.message}).encode())


def _handler_class(router: Router) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            headers: dict[str, str] = {}
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise HTTPError(413, f"body over {MAX_BODY} bytes")
                body = self.rfile.read(length) if length else b""
                request = Request.from_target(self.command, self.path, body)
                response = router.dispatch(request)
            except HTTPError as exc:
                response, headers = error_response(exc), exc.headers
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
            del format, args  # keep test output clean; production logs at the proxy

    return Handler


class RunningServer:
    """A server on a background thread; use as a context manager."""

    def __init__(self, router: Router, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler_class(router))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        # A short poll interval keeps shutdown() fast (the default waits up to 0.5 s).
        self._server.serve_forever(poll_interval=0.05)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RunningServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
