"""Test impact selection: record what each test executes, select what a change can break.

The family (DESIGN section 11):

* `source`  pure: a Python file's function spans, the lines a change reaches, the
            modules it imports and who may read a name (ast);
* `store`   the map file: format, read, write, merge (line classes refined across parts);
* `record`  the pytest side of `--impact-record=PATH` (coverage.py contexts per test and
            per module import, line classes);
* `executed` each context's executed lines, kept in memory;
* `audit`   the audit hook's judgements: data files read, processes started;
* `children`, `child`  measuring the Python processes tests start (parent, child);
* `deps`    dependency files and pyproject.toml read as diffs of tables;
* `select`  pure: the selection rules, each fallback named in its reason (the import
            graph and its dependents live here);
* `share`   pure: a test session's share of a selection, for its summary line;
* `run`     the pytest side of `--impact-select=FILE`.
"""

from __future__ import annotations

__all__: list[str] = []
