"""Templates and the environment the tests get: pure functions over plain data.

Rendering happens in two stages. When a service has started, `{host}`, `{port}`,
`{dir}` and `{name}` are known and filled in (`render`). `{worker}` is known only
inside each pytest process: a template that still holds it travels to the test
workers in `WORKER_ENV` and is finished there by `tiered_ci.backing.worker`
(`finish`), which also unescapes `{{` and `}}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

__all__ = [
    "MAIN_WORKER",
    "WORKER_ENV",
    "WORKER_SETUP",
    "finish",
    "render",
    "session_environment",
    "worker_id",
]

# JSON {variable: template still holding {worker}} and [{"service", "argv"}]: what the
# pytest plugin renders per worker (tiered_ci.backing.worker).
WORKER_ENV = "TIERED_CI_WORKER_ENV"
WORKER_SETUP = "TIERED_CI_WORKER_SETUP"
MAIN_WORKER = "main"  # `{worker}` without pytest-xdist
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill in the `{names}` that `values` has; leave every other field and escape as is."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name is not None and name in values else match.group(0)

    return _FIELD.sub(one, text)


def finish(text: str, worker: str) -> str:
    """The last stage: `{worker}` filled in, `{{` and `}}` turned into braces."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "worker":
            return worker
        return {"{{": "{", "}}": "}"}.get(match.group(0), match.group(0))

    return _FIELD.sub(one, text)


def worker_id(environ: Mapping[str, str]) -> str:
    """The xdist worker this process is (`gw0`, `gw1`, ...), else `main`."""
    return environ.get("PYTEST_XDIST_WORKER") or MAIN_WORKER


def session_environment(
    env: Mapping[str, str], setup: Sequence[tuple[str, tuple[str, ...]]]
) -> dict[str, str]:
    """The variables a session exports for its tests, from the services' rendered `env`
    and their `worker-setup` commands (both after `render`).

    A value without `{worker}` is final; one with it gets its `main` value (what a
    plain process sees) and travels in `WORKER_ENV` for each worker to finish.
    """
    out = {name: finish(text, MAIN_WORKER) for name, text in env.items()}
    templates = {name: text for name, text in env.items() if _has_worker(text)}
    if templates:
        out[WORKER_ENV] = json.dumps(templates, sort_keys=True)
    if setup:
        out[WORKER_SETUP] = json.dumps([{"service": s, "argv": list(a)} for s, a in setup])
    return out


def _has_worker(text: str) -> bool:
    return any(m.group(1) == "worker" for m in _FIELD.finditer(text))
