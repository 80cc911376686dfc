"""The jobs of a repository's workflows that call tiered-ci's reusable workflow. Pure,
given a tree: the checks that compare a caller's inputs (its `python-version`, its
`push-images` registry) with the configuration read them from here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import yaml

from tiered_ci.tree import Tree

__all__ = ["Caller", "callers"]

_REUSABLE = re.compile(r"(?:^|/)\.github/workflows/tiered-ci\.ya?ml(?:@|$)")


class Caller(NamedTuple):
    """A job that calls the reusable workflow, with the inputs it passes (`with:`)."""

    file: str  # .github/workflows/<name>.yml
    job: str
    inputs: dict[object, object]


def callers(tree: Tree) -> Iterator[Caller]:
    """Every calling job of `.github/workflows/*`, file by file in name order. A file
    that is not YAML is skipped: the workflow checks report it."""
    for file, kind in sorted((tree.children(".github/workflows") or {}).items()):
        if kind != "file" or not file.endswith((".yml", ".yaml")):
            continue
        path = f".github/workflows/{file}"
        try:
            data = yaml.safe_load(tree.read_text(path) or "")
        except yaml.YAMLError:
            continue
        jobs = data.get("jobs") if isinstance(data, dict) else None
        for job_id, job in jobs.items() if isinstance(jobs, dict) else ():
            if isinstance(job, dict) and _REUSABLE.search(str(job.get("uses", ""))):
                inputs = job.get("with")
                yield Caller(path, str(job_id), inputs if isinstance(inputs, dict) else {})
