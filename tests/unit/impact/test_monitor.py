"""sys.monitoring's lines per context are coverage.py's, line for line (Python 3.12+).

Below 3.12 these tests skip here; tests/e2e/test_impact_monitor.py runs them under a
3.12+ interpreter of the machine, so CI on 3.11 runs them too.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tiered_ci.impact import executed, monitor

pytestmark = [
    pytest.mark.skipif(not monitor.AVAILABLE, reason="sys.monitoring is Python 3.12+"),
    # The comparisons make coverage.Coverage objects of their own.
    pytest.mark.unmeasured,
]

WORKLOAD = """\
import asyncio

LIMIT = [n
         for n in range(2)]


def shared(x):
    if x > 1:
        return x * 2
    return x


def gen(n):
    for i in range(n):
        yield i
    yield -1


async def coro(x):
    await asyncio.sleep(0)
    return x + 1


class Made:
    kind = "made"
    size = len(kind)

    def method(self):
        return [v * 2 for v in range(3)]


def decorated(f):
    def wrapper(*args):
        return f(*args)
    return wrapper


@decorated
def wrapped(a,
            b):
    total = (a +
             b)
    return total


def raising():
    try:
        raise ValueError("x")
    except ValueError:
        caught = True
    finally:
        done = True
    return caught and done


def looping():
    n = 0
    while n < 3:
        n += 1
    return n


def switching(contexts, into):
    first = shared(1)
    contexts.switch(into)  # this frame goes on running in the next context
    second = shared(3)
    return first + second


def resumed(contexts, into):
    g = gen(3)
    next(g)
    contexts.switch(into)
    return list(g)  # the same generator frame, resumed in the next context


def threaded():
    import threading
    out = []
    t = threading.Thread(target=lambda: out.append(shared(9)))
    t.start()
    t.join()
    return out


def executed_code(path):
    namespace = {}
    exec(compile("a = 1\\nif a:\\n    b = 2\\n", path, "exec"), namespace)
    exec("c = 3", namespace)  # <string>: no file, measured by neither
    return namespace
"""

Lines = dict[str, dict[int, set[str]]]


def _module(folder: Path, name: str, file: str = "workload.py") -> ModuleType:
    path = folder / file
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _workload(kept: executed.Contexts, folder: Path, name: str) -> None:
    kept.switch("import")
    module = _module(folder, name)  # module and class bodies
    # The same text in another file: its code objects compare equal to the first's.
    twin = _module(folder, f"{name}_twin", "twin.py")
    kept.switch("a")
    module.shared(1)
    assert module.wrapped(1, 2) == 3
    assert module.raising()
    kept.switch("b")
    module.shared(5)
    assert module.looping() == 3
    assert module.Made().method() == [0, 2, 4]
    assert asyncio.run(module.coro(1)) == 2
    kept.switch("a")  # a context run twice holds both runs' lines
    module.shared(7)
    module.switching(kept, "c")
    kept.switch("d")
    assert module.resumed(kept, "e") == [1, 2, -1]
    kept.switch("t")
    assert module.threaded() == [18]
    kept.switch("x")
    assert module.executed_code(str(folder / "compiled.py"))["c"] == 3
    kept.switch("twin")
    assert twin.shared(1) == 1
    kept.switch("a")


def _found(kept: executed.Contexts, folder: Path) -> Lines:
    data = kept.read()
    return {
        Path(name).relative_to(folder).as_posix(): {
            line: set(ran) for line, ran in data.contexts_by_lineno(name).items()
        }
        for name in data.measured_files()
    }


def _with_coverage(folder: Path) -> Lines:
    import coverage  # noqa: PLC0415 - only these comparisons need it

    from tiered_ci.impact import record  # noqa: PLC0415

    cov = coverage.Coverage(data_file=None, config_file=False, include=[f"{folder}/*"])
    record.trace_core(cov)
    cov.start()
    kept = executed.for_coverage(cov)
    try:
        _workload(kept, folder, "monitor_workload_coverage")
    finally:
        kept.stop()
    return _found(kept, folder)


def _inside(folder: Path) -> Callable[[str], bool]:
    prefix = f"{folder}/"
    return lambda name: name.startswith(prefix)


def _with_monitor(folder: Path) -> Lines:
    kept = monitor.MonitorContexts(_inside(folder))
    try:
        _workload(kept, folder, "monitor_workload_monitor")
    finally:
        kept.stop()
    return _found(kept, folder)


def _folder(tmp_path: Path, name: str) -> Path:
    folder = (tmp_path / name).resolve()
    folder.mkdir(parents=True)
    (folder / "workload.py").write_text(WORKLOAD, encoding="utf-8")
    (folder / "twin.py").write_text(WORKLOAD, encoding="utf-8")
    return folder


def test_monitor_records_the_lines_coverage_records(tmp_path: Path) -> None:
    with_coverage = _with_coverage(_folder(tmp_path, "coverage"))
    with_monitor = _with_monitor(_folder(tmp_path, "monitor"))
    assert with_monitor == with_coverage
    lines = with_monitor["workload.py"]
    assert lines[1] == {"import"}  # module body
    assert lines[4] == {"import"}  # a comprehension's second line at import
    assert lines[25] == {"import"}  # class body
    assert lines[9] == {"b", "a", "c", "t"}  # shared's `x * 2`
    assert lines[10] == {"a"}  # shared's `return x`: only ever x == 1, in a
    assert lines[65] == {"a"}  # switching: one frame, two contexts
    assert lines[66] == {"c"}
    assert lines[73] == {"d"}  # the switch, then...
    assert lines[16] == {"e"}  # ...a generator frame resumed after the switch
    assert lines[15] == {"d", "e"}  # the generator's loop, in both contexts
    assert lines[21] == {"b"}  # a coroutine
    assert lines[42] == {"a"}  # an expression's second line
    assert with_monitor["compiled.py"] == {1: {"x"}, 2: {"x"}, 3: {"x"}}
    twin = with_monitor["twin.py"]
    assert twin[1] == {"import"}
    assert twin[8] == twin[10] == {"twin"}
    assert lines[8] == {"a", "b", "c", "t"}


def test_a_second_recording_in_the_same_process_sees_the_lines_again(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "twice")
    first = _with_monitor(folder)
    sys.modules.pop("monitor_workload_monitor", None)
    assert _with_monitor(folder) == first


def test_foreign_code_is_not_measured(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "foreign")
    kept = monitor.MonitorContexts(lambda _: False)
    try:
        _workload(kept, folder, "monitor_workload_foreign")
    finally:
        kept.stop()
    assert list(kept.read().measured_files()) == []


def test_a_thread_started_before_the_recording_is_measured(tmp_path: Path) -> None:
    """Unlike coverage's trace function (set for threads started after it), sys.monitoring
    reaches threads that were running already: their lines go to the current context."""
    folder = _folder(tmp_path, "thread")
    module = _module(folder, "monitor_workload_thread")
    go, done = threading.Event(), threading.Event()
    out: list[int] = []

    def work() -> None:
        go.wait()
        out.append(module.shared(4))
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    kept = monitor.MonitorContexts(_inside(folder))
    try:
        kept.switch("while the thread runs")
        go.set()
        assert done.wait(30)
        kept.switch("after")
    finally:
        kept.stop()
        thread.join()
    lines = _found(kept, folder)["workload.py"]
    assert lines[9] == {"while the thread runs"}


def test_lines_of_other_processes_join_their_context(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "add")
    kept = monitor.MonitorContexts(_inside(folder))
    kept.stop()
    kept.add({"child": {str(folder / "workload.py"): [1, 2]}, "empty": {}})
    assert _found(kept, folder) == {"workload.py": {1: {"child"}, 2: {"child"}}}


def test_tool_ids_in_use_are_never_taken(tmp_path: Path) -> None:
    monitoring: Any = getattr(sys, "monitoring")  # noqa: B009 - absent before 3.12 (mypy)
    taken = [tool for tool in monitor.TOOL_IDS if monitoring.get_tool(tool) is None]
    for tool in taken:
        monitoring.use_tool_id(tool, "someone else")
    try:
        assert monitor.free_tool() is None
        with pytest.raises(monitor.NoToolError, match=r"every sys\.monitoring tool id is taken"):
            monitor.MonitorContexts(_inside(tmp_path))
    finally:
        for tool in taken:
            monitoring.free_tool_id(tool)
    kept = monitor.MonitorContexts(_inside(tmp_path))
    try:
        assert monitoring.get_tool(kept.tool) == "tiered-ci impact"
        assert kept.tool == taken[0]
    finally:
        kept.stop()
    assert monitoring.get_tool(kept.tool) is None


def test_a_file_name_no_file_can_have_is_not_measured_and_breaks_nothing(tmp_path: Path) -> None:
    code = compile("x = 1\n", str(tmp_path / "code.py"), "exec")
    odd = code.replace(co_filename=str(tmp_path / "co\0de.py"))
    kept = monitor.MonitorContexts(_inside(tmp_path))
    namespace: dict[str, int] = {}
    try:
        kept.switch("a")
        exec(odd, namespace)  # noqa: S102 - the point of the test
        exec(code, namespace)  # noqa: S102
    finally:
        kept.stop()
    assert namespace["x"] == 1
    assert _found(kept, tmp_path.resolve()) == {"code.py": {1: {"a"}}}


def test_a_test_taking_sys_getframe_away_breaks_nothing(tmp_path: Path) -> None:
    """attrs tests its fallback for interpreters without `sys._getframe` by deleting it;
    code first run meanwhile (attrs compiles methods) is judged all the same."""
    folder = tmp_path.resolve()
    code = compile("x = 1\n", str(folder / "made.py"), "exec")
    kept = monitor.MonitorContexts(_inside(folder))
    getframe = sys._getframe
    namespace: dict[str, int] = {}
    try:
        kept.switch("a")
        del sys._getframe
        try:
            exec(code, namespace)  # noqa: S102 - the point of the test
        finally:
            sys._getframe = getframe
    finally:
        kept.stop()
    assert namespace["x"] == 1
    assert _found(kept, folder) == {"made.py": {1: {"a"}}}


ONE_LINERS = """\
twice = lambda x: x * 2


def one(): return 1


def uses_a_generator(values):
    return any(v > 1 for v in values)
"""


def test_one_line_code_is_seen_in_every_context(tmp_path: Path) -> None:
    """Python 3.13 raises no LINE event again on a line that shares its code object's
    RESUME line: the monitor notes those lines from PY_START (`monitor._resume_line`)."""
    folder = tmp_path.resolve()
    (folder / "one.py").write_text(ONE_LINERS, encoding="utf-8")
    kept = monitor.MonitorContexts(_inside(folder))
    try:
        kept.switch("import")
        module = _module(folder, "monitor_one_liners", "one.py")
        for context in ("a", "b"):
            kept.switch(context)
            assert module.twice(2) == 4
            assert module.one() == 1
            assert module.uses_a_generator([1, 2])
        kept.switch("after")
    finally:
        kept.stop()
    lines = _found(kept, folder)["one.py"]
    assert lines[1] == lines[4] == {"import", "a", "b"}  # the statement, then the body
    assert lines[8] == {"a", "b"}
