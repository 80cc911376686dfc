"""The backing-service runner on real processes: PostgreSQL and Redis as local
`command` services, readiness failures, stops on SIGINT and SIGTERM, the compose and
image commands (through a stand-in `docker` that records what it is asked), and the
error when no container engine runs.

Leftovers are found as tests/backing_support.py says: a marker variable of the test's
own in the services' environment, and the folders the services ran in.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backing_support import leftovers, service_folders
from support import PROJECT_ROOT

from tiered_ci import config
from tiered_ci.backing import containers, worker
from tiered_ci.backing.model import BackingService, ServiceError
from tiered_ci.backing.runner import Services, choose_source

pytestmark = pytest.mark.integration

EXAMPLE = PROJECT_ROOT / "examples" / "backing-services" / "pyproject.toml"
# Plain sh: as root the service runs as `nobody`, who may not reach this checkout's venv.
SLEEPER = ["sh", "-c", "echo booting; exec sleep 300"]


def example_services() -> dict[str, BackingService]:
    return dict(config.load(EXAMPLE.parent).backing)


@pytest.fixture
def marker() -> str:
    return uuid.uuid4().hex


def environ(marker: str) -> dict[str, str]:
    return {**os.environ, "LEFTOVER_MARKER": marker}


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
    assert match
    return int(match.group(1))


def psql(url: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", url, "--no-psqlrc", "--tuples-only", "--no-align", "--command", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def redis(url_port: int, *command: str) -> bytes:
    """One RESP command over a socket: no client library needed."""
    with socket.create_connection(("127.0.0.1", url_port), timeout=5) as sock:
        parts = [f"*{len(command)}\r\n".encode()]
        parts += [f"${len(c)}\r\n{c}\r\n".encode() for c in command]
        sock.sendall(b"".join(parts))
        return sock.recv(1024)


@pytest.fixture
def services_running(tmp_path: Path, marker: str) -> Iterator[Services]:
    assert shutil.which("redis-server"), "redis-server is missing: apt-get install redis-server"
    said: list[str] = []
    running = Services(
        list(example_services().values()),
        root=tmp_path,
        logs=tmp_path / "logs",
        say=said.append,
        environ=environ(marker),
    )
    with running:
        folders = service_folders("\n".join(said))
        assert len(folders) == 2
        assert leftovers(marker, folders)  # postgres and redis work in them
        yield running
    assert leftovers(marker, folders) == []


def test_postgres_and_redis_start_as_local_processes(services_running: Services) -> None:
    env = services_running.env
    assert re.fullmatch(r"postgresql://postgres@127\.0\.0\.1:\d+/shop_main", env["DATABASE_URL"])
    port = int(env["REDIS_URL"].rpartition(":")[2].partition("/")[0])
    assert redis(port, "PING") == b"+PONG\r\n"
    server = env["DATABASE_URL"].rpartition("/")[0] + "/postgres"
    assert psql(server, "SELECT 1") == "1"


def test_as_root_the_server_runs_as_the_run_as_user(services_running: Services) -> None:
    """postgres refuses root: run as root, the service drops to `nobody`; as a normal user
    it runs as that user."""
    server = services_running.env["DATABASE_URL"].rpartition("/")[0] + "/postgres"
    data = Path(psql(server, "SHOW data_directory"))
    postmaster = int((data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
    expected = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert uid_of(postmaster) == expected


def test_two_workers_get_two_databases(services_running: Services) -> None:
    """gw0 and gw1 each finish their own DATABASE_URL and create their database; a row
    written through one URL is not in the other database."""
    urls = {}
    for worker_id in ("gw0", "gw1"):
        env = {**os.environ, **services_running.env, "PYTEST_XDIST_WORKER": worker_id}
        worker.apply_environment(env)
        assert worker.run_setup(env) is None
        urls[worker_id] = env["DATABASE_URL"]
    assert urls["gw0"].endswith("/shop_gw0")
    assert urls["gw1"].endswith("/shop_gw1")
    psql(urls["gw0"], "CREATE TABLE marks (n int); INSERT INTO marks VALUES (7)")
    assert psql(urls["gw0"], "SELECT n FROM marks") == "7"
    assert psql(urls["gw1"], "SELECT to_regclass('marks') IS NULL") == "t"


def service(extra: dict[str, Any] | None = None, **keys: Any) -> BackingService:
    """A `slow` service: the sleeper, with these keys (`extra` for hyphenated ones)."""
    table = {"backing-services": {"slow": {"command": SLEEPER, **keys, **(extra or {})}}}
    return config.parse(table, root=Path()).backing["slow"]


def test_a_service_that_never_gets_ready_fails_naming_the_check_and_output(
    tmp_path: Path, marker: str
) -> None:
    running = Services(
        [service({"timeout-seconds": 1})],
        root=tmp_path,
        logs=tmp_path / "logs",
        say=lambda _: None,
        environ=environ(marker),
    )
    with pytest.raises(ServiceError) as caught, running:
        pytest.fail("never reached")
    message = str(caught.value)
    assert re.match(
        r"backing service 'slow' was not ready within 1 s: the check 'TCP 127\.0\.0\.1:\d+ "
        r"accepts a connection' last said: .*[Cc]onnection refused.*; the service's last output:\n",
        message,
    )
    assert message.endswith(
        "booting\nRaise timeout-seconds, or fix the service's command or ready-command"
    )
    assert leftovers(marker, []) == []  # sh and sleep keep their environment


def test_a_service_that_exits_fails_at_once_with_its_output(tmp_path: Path, marker: str) -> None:
    quitter = ["sh", "-c", "echo bad config line 3; exit 3"]
    running = Services(
        [service({"timeout-seconds": 300}, command=quitter)],
        root=tmp_path,
        logs=tmp_path / "logs",
        say=lambda _: None,
        environ=environ(marker),
    )
    with (
        pytest.raises(
            ServiceError,
            match=r"(?s)'slow' exited with code 3 before it was ready.*bad config line 3",
        ),
        running,
    ):
        pass
    assert leftovers(marker, []) == []


def test_a_missing_program_names_the_install_and_path_fix(tmp_path: Path) -> None:
    running = Services(
        [service(command=["no-such-server-xyz"])], root=tmp_path, logs=tmp_path, say=print
    )
    with (
        pytest.raises(
            ServiceError,
            match=r"program 'no-such-server-xyz' not found on PATH( \(as run-as user 'nobody'\))?; install it .* or list its folder in tool\.tiered-ci\.backing-services\.slow\.path",
        ),
        running,
    ):
        pass


def test_a_server_already_on_the_fixed_port_is_used_as_is(tmp_path: Path) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        said: list[str] = []
        running = Services(
            [service(port=port, env={"URL": "x://{host}:{port}"})],
            root=tmp_path,
            logs=tmp_path,
            say=said.append,
        )
        with running:
            assert running.env["URL"] == f"x://127.0.0.1:{port}"
    assert said == [f"backing service slow: already reachable on 127.0.0.1:{port}: used as is"]


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tiered_ci import config
    from tiered_ci.backing.runner import Services
    services = list(config.load(Path(sys.argv[1])).backing.values())
    with Services(services, root=Path(sys.argv[2]), logs=Path(sys.argv[2])) as running:
        print("up", flush=True)
        time.sleep(300)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_stops_every_service(
    tmp_path: Path, marker: str, sig: signal.Signals
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(EXAMPLE.parent), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(marker),
    )
    try:
        assert holder.stdout is not None
        announced = [holder.stdout.readline() for _ in range(3)]
        assert announced[-1] == "up\n", announced
        folders = service_folders("".join(announced))
        assert len(folders) == 2
        running = leftovers(marker, folders)
        assert sum("postgres" in line for line in running) >= 3, running  # it and its forks
        holder.send_signal(sig)
        _, err = holder.communicate(timeout=60)
    finally:
        if holder.poll() is None:  # a failed assertion above: still stop what it started
            holder.send_signal(signal.SIGINT)
            holder.communicate(timeout=60)
    assert holder.returncode != 0
    assert "KeyboardInterrupt" in err
    assert leftovers(marker, folders) == []


def test_a_killed_run_takes_its_services_along(tmp_path: Path, marker: str) -> None:
    """SIGKILL gives tiered-ci no chance to stop anything: the services get their stop
    signal from the kernel (Linux's parent-death signal) and end on their own."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(EXAMPLE.parent), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(marker),
    )
    with holder:
        assert holder.stdout is not None
        announced = [holder.stdout.readline() for _ in range(3)]
        assert announced[-1] == "up\n", announced
        folders = service_folders("".join(announced))
        assert len(folders) == 2
        holder.kill()
        holder.communicate(timeout=60)
    for _ in range(300):  # postgres's fast shutdown, redis's exit: well under a second
        if not leftovers(marker, folders):
            break
        time.sleep(0.1)
    assert leftovers(marker, folders) == []
    for folder in folders:  # nobody removed the folders: the kernel only sent the signal
        shutil.rmtree(folder, ignore_errors=True)


# --- containers: the commands, their environment, and no engine ----------------------

FAKE_DOCKER = """#!/bin/sh
# Records each call (argv and one variable of its environment) and answers like docker.
printf '%s\\n' "$*" >> "$DOCKER_CALLS"
printf 'env %s\\n' "$APP_SECRET" >> "$DOCKER_CALLS"
case "$*" in
  "info "*) echo 27.0.1 ;;
  *" port "*) echo "0.0.0.0:49153"; echo "[::]:49153" ;;
esac
"""


@pytest.fixture
def fake_docker(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER, encoding="utf-8")
    docker.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_CALLS": str(tmp_path / "calls"),
        "APP_SECRET": "s3cret",
    }


def test_a_compose_service_runs_up_wait_port_and_rm(
    tmp_path: Path, fake_docker: dict[str, str]
) -> None:
    (tmp_path / "compose.yaml").write_text("services: {db: {image: postgres}}\n")
    table = {"compose": "db", "container-port": 5432, "env": {"URL": "pg://{host}:{port}/x"}}
    db = config.parse({"backing-services": {"db": table}}, root=tmp_path).backing["db"]
    said: list[str] = []
    with Services(
        [db], root=tmp_path, logs=tmp_path / "logs", say=said.append, environ=fake_docker
    ) as running:
        assert running.env["URL"] == "pg://127.0.0.1:49153/x"
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [
        "info --format {{.ServerVersion}}",
        "env s3cret",
        "compose --file compose.yaml ps --status running --quiet db",
        "env s3cret",
        "compose --file compose.yaml up --wait --wait-timeout 30 db",
        "env s3cret",
        "compose --file compose.yaml port db 5432",
        "env s3cret",
        "compose --file compose.yaml rm --force --stop --volumes db",
        "env s3cret",
    ]
    assert said[0].startswith("backing service db: compose ready on 127.0.0.1:49153 after ")
    assert said[0].endswith(
        "(the compose file's health check (docker compose up --wait)); log: "
        + str(tmp_path / "logs" / "db.log")
    )


def test_an_image_service_runs_publishes_and_removes(tmp_path: Path) -> None:
    table = {"image": "redis:7", "container-port": 6379, "container-env": {"A": "b"}}
    cache = config.parse({"backing-services": {"cache": table}}, root=tmp_path).backing["cache"]
    assert containers.image_run_argv(cache, "tiered-ci-cache-1") == (
        "docker", "run", "--detach", "--rm", "--name", "tiered-ci-cache-1",
        "--publish", "127.0.0.1::6379", "--env", "A=b", "redis:7",
    )  # fmt: skip
    assert containers.image_port_argv(cache, "tiered-ci-cache-1") == (
        "docker",
        "port",
        "tiered-ci-cache-1",
        "6379",
    )
    assert containers.image_stop_argv("tiered-ci-cache-1") == (
        "docker",
        "rm",
        "--force",
        "--volumes",
        "tiered-ci-cache-1",
    )
    assert containers.published_port("0.0.0.0:49153\n[::]:49153\n") == 49153


def test_without_an_engine_a_compose_only_service_names_the_command_alternative(
    tmp_path: Path,
) -> None:
    """The machine's own docker: a client without a daemon (or none at all)."""
    problem = containers.engine_problem(os.environ)
    assert problem is not None, "a container engine runs here: this test is for machines without"
    db = config.parse(
        {"backing-services": {"db": {"compose": "db", "container-port": 5432}}}, root=tmp_path
    ).backing["db"]
    with (
        pytest.raises(ServiceError) as caught,
        Services([db], root=tmp_path, logs=tmp_path, say=print),
    ):
        pass
    assert str(caught.value) == (
        f"backing service 'db': compose = 'db' needs a container engine, and none runs here "
        f"({problem}); start one, or add a local command to [tool.tiered-ci.backing-services.db] "
        "(command = [...], a process tiered-ci starts on a free port; docs/configuration.md "
        "shows postgres and redis)"
    )
    both = BackingService("db", compose="db", container_port=5432, command=("postgres",))
    assert choose_source(both, problem) == "command"
    assert choose_source(both, None) == "compose"


def test_the_session_environment_is_json_the_workers_read(services_running: Services) -> None:
    setup = json.loads(services_running.env["TIERED_CI_WORKER_SETUP"])
    assert [step["service"] for step in setup] == ["db"]
    assert setup[0]["argv"][-1] == "shop_{worker}"
