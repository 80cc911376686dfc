"""File and config names never become workflow commands, markup or diagram code (S3, S4).

The end-to-end tests run the CLI in a subprocess on a real repository whose
committed file names carry a newline and `::error ...`, as `shared/repro/S3_*`
and `S4_*` do, and read stdout, stderr and the step summary as the runner would.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import GitRepo, cli_env

from tiered_ci import escape

HOSTILE = "zz\n::error title=Build failed::fake annotation from a file name\nx"
HOSTILE_API = "services/api/y\n::warning::from build log\nz"


def commands_in(text: str) -> list[str]:
    """Lines the Actions runner would run as workflow commands (leading space is trimmed)."""
    return [line for line in text.splitlines() if line.lstrip().startswith(("::", "##["))]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiered_ci", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        check=False,
    )


@pytest.fixture
def hostile(project: GitRepo) -> GitRepo:
    project.write(HOSTILE, "x")
    project.write(HOSTILE_API, "x")
    project.commit("hostile names")
    return project


@pytest.mark.critical
def test_plan_logs_hold_no_workflow_command(hostile: GitRepo, tmp_path: Path) -> None:
    output = tmp_path / "out"
    proc = run_cli(
        *("plan", "--format", "github", "--explain", "--repo", str(hostile.path)),
        env={"GITHUB_OUTPUT": str(output)},
    )

    assert proc.returncode == 0, proc.stderr
    assert commands_in(proc.stdout + proc.stderr) == []
    assert "zz\\n::error title=Build failed::fake annotation from a file name\\nx" in proc.stdout


def test_build_log_holds_no_workflow_command(hostile: GitRepo) -> None:
    proc = run_cli(
        "build", "--base", "main", "--dry-run", "--builder", "podman", "--repo", str(hostile.path)
    )

    assert proc.returncode == 0, proc.stderr
    assert commands_in(proc.stdout + proc.stderr) == []


def test_an_error_message_holds_no_workflow_command(tmp_path: Path) -> None:
    filters = tmp_path / "f.yml"
    filters.write_text('"::error::x": ["**"]\n')

    proc = run_cli("filter", "--filters", str(filters), "--repo", str(tmp_path))

    assert proc.returncode == 2
    assert commands_in(proc.stdout + proc.stderr) == []


def test_step_summary_renders_html_in_a_file_name_as_text(project: GitRepo, tmp_path: Path) -> None:
    name = 'src/app/d0/<a href="https:&#x2F;&#x2F;evil.example">Re-run failed jobs<\\a>.py'
    project.write(name, "x")
    project.commit("html")
    output, summary = tmp_path / "out", tmp_path / "summary.md"

    proc = run_cli(
        *("plan", "--format", "github", "--repo", str(project.path)),
        env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert proc.returncode == 0, proc.stderr
    row = next(line for line in summary.read_text().splitlines() if "domain:d0" in line)
    assert row == f"| `domain:d0` | yes | `{name} (added) matches domains.d0.paths[0]` |"


def test_domain_names_stay_inside_their_mermaid_label(project: GitRepo, tmp_path: Path) -> None:
    config = (project.path / "pyproject.toml").read_text()
    evil = 'x"]\n  click s1 "https://evil.example"\n  y["`<img src=x>`'.replace("\n", " ")
    project.write("pyproject.toml", config.replace("domains.d0]", f"domains.'{evil}']"))
    project.write("src/app/d0/a.py", "A = 5\n")
    project.commit("hostile domain name")
    output, summary = tmp_path / "out", tmp_path / "summary.md"

    proc = run_cli(
        *("plan", "--format", "github", "--base", "main", "--repo", str(project.path)),
        env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert proc.returncode == 0, proc.stderr
    page = summary.read_text()
    assert page.count("```") == 2
    diagram = page.split("```mermaid\n")[1].split("```")[0]
    for line in diagram.splitlines()[1:]:
        # every line is `  A --> B["label"]` or `  A["label"]`, each label free of quotes
        assert re.fullmatch(r'  \w+(?: --> \w+)?\["[^"\[\]`<>\n]*"\]', line), line


# --- the pure escapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("bell\x07", "bell\\x07"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("line\u2028sep", "line\\x2028sep"),
        ("plain/päth ü.py", "plain/päth ü.py"),
    ],
)
def test_inline_keeps_text_on_one_line(text: str, shown: str) -> None:
    assert escape.inline(text) == shown


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("::error::x", "\\::error::x"),
        ("   ::add-mask::secret", "   \\::add-mask::secret"),
        ("##[group]x", "\\##[group]x"),
        ("a ::error:: mid-line", "a ::error:: mid-line"),
        (":single", ":single"),
    ],
)
def test_log_line_neutralises_a_command_start(line: str, shown: str) -> None:
    assert escape.log_line(line) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a|b", "`a\\|b`"),
        ("x`y", "``x`y``"),
        ("`start", "`` `start ``"),
        ("<b>bold</b>", "`<b>bold</b>`"),
        ("two\nlines", "`two\\nlines`"),
    ],
)
def test_markdown_code_is_literal(text: str, shown: str) -> None:
    assert escape.markdown_code(text) == shown


def test_mermaid_label_keeps_plain_text_and_encodes_the_rest() -> None:
    assert escape.mermaid_label("domain-shard(api)") == "domain-shard(api)"
    assert escape.mermaid_label('a"]\n`<x>') == "a#34;#93;#10;#96;#60;x#62;"
    assert escape.mermaid_id("a-b.c d") == "a_b_c_d"


def test_guarded_stream_sees_a_command_split_across_writes() -> None:
    sink = io.StringIO()
    stream = escape.GuardedStream(sink)
    for chunk in ["ok line\n  :", ":error::x\n", ":", "partial"]:
        stream.write(chunk)
        stream.flush()  # a flush of `  :` or `:` must not commit the line start
    stream.close()

    assert sink.getvalue() == "ok line\n  \\::error::x\n:partial"
    assert commands_in(sink.getvalue()) == []
