"""What changed: resolve base and head for a Trigger and list changed files (GitPython).

This is the only module that talks to git. Its contract (DESIGN section 4) is
fail-safe: whenever the base cannot be determined or git fails, the result is
a ChangeSet with `fallback_reason` set, which the planner turns into
`mode = "all"`. It never falls back to a two-dot diff or to "nothing changed".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from tiered_ci.errors import RepoError
from tiered_ci.events import ZERO_SHA, Trigger

if TYPE_CHECKING:
    import git

Status = Literal["added", "modified", "deleted", "renamed", "copied"]
STATUSES: tuple[Status, ...] = ("added", "modified", "deleted", "renamed", "copied")

# git's one-letter statuses; T (type change), U (unmerged), X and B count as modified.
_STATUS_LETTERS: dict[str, Status] = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
}

# Deepening a shallow clone: each round asks for twice as many commits, until the budget.
_FIRST_DEEPEN = 50


class ChangedFile(NamedTuple):
    """One changed path. A NamedTuple rather than a frozen dataclass: a 10,000-file
    diff builds 10,000 of them, and tuple construction is several times cheaper."""

    path: str
    status: Status
    old_path: str | None = None  # renamed / copied: where it came from

    def paths(self) -> tuple[str, ...]:
        """Every path the change touches: a rename counts on both its old and new path."""
        return (self.path,) if self.old_path is None else (self.old_path, self.path)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    base: str | None
    head: str | None
    files: tuple[ChangedFile, ...] = ()
    fallback_reason: str | None = None  # set: the diff cannot be trusted, run everything
    notes: tuple[str, ...] = ()  # how the base was found (fetches, deepening)

    @property
    def certain(self) -> bool:
        return self.fallback_reason is None


class _Uncertain(Exception):
    """The base cannot be determined; the message is the fallback reason."""


@functools.lru_cache(maxsize=8)
def open_repo(root: Path, *, search_parents: bool = False) -> git.Repo:
    """The repository at `root` (cached: a plan opens it from several steps)."""
    import git  # noqa: PLC0415 - GitPython costs ~100 ms to import; only the git paths pay it

    try:
        return git.Repo(root, search_parent_directories=search_parents)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise RepoError(
            f"{root}: not a git repository; run inside a git checkout or pass --repo DIR"
        ) from None


def find_root(start: Path) -> Path:
    """The top of the work tree containing `start` (so a plan works from any subfolder)."""
    repo = open_repo(start, search_parents=True)
    if repo.working_tree_dir is None:
        raise RepoError(f"{start}: a bare repository has no work tree; pass --repo DIR")
    return Path(repo.working_tree_dir)


def tracked_files(root: Path) -> list[str]:
    """Repo-relative paths of every tracked file (NUL-delimited, so any name survives)."""
    repo = open_repo(root)
    out = repo.git.ls_files("-z")
    return [p for p in out.split("\0") if p]


def detect(  # noqa: PLR0913 - mirrors the CLI flags one to one
    root: Path,
    trigger: Trigger,
    *,
    default_branch: str = "main",
    base: str | None = None,
    head: str | None = None,
    deepen_budget: int = 500,
) -> ChangeSet:
    """List what changed for `trigger` (DESIGN section 4), or say why it cannot be known."""
    repo = open_repo(root)
    explicit = [(rev, flag) for rev, flag in ((head, "--head"), (base, "--base")) if rev]
    resolved = dict(
        zip((flag for _, flag in explicit), _resolve_explicit(repo, explicit), strict=True)
    )
    head_sha, base_sha = resolved.get("--head"), resolved.get("--base")
    detector = _Detector(repo, default_branch, deepen_budget)
    try:
        head_sha = head_sha or detector.resolve("HEAD")
        if head_sha is None:
            return ChangeSet(None, None, (), "HEAD does not resolve (a repository with no commits)")
        merge_base = detector.base_for(trigger, base_sha, head_sha)
        working_tree = trigger.kind == "local" and head is None
        files = detector.diff(merge_base, None if working_tree else head_sha)
    except _Uncertain as exc:
        return ChangeSet(None, head_sha, (), str(exc), tuple(detector.notes))
    except _git_errors() as exc:
        reason = f"git failed: {_first_line(exc)}"
        return ChangeSet(None, head_sha, (), reason, tuple(detector.notes))
    return ChangeSet(merge_base, head_sha, files, None, tuple(detector.notes))


def _git_errors() -> tuple[type[Exception], ...]:
    import git  # noqa: PLC0415

    return (git.GitCommandError, ValueError, OSError)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip().strip("'").strip()
    for prefix in ("stderr:", "stderr: "):
        text = text.removeprefix(prefix).strip().strip("'")
    return text.splitlines()[0] if text else exc.__class__.__name__


def _resolve_explicit(repo: git.Repo, revs: list[tuple[str, str]]) -> list[str]:
    """Resolve the --head/--base revisions, in one git call when they are all good."""
    import git  # noqa: PLC0415

    if not revs:
        return []
    try:
        out = repo.git.rev_parse(*(f"{rev}^{{commit}}" for rev, _ in revs))
        return str(out).split()
    except git.GitCommandError:
        pass
    for rev, flag in revs:  # find the culprit, to name it
        try:
            repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")
        except git.GitCommandError:
            raise RepoError(
                f"{flag} {rev!r}: does not resolve to a commit in {repo.working_dir}; "
                "fetch it first (git fetch origin REV) or pass an existing revision"
            ) from None
    raise RepoError(f"{' '.join(r for r, _ in revs)}: git rev-parse failed")  # pragma: no cover


def head_commit(root: Path, rev: str | None = None) -> str | None:
    """The commit `rev` (default HEAD) names; None for HEAD in a repository with no commits.

    An explicit `rev` that does not resolve is a RepoError naming --head.
    """
    repo = open_repo(root)
    if rev is not None:
        return _resolve_explicit(repo, [(rev, "--head")])[0]
    return _Detector(repo, "main", 0).resolve("HEAD")


class _Detector:
    """Finds the merge-base for a trigger, fetching and deepening within a budget."""

    def __init__(self, repo: git.Repo, default_branch: str, deepen_budget: int) -> None:
        self.repo = repo
        self.default_branch = default_branch
        self.deepen_budget = deepen_budget
        self.notes: list[str] = []
        self._shallow: bool | None = None

    # --- base per trigger (DESIGN section 4) ---------------------------------

    def base_for(self, trigger: Trigger, explicit_base: str | None, head: str) -> str:
        if explicit_base is not None:
            return self.merge_base(explicit_base, head, f"--base {explicit_base[:12]}")
        kind = trigger.kind
        default = trigger.default_branch or self.default_branch
        if kind == "local":
            tip = self.branch_tip(default)
            return self.merge_base(tip, head, f"the default branch {default!r}")
        if kind in ("pull_request", "ready_for_review"):
            branch = trigger.base_ref or default
            tip = self.branch_tip(branch, fallback_sha=trigger.base_sha)
            return self.merge_base(tip, head, f"the pull request base {branch!r}")
        if kind in ("push", "push_default"):
            return self.push_base(trigger, head, default)
        if kind == "merge_group":
            if not trigger.base_sha:
                raise _Uncertain("merge_group payload has no merge_group.base_sha")
            base = self.commit(trigger.base_sha, "the merge group base_sha")
            return self.merge_base(base, head, "the merge group base_sha")
        raise _Uncertain(
            f"a {trigger.event} run has no base to compare with; pass --base to plan a diff"
        )

    def push_base(self, trigger: Trigger, head: str, default: str) -> str:
        before = trigger.before
        new_branch = before is None or before == ZERO_SHA
        if trigger.kind == "push_default" and (new_branch or trigger.forced):
            what = "first push of" if new_branch else "force push to"
            raise _Uncertain(f"{what} the default branch {default!r}: no previous tip to diff")
        if not new_branch and not trigger.forced and before is not None:
            before_sha = self.try_commit(before)
            if before_sha is not None and self.is_ancestor(before_sha, head):
                return before_sha
            self.notes.append(
                f"push: before {before[:12]} is not an ancestor of head; treated as a force push"
            )
        why = "new branch" if new_branch else "force push"
        tip = self.branch_tip(default)
        return self.merge_base(tip, head, f"the default branch {default!r} ({why})")

    # --- git primitives ------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        import git  # noqa: PLC0415

        try:
            return str(self.repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}"))
        except git.GitCommandError:
            return None

    def branch_tip(self, branch: str, fallback_sha: str | None = None) -> str:
        """The tip of `branch`: origin/<branch>, then <branch>, then a fetch of it."""
        for rev in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
            if sha := self.resolve(rev):
                return sha
        if fallback_sha and (sha := self.resolve(fallback_sha)):
            return sha
        if self.has_origin():
            refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
            if self.fetch(refspec, depth=_FIRST_DEEPEN) and (
                sha := self.resolve(f"refs/remotes/origin/{branch}")
            ):
                return sha
        raise _Uncertain(
            f"branch {branch!r} is not in this clone (neither origin/{branch} nor {branch}) "
            "and cannot be fetched; fetch it (actions/checkout fetch-depth: 0) or pass --base"
        )

    def commit(self, sha: str, what: str) -> str:
        found = self.try_commit(sha)
        if found is None:
            raise _Uncertain(f"{what} {sha[:12]} is not in this clone and cannot be fetched")
        return found

    def try_commit(self, sha: str) -> str | None:
        if found := self.resolve(sha):
            return found
        if self.has_origin() and self.fetch(sha, depth=_FIRST_DEEPEN):
            return self.resolve(sha)
        return None

    def merge_base(self, base: str, head: str, what: str) -> str:
        import git  # noqa: PLC0415

        spent = 0
        step = _FIRST_DEEPEN
        while True:
            try:
                return str(self.repo.git.merge_base(base, head))
            except git.GitCommandError:
                pass
            if not self.is_shallow():
                raise _Uncertain(f"no merge-base of {what} and HEAD: the histories are unrelated")
            if spent >= self.deepen_budget or not self.has_origin():
                raise _Uncertain(
                    f"shallow clone: no merge-base of {what} and HEAD after deepening "
                    f"{spent} commits (budget {self.deepen_budget}); fetch more history "
                    "(actions/checkout fetch-depth: 0) or raise deepen-budget"
                )
            step = min(step, self.deepen_budget - spent)
            if not self.fetch(None, deepen=step):
                raise _Uncertain(
                    f"shallow clone: no merge-base of {what} and HEAD, and "
                    "`git fetch --deepen` failed; fetch more history "
                    "(actions/checkout fetch-depth: 0)"
                )
            spent += step
            step *= 2

    def is_ancestor(self, ancestor: str, head: str) -> bool:
        import git  # noqa: PLC0415

        try:
            self.repo.git.merge_base("--is-ancestor", ancestor, head)
        except git.GitCommandError:
            return False
        return True

    def is_shallow(self) -> bool:
        if self._shallow is None:
            out = self.repo.git.rev_parse("--is-shallow-repository")
            self._shallow = out.strip() == "true"
        return self._shallow

    def has_origin(self) -> bool:
        return any(remote.name == "origin" for remote in self.repo.remotes)

    def fetch(
        self, refspec: str | None, *, depth: int | None = None, deepen: int | None = None
    ) -> bool:
        import git  # noqa: PLC0415

        args = ["--no-tags", "--quiet"]
        if deepen is not None:
            args.append(f"--deepen={deepen}")
        elif depth is not None and self.is_shallow():
            args.append(f"--depth={depth}")
        args.append("origin")
        if refspec is not None:
            args.append(refspec)
        try:
            self.repo.git.fetch(*args)
        except git.GitCommandError as exc:
            self.notes.append(f"git fetch {' '.join(args)} failed: {_first_line(exc)}")
            return False
        self.notes.append(f"git fetch {' '.join(args)}")
        return True

    # --- the diff ------------------------------------------------------------

    def diff(self, base: str, head: str | None) -> tuple[ChangedFile, ...]:
        """Files changed from `base` to `head` (None: the working tree incl. untracked)."""
        args = ["--name-status", "-z", "-M", "--no-color", "--no-ext-diff", "--no-textconv", base]
        if head is not None:
            args.append(head)
        files = list(parse_name_status(self.repo.git.diff(*args, strip_newline_in_stdout=False)))
        if head is None:
            untracked = self.repo.git.ls_files(
                "-z", "--others", "--exclude-standard", strip_newline_in_stdout=False
            )
            files.extend(
                ChangedFile(p, "added")
                for p in untracked.split("\0")
                if p and not is_session_output(p)
            )
        return tuple(files)


# What tiered-ci's own sessions write into the work tree (venvs, junit XML, coverage
# data, pytest's cache). Untracked, they are never an input, whether or not the
# repository's .gitignore lists them; tracked files under the same names still count.
_OUTPUT_FOLDERS = (".nox/", "reports/", ".pytest_cache/", ".hypothesis/")
_OUTPUT_NAMES = re.compile(
    r"(?:^|/)(?:\.coverage(?:\..*)?|coverage\.xml|__pycache__/.*|[^/]*\.py[co])$"
)


def is_session_output(path: str) -> bool:
    """Whether an untracked `path` is an output of the sessions (never a change). Pure."""
    return path.startswith(_OUTPUT_FOLDERS) or _OUTPUT_NAMES.search(path) is not None


def parse_name_status(output: str) -> Iterator[ChangedFile]:
    """Parse `git diff --name-status -z` output. Pure.

    Records are `STATUS\\0path\\0`, or `R<score>\\0old\\0new\\0` for renames and
    copies. Unknown letters (T, U, X, B) count as modified.
    """
    tokens = output.split("\0")
    i = 0
    while i < len(tokens):
        letters = tokens[i]
        if not letters:
            i += 1
            continue
        status = _STATUS_LETTERS.get(letters[0], "modified")
        if status in ("renamed", "copied"):
            if i + 2 >= len(tokens):
                break  # truncated output; the caller's diff will not be trusted anyway
            yield ChangedFile(tokens[i + 2], status, old_path=tokens[i + 1])
            i += 3
        else:
            if i + 1 >= len(tokens):
                break
            yield ChangedFile(tokens[i + 1], status)
            i += 2


# --- what impact selection needs (tiered_ci.impact) -------------------------------


def repo_files(root: Path) -> list[str]:
    """Tracked files plus untracked ones git does not ignore: the repository's own files."""
    repo = open_repo(root)
    out = repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard")
    return sorted({p for p in out.split("\0") if p})


def is_clean(root: Path, ignoring: tuple[str, ...] = ()) -> bool:
    """No staged, unstaged or untracked (not ignored) change in the work tree, apart from
    paths starting with one of `ignoring` (the impact map being written, say)."""
    out = open_repo(root).git.status("--porcelain", "-z", "--untracked-files=all")
    entries = [entry[3:] for entry in out.split("\0") if len(entry) > 3]
    return all(entry.startswith(ignoring) for entry in entries) if ignoring else not entries


def related(root: Path, commit: str, head: str) -> str | None:
    """Why `commit` cannot be compared with `head` (absent, unrelated), or None when it can."""
    import git  # noqa: PLC0415

    repo = open_repo(root)
    detector = _Detector(repo, "main", 0)
    if detector.try_commit(commit) is None:
        return f"its commit {commit[:12]} is not in this clone (fetch it, or record a new map)"
    try:
        repo.git.merge_base(commit, head)
    except git.GitCommandError:
        return f"its commit {commit[:12]} shares no history with {head[:12]}"
    return None


def commit_time(root: Path, rev: str) -> int:
    """Committer time of `rev`, seconds since the epoch."""
    return int(open_repo(root).git.show("-s", "--format=%ct", rev).strip())


def changed_lines(root: Path, base: str, head: str | None) -> dict[str, list[tuple[int, int]]]:
    """For every modified file, the old-side line ranges its hunks touch (`git diff -U0`).

    A pure insertion after old line `a` touches `a` and `a + 1`: the new lines sit
    between them and belong to the scope of one or the other.
    """
    args = ["-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv"]
    args += ["--src-prefix=a/", "--dst-prefix=b/", base]
    if head is not None:
        args.append(head)
    return parse_hunks(open_repo(root).git.diff(*args, strip_newline_in_stdout=False))


_HUNK_PREFIX = "@@ -"


def parse_hunks(output: str) -> dict[str, list[tuple[int, int]]]:
    """Old-side line ranges per old path from unified diff output. Pure."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    current: list[tuple[int, int]] | None = None
    for line in output.splitlines():
        if line.startswith("--- "):
            name = line[4:].rstrip("\t")  # git ends a name that has a space with a tab
            current = None if name == "/dev/null" else ranges.setdefault(_unquote(name), [])
        elif line.startswith(_HUNK_PREFIX) and current is not None:
            old = line[len(_HUNK_PREFIX) :].split(" ", 1)[0]
            start_text, _, count_text = old.partition(",")
            start, count = int(start_text), int(count_text) if count_text else 1
            current.append((start, start + count - 1) if count else (start, start + 1))
    return ranges


def _unquote(name: str) -> str:
    if name.startswith('"'):
        # git quotes unusual names C-style; decode the escapes, then the bytes as UTF-8.
        raw = name[1:-1].encode("latin-1").decode("unicode_escape").encode("latin-1")
        name = raw.decode("utf-8", errors="replace")
    return name.removeprefix("a/")


def read_at(root: Path, rev: str | None, path: str) -> str | None:
    """The text of `path` at `rev` (None: the work tree); None when it is absent or binary."""
    import git  # noqa: PLC0415

    if rev is None:
        try:
            return (root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    try:
        return str(open_repo(root).git.show(f"{rev}:{path}", strip_newline_in_stdout=False))
    except (git.GitCommandError, UnicodeDecodeError):
        return None


def diff_files(root: Path, base: str, head: str | None) -> tuple[ChangedFile, ...]:
    """Files changed from `base` to `head` (None: the work tree, untracked files included)."""
    return _Detector(open_repo(root), "main", 0).diff(base, head)
