"""The example's own test suite passes, run the way its noxfile runs pytest (in its folder)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "examples" / "monorepo"


@pytest.mark.integration
def test_example_suite_passes() -> None:
    """The example's own tests, run the way its noxfile runs them (pytest in its folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the source tree
    result = subprocess.run(
        (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"),
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    assert "failed" not in summary
    assert "skipped" not in summary
