"""In-repo dependencies key a session's environment (pure: sources and inputs)."""

from __future__ import annotations

from tiered_ci.environments import env_spec, in_repo_inputs, uv_sources
from tiered_ci.model import Install

API = {
    "tool": {
        "uv": {
            "sources": {
                "acme-core": {"path": "../core"},
                "acme-models": {"path": "../models", "editable": True},
                "acme_shared": {"workspace": True},
                "vendored": {"path": "../../wheels/vendored-1.0-py3-none-any.whl"},
                "outside": {"path": "../../../elsewhere"},
                "on-linux": [{"path": "../linux", "marker": "sys_platform == 'linux'"}],
                "from-git": {"git": "https://example.invalid/x.git"},
            }
        }
    }
}


def test_uv_sources_name_in_repo_folders_only() -> None:
    found = uv_sources("packages/api", API, {"acme-shared": "libs/shared"})

    assert found == [
        ("packages/core", False, "acme-core"),
        ("packages/models", True, "acme-models"),
        ("libs/shared", False, "acme_shared"),
        ("packages/linux", False, "on-linux"),
    ]


def test_copies_key_by_their_files_and_editables_by_their_metadata() -> None:
    graph = {
        "packages/api": [("packages/core", False, "acme-core"), ("packages/models", True, "m")],
        "packages/models": [("packages/core", False, "acme-core"), (".", False, "root")],
    }

    inputs, copies = in_repo_inputs(["packages/api"], lambda f: graph.get(f, []))

    assert inputs == [
        "packages/core/pyproject.toml",
        "packages/core/setup.py",
        "packages/core/setup.cfg",
        "packages/core/",
        "packages/models/pyproject.toml",
        "packages/models/setup.py",
        "packages/models/setup.cfg",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "./",
    ]
    assert copies == ["acme-core", "root"]


def test_an_installed_folder_is_not_keyed_twice() -> None:
    install = Install(root=False, editable=("packages/api", "packages/core"))
    sources = {"packages/api": [("packages/core", False, "acme-core")]}

    spec = env_spec(
        install, has_project=False, groups=lambda _f, _n: [], sources=lambda f: sources.get(f, [])
    )

    assert "packages/core/" not in spec.inputs
    assert spec.copies == ()
