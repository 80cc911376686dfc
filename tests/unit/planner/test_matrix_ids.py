"""The plan's GitHub outputs carry what the workflow needs to behave the same on GitHub
and under act (issue 18): `has-matrix` for the run job's `if:`, and an `id` per matrix
entry for artifact names (act leaves `strategy.job-index` empty)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import GitRepo, read_github_output

from tiered_ci.cli import main
from tiered_ci.report import matrix_id


def github_outputs(repo: GitRepo, output: Path) -> dict[str, str]:
    output.unlink(missing_ok=True)
    assert main(["plan", "--format", "github", "--repo", str(repo.path)]) == 0
    return read_github_output(output.read_text(encoding="utf-8"))


def test_sharded_entries_of_one_session_get_distinct_safe_ids() -> None:
    entries = [
        {"session": "unit", "args": "--ignore=tests/unit/d0 --shard=1/2"},
        {"session": "unit", "args": "--ignore=tests/unit/d0 --shard=2/2"},
        {"session": "domain-shard(d0)", "args": "", "python": "3.12"},
    ]
    ids = [matrix_id(n, e) for n, e in enumerate(entries, 1)]
    assert len(set(ids)) == len(ids)
    # Artifact names may not hold " : < > | * ? \\ / or line breaks.
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", i) for i in ids)
    assert ids[2] == "3-domain-shard-d0-3.12"


def test_outputs_say_whether_the_matrix_has_entries(
    project: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    project.write("docs/guide.md", "more\n")
    project.commit("docs only")
    values = github_outputs(project, output)
    assert json.loads(values["matrix"]) == {"include": []}
    assert values["has-matrix"] == "false"

    project.write("src/app/d0/a.py", "A = 3\n")
    project.write("src/app/d1/b.py", "B = 3\n")
    project.commit("two domains")
    values = github_outputs(project, output)
    include = json.loads(values["matrix"])["include"]
    assert values["has-matrix"] == "true"
    assert [e["id"] for e in include] == [matrix_id(n, e) for n, e in enumerate(include, 1)]
    assert len({e["id"] for e in include}) == len(include) > 1
