"""The pure path mapper: rule order, reasons, policies, and a monotonicity property."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiered_ci import config, mapping
from tiered_ci.changes import ChangedFile
from tiered_ci.images import discover
from tiered_ci.images import watch as services
from tiered_ci.tree import WorkTree

CFG = config.parse(
    {
        "ignore": ["**/*.md", "docs/**"],
        "run-all": ["pyproject.toml"],
        "tiers": {
            "unit": {"paths": ["tests/unit"]},
            "integration": {"paths": ["tests/integration"]},
        },
        "domains": {
            "a": {
                "paths": ["src/a/**", "!src/a/vendor/**", "src/a/vendor/keep.py"],
                "tests": ["tests/unit/a"],
            },
            "b": {"paths": ["src/b/**", "libs/**"], "tests": ["tests/unit/b"]},
        },
        "services": {
            "api": {"context": "services/api", "paths": ["libs/**"]},
            "web": {"context": "services/web", "depends-on": ["api"]},
        },
    },
    root=Path("/repo"),
)


def select(*files: ChangedFile, cfg: config.Config = CFG) -> mapping.Selection:
    rules = mapping.compile_rules(cfg, discover.load_watches(cfg, WorkTree(cfg.root)))
    return mapping.select(files, rules)


def modified(path: str) -> ChangedFile:
    return ChangedFile(path, "modified")


@pytest.mark.critical
def test_last_match_wins_and_negation_excludes() -> None:
    assert list(select(modified("src/a/x.py")).domains) == ["a"]
    assert select(modified("src/a/vendor/lib.py")).domains == {}
    keep = select(modified("src/a/vendor/keep.py")).domains["a"]
    assert keep == (
        mapping.Reason("domain:a", "src/a/vendor/keep.py", "modified", "domains.a.paths[2]"),
    )


def test_ignore_comes_first() -> None:
    sel = select(modified("src/a/README.md"))
    assert sel.empty
    assert sel.ignored == ("src/a/README.md",)


def test_run_all_globs() -> None:
    sel = select(modified("pyproject.toml"))
    assert sel.run_all == (mapping.Reason("run-all", "pyproject.toml", "modified", "run-all[0]"),)


def test_a_file_can_select_domains_and_services_together() -> None:
    sel = select(modified("libs/money.py"))
    assert list(sel.domains) == ["b"]
    assert sorted(sel.services) == ["api", "web"]
    assert sel.services["web"][0].rule == "services.web.depends-on[0]"
    assert sel.services["api"][0].rule == "services.api.paths[0]"


def test_service_context_and_dockerfile() -> None:
    sel = select(modified("services/web/Dockerfile"))
    assert list(sel.services) == ["web"]
    assert sel.services["web"][0].rule == "services.web.dockerfile"


def test_rename_counts_on_both_paths() -> None:
    sel = select(ChangedFile("src/b/x.py", "renamed", old_path="src/a/x.py"))
    assert sorted(sel.domains) == ["a", "b"]
    assert sel.domains["a"][0].path == "src/a/x.py"
    assert sel.domains["a"][0].status == "renamed"


def test_owned_tests_select_their_domain_not_the_tier() -> None:
    sel = select(modified("tests/unit/a/test_x.py"))
    assert sel.domains["a"][0].rule == "domains.a.tests[0]"
    assert sel.tiers == {}
    remainder = select(modified("tests/unit/test_misc.py"))
    assert remainder.tiers["unit"][0].rule == "tiers.unit.paths[0]"


@pytest.mark.parametrize(
    ("policy", "run_all", "unmapped"),
    [("run-all", 1, 0), ("warn", 0, 1), ("ignore", 0, 1)],
)
def test_unmapped_policy(policy: str, run_all: int, unmapped: int) -> None:
    cfg = config.parse({"unmapped": policy}, root=Path("/repo"))
    sel = select(modified("tools/x.py"), cfg=cfg)
    assert (len(sel.run_all), len(sel.unmapped)) == (run_all, unmapped)
    assert (sel.run_all or sel.unmapped)[0].rule == f"unmapped = {policy!r}"


paths = st.sampled_from(
    [
        "src/a/x.py",
        "src/a/vendor/lib.py",
        "src/b/y.py",
        "libs/money.py",
        "services/api/app.py",
        "services/web/Dockerfile",
        "tests/unit/a/test_x.py",
        "tests/unit/test_misc.py",
        "tests/integration/test_flow.py",
        "docs/guide.md",
        "tools/release.py",
        "pyproject.toml",
    ]
)
statuses = st.sampled_from(["added", "modified", "deleted"])
changed_files = st.builds(ChangedFile, paths, statuses)


def _selected(sel: mapping.Selection) -> set[str]:
    out = {f"domain:{d}" for d in sel.domains} | {f"service:{s}" for s in sel.services}
    out |= {f"tier:{t}" for t in sel.tiers}
    return out | ({"run-all"} if sel.run_all else set())


@settings(max_examples=200, deadline=None)
@given(st.lists(changed_files, max_size=6), changed_files)
def test_adding_a_changed_file_never_shrinks_the_selection(
    files: list[ChangedFile], extra: ChangedFile
) -> None:
    before = _selected(select(*files))
    after = _selected(select(*files, extra))
    assert before <= after


def _brute_force(path: str, rules: mapping.Rules) -> set[tuple[str, str]]:
    """Every owner whose rules claim `path`, found without the prefix index."""
    owners = {("domain", n) for n, p in rules.domains.items() if p.claims(path)}
    owners |= {
        ("tests", n) for n, t in rules.domain_tests.items() if mapping._under(path, t) is not None
    }
    owners |= {
        ("service", n) for n, w in rules.watches.items() if services.claims(w, path) is not None
    }
    return owners


segments = st.sampled_from(
    [
        "src",
        "a",
        "b",
        "vendor",
        "keep.py",
        "libs",
        "services",
        "api",
        "web",
        "tests",
        "unit",
        "x.py",
        "Dockerfile",
        ".",
    ]
)
index_config = config.parse(
    {
        "domains": {
            "a": {
                "paths": ["src/a/**", "!src/a/vendor/**", "src/a/vendor/keep.py"],
                "tests": ["tests/unit/a"],
            },
            "b": {"paths": ["{src,libs}/b/*.py", "**/x.py"], "tests": ["."]},
            "c": {"paths": ["./libs/**", "src/a/b"]},
        },
        "services": {
            "api": {"context": "services/api", "paths": ["libs/**"]},
            "web": {"context": "."},
        },
    },
    root=Path("/repo"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(segments, min_size=1, max_size=5).map("/".join))
def test_prefix_index_never_hides_a_rule_that_claims_a_path(path: str) -> None:
    rules = mapping.compile_rules(
        index_config, discover.load_watches(index_config, WorkTree(index_config.root))
    )
    assert _brute_force(path, rules) <= set(rules.index.candidates(path))
