"""Adoption: what `tiered-ci init` finds in a repository and the table it proposes.

The family, one module per concern (the command `commands/init.py` only reads
the repository, calls `propose` and writes):

* `proposal`    pure: the `Proposal` being built and the text helpers all share;
* `quiet`       files only tooling reads (changelog fragments, lint settings);
* `packages`    package folders and the domain families they become;
* `tooling`     where a package keeps its test dependencies;
* `single`      a single project's tiers and domains;
* `services`    Docker services (compose, Dockerfiles);
* `python`      the caller's Python when the projects exclude the default;
* `started`     services the repository's test workflows start (advice);
* `notes`       advice on what init cannot map (paths-filter files, tox.ini);
* `propose`     the table, assembled from the detectors in order;
* `templates`   the noxfile and caller workflow init writes;
* `repository`  the edge: file reads, git facts, an existing pyproject.toml.
"""

from __future__ import annotations

__all__: list[str] = []
