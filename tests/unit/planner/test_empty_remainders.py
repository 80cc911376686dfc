"""A plan never emits a tier-wide session whose remainder holds no test (issue 18:
every partial push to main of the example ran `unit` with every folder --ignore'd,
pytest collected nothing and exited 5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.remainders import holds_tests
from tiered_ci.tree import GitTree, WorkTree

EventFile = Callable[..., Path]


def _push_to_main(project: GitRepo, plan: PlanRunner, event_file: EventFile) -> dict[str, Any]:
    project.git.switch("-q", "main")
    before = project.head()
    project.write("src/app/d0/a.py", "A = 2\n")
    after = project.commit("d0")
    event = event_file("push", ref="refs/heads/main", before=before, after=after, forced=False)
    return plan(project, "--event", "push", "--event-path", str(event))


def test_push_to_main_leaves_out_a_unit_remainder_with_no_test(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.git.switch("-q", "main")
    project.remove("tests/unit/test_misc.py")  # now d0 and d1 own every unit test
    project.write("tests/unit/conftest.py", "")  # a conftest is no test
    project.write("tests/unit/helpers/data.py", "X = 1\n")
    project.commit("no unit test outside the domains")

    result = _push_to_main(project, plan, event_file)

    assert "unit" not in result["sessions"]
    assert [s for s in result["sessions"] if str(s).startswith("domain-shard(")] == [
        "domain-shard(d0)",
        "domain-shard(d1)",
    ]
    matrix = result["matrix"]
    assert isinstance(matrix, dict)
    assert all(entry["session"] != "unit" for entry in matrix["include"])


def test_push_to_main_keeps_a_unit_remainder_that_holds_a_test(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    result = _push_to_main(project, plan, event_file)

    assert "unit" in result["sessions"]
    matrix = result["matrix"]
    assert isinstance(matrix, dict)
    unit = [e for e in matrix["include"] if e["session"] == "unit"]
    assert unit == [{"session": "unit", "args": "--ignore=tests/unit/d0 --ignore=tests/unit/d1"}]


def test_the_repository_s_own_python_files_count(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.git.switch("-q", "main")
    project.remove("tests/unit/test_misc.py")
    project.write("tests/unit/check_misc.py", "def test_misc(): pass\n")
    config = (project.path / "pyproject.toml").read_text()
    project.write(
        "pyproject.toml",
        config + '\n[tool.pytest.ini_options]\npython_files = ["check_*.py"]\n',
    )
    project.commit("own test-file pattern")

    result = _push_to_main(project, plan, event_file)

    assert "unit" in result["sessions"]


def test_holds_tests_walks_the_work_tree_and_a_commit(repo: GitRepo) -> None:
    repo.write_many(
        {
            "tests/a/test_x.py": "",
            "tests/b/helper.py": "",
            "tests/.hidden/test_y.py": "",
            "tests/b/node_modules/test_z.py": "",
        }
    )
    commit = repo.commit("tests")
    for tree in (WorkTree(repo.path), GitTree(repo.path, commit)):
        patterns = ("test_*.py",)
        assert holds_tests(tree, ["tests"], ["tests/a"], patterns) is False
        assert holds_tests(tree, ["tests"], [], patterns) is True
        assert holds_tests(tree, ["./tests/"], ["tests/b"], patterns) is True
        assert holds_tests(tree, ["missing"], [], patterns) is None
        assert holds_tests(tree, ["tests/a/test_x.py"], [], patterns) is True
