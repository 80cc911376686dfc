"""Test impact selection: record what each test executes, select what a change can break.

The family (DESIGN section 11):

* `source`  pure: a Python file's function spans and the modules it imports (ast);
* `store`   the map file: format, read, write, merge;
* `record`  the pytest side of `--impact-record=PATH` (coverage.py contexts per test);
* `audit`   the audit hook's judgements: data files read, processes started;
* `children`, `child`  measuring the Python processes tests start (parent, child);
* `graph`   the repository's import graph and its dependents;
* `deps`    dependency files and pyproject.toml read as diffs of tables;
* `select`  pure: the selection rules, each fallback named in its reason;
* `run`     the pytest side of `--impact-select=FILE`.
"""

from __future__ import annotations

__all__: list[str] = []
