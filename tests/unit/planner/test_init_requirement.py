"""The noxfile `init` writes names the tiered-ci that is installed, so it resolves
before tiered-ci is on an index (issue 17 item 7, issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest
from support import GitRepo

from tiered_ci.adopt.requirement import INDEX_REQUIREMENT, noxfile_text, requirement_for
from tiered_ci.adopt.templates import NOXFILE

SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"


@pytest.mark.parametrize(
    ("direct_url", "requirement", "noted"),
    [
        (None, "tiered-ci>=0.2", False),
        (
            {
                "url": "https://github.com/acme/tiered-ci",
                "vcs_info": {"vcs": "git", "commit_id": SHA},
            },
            f"tiered-ci @ git+https://github.com/acme/tiered-ci@{SHA}",
            False,
        ),
        (
            {"url": "https://example.org/tiered_ci-0.2.0-py3-none-any.whl", "archive_info": {}},
            "tiered-ci @ https://example.org/tiered_ci-0.2.0-py3-none-any.whl",
            False,
        ),
        (
            {"url": "file:///src/tiered-ci", "dir_info": {"editable": True}},
            "tiered-ci @ file:///src/tiered-ci",
            True,
        ),
        (
            {"url": "file:///tmp/tiered_ci-0.2.0-py3-none-any.whl", "archive_info": {}},
            "tiered-ci @ file:///tmp/tiered_ci-0.2.0-py3-none-any.whl",
            True,
        ),
    ],
)
def test_requirement_for_each_pep_610_source(
    direct_url: dict[str, object] | None, requirement: str, noted: bool
) -> None:
    got, note = requirement_for("0.2.0", direct_url)
    assert got == requirement
    assert (note is not None) == noted


def test_the_template_names_the_index_requirement() -> None:
    assert json.dumps(INDEX_REQUIREMENT) in NOXFILE
    text = noxfile_text("tiered-ci @ git+https://github.com/acme/tiered-ci@v1")
    assert '"tiered-ci @ git+https://github.com/acme/tiered-ci@v1"' in text
    assert INDEX_REQUIREMENT not in text


def test_init_writes_the_installed_tiered_ci_into_the_noxfile(repo: GitRepo) -> None:
    repo.write_many({"pyproject.toml": '[project]\nname = "x"\n', "tests/test_a.py": ""})
    repo.commit("start")
    result = subprocess.run(
        [sys.executable, "-m", "tiered_ci", "init", "--repo", str(repo.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    dist = metadata.distribution("tiered-ci")
    direct = dist.read_text("direct_url.json")
    expected, note = requirement_for(dist.version, json.loads(direct) if direct else None)
    assert f'"{expected}"' in (repo.path / "noxfile.py").read_text()
    if note:
        assert f"note: {note}" in result.stdout
