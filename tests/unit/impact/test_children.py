"""Judging child processes: which start is Python, which report is whose, what stays `spawn`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tiered_ci.impact import audit, store
from tiered_ci.impact.children import Report, judge

PY = ["/usr/bin/python3", "-c", "import pkg"]


def _report(token: str, argv: list[str], **fields: object) -> Report:
    raw: dict[str, object] = {
        "token": token,
        "argv": argv,
        "lines": {},
        "files": [],
        "children": [],
        "unmeasured": False,
    }
    raw.update(fields)
    report = Report.parse(json.dumps(raw))
    assert report is not None
    return report


def test_a_python_start_with_its_report_is_measured() -> None:
    reports = [
        _report("s1", PY, lines={"/r/pkg/a.py": [1, 2]}, files=["data/x.csv"]),
    ]
    found = judge(reports, {"s1": "test:t"}, [("test:t", "s1", tuple(PY))])
    assert found.lines == {"test:t": {"/r/pkg/a.py": {1, 2}}}
    assert found.units == {"test:t": {"file:data/x.csv"}}


def test_a_start_without_its_report_is_spawn() -> None:
    found = judge([], {"s1": "test:t"}, [("test:t", "s1", tuple(PY))])
    assert found.units == {"test:t": {store.SPAWN}}


def test_a_report_of_another_process_under_the_token_does_not_count() -> None:
    # multiprocessing's child inherits the token but runs other arguments.
    other = ["/usr/bin/python3", "-c", "from multiprocessing.spawn import spawn_main", "--x"]
    found = judge(
        [_report("s1", other, lines={"/r/a.py": [3]})],
        {"s1": "test:t"},
        [("test:t", "s1", tuple(PY))],
    )
    assert found.units == {"test:t": {store.SPAWN}}
    assert found.lines == {"test:t": {"/r/a.py": {3}}}  # what it ran counts all the same


def test_each_start_needs_a_report_of_its_own() -> None:
    # Two alike starts under the context's token, one report (the other was killed).
    expected = [("test:t", "c0", tuple(PY)), ("test:t", "c0", tuple(PY))]
    assert judge([_report("c0", PY)], {"c0": "test:t"}, expected).units == {"test:t": {store.SPAWN}}
    both = [_report("c0", PY), _report("c0", PY)]
    assert judge(both, {"c0": "test:t"}, expected).units == {"test:t": set()}


def test_an_inherited_token_is_used_only_when_os_environ_holds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawner = audit.Spawner(audit.Repository(str(tmp_path)), "/run/folder")
    argv = [sys.executable, "-c", "pass"]
    monkeypatch.setenv(audit.CHILD_VAR, "/run/folder")
    monkeypatch.setenv(audit.TOKEN_VAR, "c4")
    popen = (sys.executable, argv, None, None)
    assert spawner.started("subprocess.Popen", popen, "s1", "c4") == ("c4", tuple(argv))
    assert os.environ[audit.TOKEN_VAR] == "c4"  # os.environ is left as it was
    # A token of another context (a test restored an old copy of os.environ): the
    # child would be charged there, so it is not counted as measured here.
    assert spawner.started("subprocess.Popen", popen, "s2", "c5") == audit.UNMEASURED


def test_a_childs_own_starts_are_judged_too() -> None:
    inner = ["/usr/bin/python3", "-c", "import b"]
    parent = _report("s1", PY, children=[["s1/7.1", inner], ["s1/7.2", inner]])
    grandchild = _report("s1/7.1", inner, lines={"/r/b.py": [1]})
    found = judge([parent, grandchild], {"s1": "test:t"}, [("test:t", "s1", tuple(PY))])
    assert found.lines["test:t"] == {"/r/b.py": {1}}
    assert found.units == {"test:t": {store.SPAWN}}  # s1/7.2 never reported


def test_an_unmeasured_report_is_spawn_and_an_unknown_token_is_ignored() -> None:
    found = judge(
        [_report("s1", PY, unmeasured=True), _report("x9", PY, lines={"/r/a.py": [1]})],
        {"s1": "fixture:db#0"},
        [("fixture:db#0", "s1", tuple(PY))],
    )
    assert found.units == {"fixture:db#0": {store.SPAWN}}
    assert "/r/a.py" not in str(found.lines)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"token": "s1"}',
        json.dumps(
            {"token": 1, "argv": [], "lines": {}, "files": [], "children": [], "unmeasured": False}
        ),
        json.dumps(
            {
                "token": "s1",
                "argv": [],
                "lines": {"a": ["1"]},
                "files": [],
                "children": [],
                "unmeasured": False,
            }
        ),
    ],
)
def test_a_malformed_report_is_left_out(text: str) -> None:
    assert Report.parse(text) is None


@pytest.mark.parametrize(
    ("expected", "argv", "same"),
    [
        (PY, PY, True),
        (PY, ["/venv/bin/python", "-c", "import pkg"], True),  # argv[0] is the caller's name
        (["tool", "--x"], ["/venv/bin/python", "/venv/bin/tool", "--x"], True),  # a #! script
        (["tool"], ["/venv/bin/python", "/venv/bin/tool"], True),
        (["tool"], ["/venv/bin/python", "-c", "spawn_main()", "--multiprocessing-fork"], False),
        (PY, ["/usr/bin/python3", "-c", "import other"], False),
        (["sh", "-c", "python -c x"], ["python", "-c", "x"], False),
    ],
)
def test_a_report_is_the_start_when_it_ran_its_arguments(
    expected: list[str], argv: list[str], same: bool
) -> None:
    assert audit.started_by(expected, argv) is same


def test_python_is_known_by_name_or_by_its_shebang(tmp_path: Path) -> None:
    for name in ("python", "python3", "python3.12", "python3.13t", "pypy3"):
        assert audit.is_python(name, "", None), name  # not on this PATH: by name
    for name in ("python3-config", "sh", "uv", "pythonista"):
        assert not audit.is_python(name, "", None), name
    assert audit.is_python(sys.executable, None, None)
    lines = {
        "python": '#!/usr/bin/env bash\nexec pyenv exec python "$@"\n',  # a shim
        "tool": f"#!{sys.executable}\n",
        "env-tool": "#!/usr/bin/env python3\n",
        "shell": '#!/bin/sh\nexec python3 "$0"\n',
        "uv-tool": "#!/usr/bin/env -S uv run python\n",
        "plain": "print(1)\n",
    }
    for name, first in lines.items():
        (tmp_path / name).write_text(first)
        (tmp_path / name).chmod(0o755)
    found = {name: audit.is_python(name, str(tmp_path), None) for name in lines}
    assert found == {
        "python": False,
        "tool": True,
        "env-tool": True,
        "shell": False,
        "uv-tool": False,
        "plain": False,
    }
    assert audit.is_python(f".{os.sep}tool", None, str(tmp_path))  # relative to the cwd


def test_a_popen_env_copied_from_the_run_gets_the_token_and_the_folder(tmp_path: Path) -> None:
    spawner = audit.Spawner(audit.Repository(str(tmp_path)), "/run/folder")
    env = {audit.CHILD_VAR: "/run/folder", "PYTHONPATH": "src"}
    argv = [sys.executable, "-c", "pass"]
    found = spawner.started("subprocess.Popen", (sys.executable, argv, None, env), "s3", "c0")
    assert found == ("s3", tuple(argv))
    assert env[audit.TOKEN_VAR] == "s3"
    assert env["PYTHONPATH"] == os.pathsep.join(["/run/folder", "src"])
    # The same start through posix_spawn is not a second one.
    assert (
        spawner.started("os.posix_spawn", (sys.executable, argv, env), "s4", "c0") == audit.IGNORE
    )


def test_an_env_of_the_tests_own_making_is_left_alone(tmp_path: Path) -> None:
    spawner = audit.Spawner(audit.Repository(str(tmp_path)), "/run/folder")
    env = {"PATH": "/usr/bin"}
    argv = [sys.executable, "-c", "pass"]
    found = spawner.started("subprocess.Popen", (sys.executable, argv, None, env), "s1", "c0")
    assert found == audit.UNMEASURED
    assert env == {"PATH": "/usr/bin"}


@pytest.mark.parametrize(
    ("event", "args", "found"),
    [
        ("subprocess.Popen", ("git", ["git", "status"], None, None), audit.IGNORE),
        (
            "subprocess.Popen",
            ("/bin/sh", ["/bin/sh", "-c", "python x.py"], None, None),
            audit.UNMEASURED,
        ),
        ("os.fork", (), audit.UNMEASURED),
        ("os.system", ("python -c pass",), audit.UNMEASURED),
        ("os.posix_spawn", (sys.executable, [sys.executable], {}), audit.UNMEASURED),
    ],
)
def test_other_starts_are_ignored_or_unmeasured(
    tmp_path: Path, event: str, args: tuple[object, ...], found: str
) -> None:
    spawner = audit.Spawner(audit.Repository(str(tmp_path)), "/run/folder")
    assert spawner.started(event, args, "s1", "c0") == found
