"""pytest plugin: `--shard=K/N` runs one duration-balanced shard; `--record-durations` measures.

Registered as the `tiered_ci` entry point in `pytest11`; without the package
installed, load it with `-p tiered_ci.pytest_plugin`. Option names avoid those of
pytest-split (`--splits`, `--group`, `--store-durations`, `--durations-path`,
`--splitting-algorithm`, `--clean-durations`) and of pytest's `--durations`,
so both plugins can be installed side by side.

Sharding happens in `pytest_collection_modifyitems` (trylast, after `-m` /
`-k` deselection), so the union of the N shards is exactly the selection. With
pytest-xdist every worker collects and splits on its own; the algorithm is
deterministic, so they agree, as xdist requires.

Recording keeps setup + call + teardown per test, but moves the time spent
in class-, module- and package-scoped fixtures out of whichever test happened
to trigger them and spreads it evenly over the tests of that scope that ran
in this process (see `_Recorder`). Session-scoped fixtures are left out: they
run once per shard and per worker whatever the split, which is what
`shard-overhead-seconds` stands for.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tiered_ci import config as ci_config
from tiered_ci import durations as store
from tiered_ci import shard
from tiered_ci.backing import render, worker
from tiered_ci.errors import CIError

__all__ = [
    "PATH_OPTIONS",
    "SPREAD_SCOPES",
    "WORKER_DURATIONS",
    "WORKER_SHARD",
    "parse_shard",
    "pytest_addoption",
    "pytest_configure",
]

WORKER_DURATIONS = "tiered_ci_durations"
WORKER_SHARD = "tiered_ci_shard"
PATH_OPTIONS = ("--shard-durations", "--record-durations-to", "--impact-record", "--impact-select")
SPREAD_SCOPES = frozenset({"class", "module", "package"})


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N; the message names the value and the allowed range."""
    k_text, slash, n_text = text.partition("/")
    if not (slash and k_text.strip().isdigit() and n_text.strip().isdigit()):
        raise pytest.UsageError(
            f"--shard={text}: expected K/N with whole numbers, 1 <= K <= N (e.g. --shard=1/4)"
        )
    k, n = int(k_text), int(n_text)
    if not 1 <= n <= shard.MAX_SHARDS:
        raise pytest.UsageError(
            f"--shard={text}: N must be between 1 and {shard.MAX_SHARDS}, got {n}"
        )
    if not 1 <= k <= n:
        raise pytest.UsageError(f"--shard={text}: K must be between 1 and {n}, got {k}")
    return k, n


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tiered-ci", "tiered-ci: duration-balanced shards")
    group.addoption(
        "--shard",
        metavar="K/N",
        help="run only shard K of N, balanced by recorded durations (after -m/-k selection)",
    )
    group.addoption(
        "--shard-durations",
        metavar="PATH",
        help="durations JSON, the pytest-split format (default: [tool.tiered-ci] durations, "
        "'.test_durations' in the rootdir); write --shard-durations=PATH with '='",
    )
    group.addoption(
        "--shard-group-by",
        choices=shard.GROUP_BY,
        default="test",
        help="keep each file or class in one shard: fixtures set up once, balance is coarser",
    )
    group.addoption(
        "--record-durations",
        action="store_true",
        help="at the end, merge this run's test durations into the --shard-durations file",
    )
    group.addoption(
        "--record-durations-to",
        metavar="PATH",
        help="at the end, write only this run's durations to PATH (for CI shard jobs to upload "
        "and combine with `tiered-ci durations merge`)",
    )
    impact = parser.getgroup("tiered-ci-impact", "tiered-ci: test impact selection")
    impact.addoption(
        "--impact-record",
        metavar="PATH",
        help="record what every test executes of this repository's code into an impact map "
        "at PATH (needs coverage); write --impact-record=PATH with '='",
    )
    impact.addoption(
        "--impact-select",
        metavar="FILE",
        help="run only the tests a `tiered-ci impact select` JSON selects, plus every test "
        "its map has never seen; write --impact-select=FILE with '='",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    # Start recording before the initial conftests import: what they run counts too.
    del parser
    _reject_separate_paths(tuple(args))
    # Before any conftest imports: a module that reads DATABASE_URL at import time
    # sees this worker's own database (`{worker}` of a backing service's env).
    worker.apply_environment(os.environ)
    path = getattr(early_config.known_args_namespace, "impact_record", None)
    if path:
        from tiered_ci.impact import record  # noqa: PLC0415 - coverage only when recording

        recorder = record.start(early_config.rootpath, Path(path).absolute())
        early_config.pluginmanager.register(recorder, "tiered-ci-impact-recorder")
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    _reject_separate_paths(config.invocation_params.args)
    _register_impact_selector(config)
    _register_shards(config)
    if os.environ.get(render.WORKER_SETUP) and not _is_xdist_controller(config):
        config.pluginmanager.register(_WorkerSetup(), "tiered-ci-worker-setup")


def _register_shards(config: pytest.Config) -> None:
    option = config.option
    shard_text: str | None = option.shard
    if shard_text is None and not option.record_durations and not option.record_durations_to:
        return
    path = _durations_path(config)
    if shard_text is not None:
        config.pluginmanager.register(
            _Sharder(parse_shard(shard_text), _load(path, missing_ok=True), option.shard_group_by),
            "tiered-ci-sharder",
        )
    if option.record_durations or option.record_durations_to:
        merge_into = _load(path, missing_ok=True) if option.record_durations else None
        config.pluginmanager.register(
            _Recorder(path, merge_into, option.record_durations_to), "tiered-ci-recorder"
        )


def _register_impact_selector(config: pytest.Config) -> None:
    # Registered before the sharder: pluggy runs an earlier-registered trylast hook
    # first, so the shards split the selected tests (and -m/-k ran before both).
    given: str | None = config.option.impact_select
    if given is not None:
        from tiered_ci.impact import run  # noqa: PLC0415

        config.pluginmanager.register(run.load(Path(given)), "tiered-ci-impact-selector")


def _reject_separate_paths(args: tuple[str, ...]) -> None:
    # pytest reads its args before plugins add options: in `--opt PATH` the PATH
    # is taken for a test path and can move the rootdir (DESIGN section 10).
    for arg in args:
        if arg in PATH_OPTIONS:
            raise pytest.UsageError(
                f"{arg}: write {arg}=PATH with '=': pytest reads a separate PATH as a test path"
            )


def _durations_path(config: pytest.Config) -> Path:
    given: str | None = config.option.shard_durations
    if given is not None:
        return Path(given)
    try:
        relative = ci_config.load(config.rootpath).durations
    except CIError as exc:
        raise pytest.UsageError(str(exc)) from None
    return config.rootpath / relative


def _load(path: Path, *, missing_ok: bool) -> dict[str, float]:
    if missing_ok and not path.exists():
        return {}
    try:
        return store.read(path)
    except CIError as exc:
        raise pytest.UsageError(str(exc)) from None


def _reload(path: Path, fallback: dict[str, float]) -> dict[str, float]:
    if not path.exists():
        return {}
    try:
        return store.read(path)
    except CIError:
        return fallback


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.has_plugin("dsession")


class _WorkerSetup:
    """The backing services' `worker-setup` commands, once per process, before its first
    test; when they fail, every test of this worker errors with what failed."""

    def __init__(self) -> None:
        self.done = False
        self.failure: str | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        del item
        if not self.done:
            self.done = True
            self.failure = worker.run_setup(os.environ)
        if self.failure is not None:
            pytest.fail(self.failure, pytrace=False)


# --- sharding ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ShardOutcome:
    index: int
    count: int
    selected: int  # tests this shard runs
    total: int  # tests in the selection, all shards together
    seconds: float
    makespan: float
    estimated: int
    durations_known: bool

    def line(self) -> str:
        where = f"tiered-ci: shard {self.index}/{self.count}"
        if not self.total:
            return f"{where}: the selection (paths, -m, -k) is empty"
        if not self.selected:
            return (
                f"{where} is empty by design: {self.total} selected test(s) fill fewer than "
                f"{self.count} shards; exit status 0 instead of pytest's 5 (no tests collected)"
            )
        note = f", {self.estimated} estimated" if self.estimated else ""
        if not self.durations_known:
            note = ", no durations recorded: balanced by count"
        return (
            f"{where}: {self.selected} of {self.total} selected tests, estimated "
            f"{self.seconds:.1f} s (slowest shard {self.makespan:.1f} s{note})"
        )


class _Sharder:
    def __init__(
        self, which: tuple[int, int], durations: dict[str, float], group_by: shard.GroupBy
    ) -> None:
        self.index, self.count = which
        self.durations = durations
        self.group_by = group_by
        self.outcome: _ShardOutcome | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        plan = shard.plan_shards(
            self.durations, self.count, (item.nodeid for item in items), self.group_by
        )
        chosen = plan.shards[self.index - 1]
        wanted = set(chosen.tests)
        keep = [item for item in items if item.nodeid in wanted]
        dropped = [item for item in items if item.nodeid not in wanted]
        self.outcome = _ShardOutcome(
            index=self.index,
            count=self.count,
            selected=len(keep),
            total=len(items),
            seconds=chosen.seconds,
            makespan=plan.makespan_seconds,
            estimated=sum(1 for t in plan.estimated if t in wanted),
            durations_known=bool(self.durations),
        )
        if dropped:
            items[:] = keep
            config.hook.pytest_deselected(items=dropped)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:  # noqa: ANN401, ARG002 - xdist's WorkerController; hook signature
        # The xdist controller does not collect; every worker reports the same outcome.
        if self.outcome is None and (raw := getattr(node, "workeroutput", {}).get(WORKER_SHARD)):
            self.outcome = _ShardOutcome(**raw)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if _is_xdist_worker(session.config) and self.outcome is not None:
            session.config.workeroutput[WORKER_SHARD] = {  # type: ignore[attr-defined]
                name: getattr(self.outcome, name) for name in _ShardOutcome.__slots__
            }
        outcome = self.outcome
        empty_by_design = outcome is not None and outcome.total and not outcome.selected
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and empty_by_design:
            # pytest-split #26/#95: exit 5 fails the CI job of a shard that is empty by design.
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.outcome is not None:
            terminalreporter.write_line(self.outcome.line())


# --- recording --------------------------------------------------------------------


class _Recorder:
    """Per-test setup + call + teardown, with shared fixture time spread over its scope.

    pytest-split charges a module fixture's setup to the first test of the
    module and its teardown to the last. That makes the measurement depend on
    which test ran first in a given shard or worker: after a split, another
    test becomes "first", its recorded time jumps, and the next split moves
    again. Spreading the fixture's time over the tests of its scope gives every
    test a share that does not depend on order, and the sum over a module
    still equals what the module cost.
    """

    def __init__(
        self, path: Path, merge_into: dict[str, float] | None, write_to: str | None
    ) -> None:
        self.path = path
        self.merge_into = merge_into
        self.write_to = Path(write_to) if write_to else None
        self.measured: dict[str, float] = {}
        self.moved: dict[str, float] = {}  # shared-fixture time taken out of a test
        # (scope node id, fixture name) -> seconds spent setting it up and tearing it down
        self.pools: dict[tuple[str, str], float] = {}
        self.members: dict[str, list[str]] = {}  # scope node id -> tests that ran under it
        self.fixtures: dict[str, frozenset[str]] = {}  # test -> fixtures it uses
        self.current: str | None = None
        self.stack: list[float] = []  # child time of fixture setups in progress
        self.from_workers: dict[str, float] = {}
        self.written: list[str] = []

    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        self.current = item.nodeid
        self.fixtures[item.nodeid] = frozenset(getattr(item, "fixturenames", ()))
        for node in item.listchain()[:-1]:
            self.members.setdefault(node.nodeid, []).append(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when in ("setup", "call", "teardown"):
            self.measured[report.nodeid] = self.measured.get(report.nodeid, 0.0) + report.duration

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, object, object]:
        if fixturedef.scope not in SPREAD_SCOPES:
            return (yield)
        key = (request.node.nodeid, fixturedef.argname)
        # Registered first, so it runs last when the fixture is finished.
        end = _Mark()
        fixturedef.addfinalizer(lambda: self._torn_down(key, end))
        self.stack.append(0.0)
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            elapsed = time.perf_counter() - start
            own = elapsed - self.stack.pop()
            if self.stack:
                self.stack[-1] += elapsed
            self._move(key, own)
            # Registered after the fixture's own teardown: it runs just before it.
            fixturedef.addfinalizer(end.start)

    def _torn_down(self, key: tuple[str, str], mark: _Mark) -> None:
        if mark.started is not None:
            self._move(key, time.perf_counter() - mark.started)

    def _move(self, key: tuple[str, str], seconds: float) -> None:
        self.pools[key] = self.pools.get(key, 0.0) + seconds
        if self.current is not None:
            self.moved[self.current] = self.moved.get(self.current, 0.0) + seconds

    def results(self) -> dict[str, float]:
        result = {
            test: max(0.0, seconds - self.moved.get(test, 0.0))
            for test, seconds in self.measured.items()
        }
        for (scope, name), pooled in self.pools.items():
            under = [t for t in self.members.get(scope, ()) if t in result]
            # Only the tests that use the fixture would set it up in a shard of their own;
            # a fixture fetched dynamically (request.getfixturevalue) is in none: share it.
            tests = [t for t in under if name in self.fixtures[t]] or under
            for test in tests:
                result[test] += pooled / len(tests)
        return {test: round(seconds, 6) for test, seconds in result.items()}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:  # noqa: ANN401, ARG002 - xdist's WorkerController; hook signature
        self.from_workers.update(getattr(node, "workeroutput", {}).get(WORKER_DURATIONS, {}))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        if _is_xdist_worker(config):
            config.workeroutput[WORKER_DURATIONS] = self.results()  # type: ignore[attr-defined]
            return
        measured = self.from_workers if _is_xdist_controller(config) else self.results()
        if self.write_to is not None:
            store.write(self.write_to, measured)
            self.written.append(
                f"tiered-ci: wrote {len(measured)} test durations to {self.write_to}"
            )
        if self.merge_into is not None:
            with store.locked(self.path):
                # Read again under the lock: another run may have recorded since this
                # one started (W10); the start's copy stands in for an unreadable file.
                current = _reload(self.path, self.merge_into)
                store.write(self.path, store.merge([current, measured]))
            self.written.append(
                f"tiered-ci: recorded {len(measured)} test durations in {self.path}"
            )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for line in self.written:
            terminalreporter.write_line(line)


class _Mark:
    """When a fixture's teardown started (set by a finalizer that runs just before it)."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started: float | None = None

    def start(self) -> None:
        self.started = time.perf_counter()
