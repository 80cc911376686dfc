"""Per test worker: its own `{worker}` environment, and its `worker-setup` once.

Runs inside each pytest process (the plugin calls it): with pytest-xdist every
worker (`gw0`, `gw1`, ...) finishes the templates a session exported in
`render.WORKER_ENV` with its own id, so `DATABASE_URL = ".../app_{worker}"` points
each worker at its own database, and runs the services' `worker-setup` commands
(`createdb app_{worker}`) before its first test. Without xdist the id is `main`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import MutableMapping

from tiered_ci.backing import render

__all__ = ["SETUP_TIMEOUT", "apply_environment", "run_setup"]

SETUP_TIMEOUT = 120.0  # seconds one worker-setup command may take


def apply_environment(environ: MutableMapping[str, str]) -> str:
    """Finish every `{worker}` template in `environ`; returns the worker id."""
    worker = render.worker_id(environ)
    templates = json.loads(environ.get(render.WORKER_ENV) or "{}")
    for name, template in templates.items():
        environ[name] = render.finish(template, worker)
    return worker


def run_setup(environ: MutableMapping[str, str]) -> str | None:
    """Run the `worker-setup` commands for this worker; None, or what failed and why."""
    worker = render.worker_id(environ)
    for step in json.loads(environ.get(render.WORKER_SETUP) or "[]"):
        argv = [render.finish(part, worker) for part in step["argv"]]
        where = f"backing service {step['service']!r}: worker-setup for worker {worker}"
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                check=False,
                env=dict(environ),
                timeout=SETUP_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{where}: {subprocess.list2cmdline(argv)}: {exc}"
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()[-2000:]
            return (
                f"{where}: {subprocess.list2cmdline(argv)} exited {done.returncode}: "
                f"{output or '(no output)'}"
            )
    return None
