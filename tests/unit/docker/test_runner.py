"""The subprocess helper and the parallel job runner (real subprocesses, fake builders)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from tiered_ci.errors import CommandFailed
from tiered_ci.images import builders as docker


def test_run_returns_combined_output(tmp_path: Path) -> None:
    argv = (
        sys.executable,
        "-c",
        "import sys; print('out', flush=True); print('err', file=sys.stderr)",
    )
    assert docker.run(argv, cwd=tmp_path, env={}).splitlines() == ["out", "err"]


def test_run_failure_carries_argv_code_and_output(tmp_path: Path) -> None:
    argv = (sys.executable, "-c", "print('step 2 failed'); raise SystemExit(7)")
    with pytest.raises(CommandFailed) as info:
        docker.run(argv, cwd=tmp_path, env={})
    assert (info.value.argv, info.value.returncode) == (argv, 7)
    assert info.value.output == "step 2 failed\n"


def test_run_missing_program_is_a_command_failure(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed) as info:
        docker.run(("tiered-ci-no-such-builder", "build"), cwd=tmp_path, env={})
    assert info.value.returncode == 127
    assert info.value.output.startswith("tiered-ci-no-such-builder: ")


class FakeBuilder:
    """Executes argv like a builder would: records order and overlap, fails on request."""

    def __init__(
        self,
        failing: set[str],
        seconds: float = 0.05,
        together: threading.Barrier | None = None,
    ) -> None:
        self.failing = failing
        self.seconds = seconds
        # Jobs that must be running at the same moment meet here: the overlap is then
        # certain, not a matter of sleeps on a loaded machine (a timeout fails the test).
        self.together = together
        self.order: list[str] = []
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, argv: docker.Argv) -> str:
        name = argv[-1]
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        if self.together is not None and name != "top":
            self.together.wait(timeout=30)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
            self.order.append(name)
        if name in self.failing:
            raise CommandFailed(argv, 1, f"error building {name}\n")
        return f"built {name}\n"


def job(name: str, *needs: str) -> docker.Job:
    return docker.Job(name, (name,), (("build", name),), needs)


@pytest.mark.critical
def test_independent_jobs_run_in_parallel_and_dependants_wait() -> None:
    fake = FakeBuilder(set(), together=threading.Barrier(3))
    jobs = [job("base"), job("a"), job("b"), job("top", "base", "a")]
    outcomes = docker.run_jobs(jobs, fake, workers=3)
    assert [o.ok for o in outcomes] == [True, True, True, True]
    assert fake.peak == 3
    assert fake.order[-1] == "top"
    assert outcomes[3].output == "built top\n"


def test_workers_bound_the_parallelism() -> None:
    fake = FakeBuilder(set())
    docker.run_jobs([job(n) for n in "abcd"], fake, workers=1)
    assert fake.peak == 1


@pytest.mark.critical
def test_a_failure_skips_its_dependants_and_the_others_still_finish() -> None:
    fake = FakeBuilder({"base"})
    seen: list[str] = []
    jobs = [job("base"), job("other"), job("mid", "base"), job("top", "mid")]
    outcomes = docker.run_jobs(jobs, fake, workers=2, on_done=lambda o: seen.append(o.job.name))
    by_name = {o.job.name: o for o in outcomes}
    assert by_name["other"].ok
    assert (by_name["base"].ok, by_name["base"].returncode) == (False, 1)
    assert by_name["base"].output == "error building base\n"
    assert by_name["base"].failed_command == ("build", "base")
    assert by_name["mid"].skipped == "base failed"
    assert by_name["top"].skipped == "mid failed"
    assert sorted(seen) == ["base", "mid", "other", "top"]
    assert sorted(fake.order) == ["base", "other"]


def test_later_commands_of_a_job_stop_at_the_first_failure() -> None:
    fake = FakeBuilder({"push-x"}, seconds=0)
    jobs = [docker.Job("x", ("x",), (("build", "x"), ("push", "push-x"), ("push", "never")))]
    (outcome,) = docker.run_jobs(jobs, fake, workers=1)
    assert fake.order == ["x", "push-x"]
    assert outcome.output == "built x\nerror building push-x\n"


def test_unschedulable_needs_never_hang() -> None:
    (outcome,) = docker.run_jobs([job("x", "ghost")], FakeBuilder(set()), workers=1)
    assert outcome.skipped == "its dependencies are not scheduled"
