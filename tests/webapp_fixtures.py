"""A web application shaped like the one of issue 17, item 1, for check-config and plan tests."""

from __future__ import annotations

__all__ = ["WEB_APP", "WEB_APP_CONFIG"]

# A web application as `tiered-ci init` 0.2.0 left it (issue 17, item 1): a uv workspace
# whose one member, backend/, holds the app and its tests; a TypeScript frontend; a
# compose file. The table is init's output of then: services, no tier, no domain.
WEB_APP_CONFIG = """\
[dependency-groups]
dev = ["prek>=0.4"]

[tool.uv.workspace]
members = ["backend"]

[tool.tiered-ci]
default-branch = "master"
ignore = ["**/*.md", ".github/**", ".gitignore"]
run-all = ["pyproject.toml", "uv.lock"]
services-from = "compose"
"""

WEB_APP = {
    "pyproject.toml": WEB_APP_CONFIG,
    "uv.lock": "version = 1\n",
    "README.md": "# app\n",
    ".gitignore": ".venv\n",
    ".github/workflows/test-backend.yml": "on: push\n",
    "compose.yml": (
        "services:\n"
        "  backend:\n"
        "    image: app-backend\n"
        "    build:\n"
        "      context: ./backend\n"
        "  frontend:\n"
        "    image: app-frontend\n"
        "    build:\n"
        "      context: ./frontend\n"
    ),
    "backend/Dockerfile": "FROM python:3.12\nCOPY . /app\n",
    "backend/pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\n\n'
    '[dependency-groups]\ndev = ["pytest"]\n',
    "backend/app/__init__.py": "",
    "backend/app/main.py": "APP = 1\n",
    "backend/app/tests_pre_start.py": "def main(): pass\n",  # not test_*.py: no test module
    "backend/tests/__init__.py": "",
    "backend/tests/conftest.py": "",
    "backend/tests/api/routes/test_items.py": "def test_items(): pass\n",
    "backend/tests/api/routes/test_login.py": "def test_login(): pass\n",
    "backend/tests/api/routes/test_users.py": "def test_users(): pass\n",
    "backend/tests/crud/test_user.py": "def test_user(): pass\n",
    "backend/tests/scripts/test_backend_pre_start.py": "def test_pre(): pass\n",
    "backend/tests/utils/user.py": "def make(): pass\n",
    "frontend/Dockerfile": "FROM node:20\nCOPY . /app\n",
    "frontend/package.json": "{}\n",
    "frontend/tests/login.spec.ts": "test('login', () => {})\n",
}
