"""A pyproject.toml change is judged by the tables it touches (`tiered_ci.pyproject`).

`run-all = ["pyproject.toml"]` makes every change to it run everything; a change
to a linter's table alone runs no tests, and the plan says so in a note.
"""

from __future__ import annotations

import pytest
from planner_fixtures import CONFIG, PlanRunner
from support import GitRepo

from tiered_ci.cli import main
from tiered_ci.pyproject import lint_only_note


def _edit(project: GitRepo, text: str) -> None:
    project.write("pyproject.toml", text)
    project.commit("edit pyproject")


@pytest.mark.critical
def test_a_linter_table_change_runs_no_tests_and_says_why(
    project: GitRepo, plan: PlanRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(project, CONFIG + "\n[tool.ruff]\nline-length = 120\n")

    result = plan(project, "--base", "main")

    assert result["mode"] == "none"
    assert result["domains"] == []
    assert [s for s in result["sessions"] if s != "quick"] == []
    text = ["plan", "--format", "text", "--explain", "--repo", str(project.path), "--base", "main"]
    assert main(text) == 0
    assert (
        "pyproject.toml: changed only [tool.ruff], which no test reads: it runs no tests "
        "(the quick session lints every change)"
    ) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("addition", "why"),
    [
        ('\n[tool.pytest.ini_options]\naddopts = "-x"\n', "pytest's own settings"),
        ("\n[tool.ruff]\nline-length = 90\n\n[tool.coverage.run]\nbranch = true\n", "mixed"),
    ],
)
def test_any_other_table_still_runs_everything(
    project: GitRepo, plan: PlanRunner, addition: str, why: str
) -> None:
    _edit(project, CONFIG + addition)

    result = plan(project, "--base", "main")

    assert result["mode"] == "all", why
    assert result["fallback_reason"] == "pyproject.toml is a global input (run-all[0])"


def test_the_planners_own_table_and_broken_toml_run_everything(
    project: GitRepo, plan: PlanRunner
) -> None:
    _edit(project, CONFIG.replace('ignore = ["**/*.md", "docs/**"]', 'ignore = ["**/*.md"]'))
    assert plan(project, "--base", "main")["mode"] == "all"


def test_lint_only_note_is_pure_over_texts() -> None:
    before = '[project]\nname = "a"\n\n[tool.pyright]\nstrict = []\n'
    assert lint_only_note("p/pyproject.toml", before, before.replace("[]", '["src"]')) == (
        "p/pyproject.toml: changed only [tool.pyright], which no test reads: it runs no tests "
        "(the quick session lints every change)"
    )
    assert lint_only_note("pyproject.toml", before, "# a comment\n" + before) == (
        "pyproject.toml: changed only comments or layout: it runs no tests "
        "(the quick session lints every change)"
    )
    assert lint_only_note("pyproject.toml", before, before.replace('"a"', '"b"')) is None
    assert lint_only_note("pyproject.toml", before, "[project\n") is None  # unreadable
    assert lint_only_note("pyproject.toml", None, before) is None  # added
