"""Method + path template routing: `/invoices/{invoice_id}` binds `invoice_id`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def from_target(cls, method: str, target: str, body: bytes = b"") -> Request:
        """Split a target (`/a?b=1`) into path and query; a repeated key keeps its last value."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return cls(method.upper(), parts.path or "/", query, {}, body)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"


Handler = Callable[[Request], Response]


class HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler


def compile_template(template: str) -> re.Pattern[str]:
    if not template.startswith("/"):
        raise ValueError(f"route {template!r}: must start with '/'")
    pattern, pos = "", 0
    for match in _PARAM.finditer(template):
        pattern += re.escape(template[pos : match.start()]) + f"(?P<{match.group(1)}>[^/]+)"
        pos = match.end()
    return re.compile(pattern + re.escape(template[pos:]))


class Router:
    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        method = method.upper()
        if any(r.method == method and r.template == template for r in self._routes):
            raise ValueError(f"route {method} {template} is already registered")
        self._routes.append(_Route(method, template, compile_template(template), handler))

    def resolve(self, request: Request) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters, or HTTPError 404 / 405 (with an Allow header)."""
        allowed: list[str] = []
        for route in self._routes:
            match = route.regex.fullmatch(request.path)
            if match is None:
                continue
            if route.method == request.method:
                return route.handler, match.groupdict()
            allowed.append(route.method)
        if allowed:
            raise HTTPError(405, "method not allowed", {"Allow": ", ".join(sorted(allowed))})
        raise HTTPError(404, f"no route for {request.path}")

    def dispatch(self, request: Request) -> Response:
        handler, params = self.resolve(request)
        return handler(Request(request.method, request.path, request.query, params, request.body))
