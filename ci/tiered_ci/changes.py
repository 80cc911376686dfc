"""What changed: resolve base and head for a Trigger and list changed files.

This is the only module that talks to git. Its contract (DESIGN section 4) is
fail-safe: whenever the base cannot be determined or git fails, the result is
a ChangeSet with `fallback_reason` set, which the planner turns into
`mode = "all"`. It never falls back to a two-dot diff or to "nothing changed".

What every plan runs (finding the root, resolving revisions, the merge-base,
the diff) calls git's plumbing straight through `_git.git`: importing GitPython
would cost more than the rest of a small plan. GitPython does the rest:
fetching and deepening a shallow clone, and the reads behind impact selection.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from tiered_ci import _git
from tiered_ci.errors import RepoError
from tiered_ci.events import ZERO_SHA, Trigger

if TYPE_CHECKING:
    import git

__all__ = [
    "ChangeSet",
    "ChangedFile",
    "Status",
    "detect",
    "find_root",
    "head_commit",
    "is_session_output",
    "open_repo",
    "parse_name_status",
    "tracked_files",
]

Status = Literal["added", "modified", "deleted", "renamed", "copied"]

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


class _Uncertain(Exception):
    """The base cannot be determined; the message is the fallback reason."""


def open_repo(root: Path, *, search_parents: bool = False) -> git.Repo:
    """The repository at `root` (cached: a plan opens it from several steps)."""
    import git  # noqa: PLC0415 - GitPython costs ~100 ms to import; only the git paths pay it

    try:
        return _git.open_repository(root, search_parents=search_parents)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise RepoError(
            f"{root}: not a git repository; run inside a git checkout or pass --repo DIR"
        ) from None


def find_root(start: Path) -> Path:
    """The top of the work tree containing `start` (so a plan works from any subfolder)."""
    try:
        found = _git.call(start, "rev-parse", "--show-toplevel", "--show-cdup").split("\n")
    except (_git.GitFailed, OSError):
        found = []
    if len(found) >= 2:
        # Spelled as GitPython spells it: `start`, then up as far as git says, kept only
        # when that is the folder git found (through a symlinked folder `..` leads
        # elsewhere, and GitPython's own walk up decides).
        root = os.path.normpath(os.path.join(os.path.abspath(start), found[1]))  # noqa: PTH100, PTH118
        if _same_folder(root, found[0]):
            return Path(root)
    # Not plainly a work tree (a bare repository, a .git folder, an unreadable or
    # unsafe one): GitPython decides, with the messages it always gave.
    repo = open_repo(start, search_parents=True)
    if repo.working_tree_dir is None:
        raise RepoError(f"{start}: a bare repository has no work tree; pass --repo DIR")
    return Path(repo.working_tree_dir)


def _same_folder(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)  # noqa: PTH121
    except (OSError, ValueError):
        return False


def tracked_files(root: Path, *, untracked: bool = False) -> list[str]:
    """Repo-relative paths of every tracked file (NUL-delimited, so any name survives);
    with `untracked`, also the new files git does not ignore (about to be committed)."""
    extra = ("--others", "--exclude-standard") if untracked else ()
    try:
        out = _git.call(root, "ls-files", "-z", "--cached", *extra)
    except _git.GitFailed:
        open_repo(root)  # not a repository: the RepoError that names the fix
        raise

    return [p for p in out.split("\0") if p and not (untracked and is_session_output(p))]


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
    explicit = [(rev, flag) for rev, flag in ((head, "--head"), (base, "--base")) if rev]
    resolved = dict(
        zip((flag for _, flag in explicit), _resolve_explicit(root, explicit), strict=True)
    )
    head_sha, base_sha = resolved.get("--head"), resolved.get("--base")
    detector = _Detector(root, default_branch, deepen_budget)
    try:
        head_sha = head_sha or detector.head_for(trigger)
        if head_sha is None:
            return ChangeSet(None, None, (), "HEAD does not resolve (a repository with no commits)")
        merge_base = detector.base_for(trigger, base_sha, head_sha)
        working_tree = trigger.kind == "local" and head is None
        files = detector.diff(merge_base, None if working_tree else head_sha)
    except _Uncertain as exc:
        return ChangeSet(None, head_sha, (), str(exc), tuple(detector.notes))
    except _git.errors() as exc:
        reason = f"git failed: {_first_line(exc)}"
        return ChangeSet(None, head_sha, (), reason, tuple(detector.notes))
    return ChangeSet(merge_base, head_sha, files, None, tuple(detector.notes))


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip().strip("'").strip()
    for prefix in ("stderr:", "stderr: "):
        text = text.removeprefix(prefix).strip().strip("'")
    return text.splitlines()[0] if text else exc.__class__.__name__


def check_revision(rev: str, flag: str) -> None:
    """A --base/--head value may be any revision expression, but never option-shaped."""
    if rev.startswith("-") or any(not char.isprintable() for char in rev):
        raise RepoError(
            f"{flag} {rev!r}: not a revision (it starts with '-' or holds a control character); "
            "pass a commit, branch or tag"
        )


def _resolve_explicit(root: Path, revs: list[tuple[str, str]]) -> list[str]:
    """Resolve the --head/--base revisions, in one git call when they are all good."""
    if not revs:
        return []
    for rev, flag in revs:
        check_revision(rev, flag)
    try:
        # No --end-of-options here: without --verify, rev-parse echoes it. check_revision
        # above has ruled out option-shaped values.
        out = _git.call(root, "rev-parse", *(f"{r}^{{commit}}" for r, _ in revs))
        return out.split()
    except _git.GitFailed:
        pass
    for rev, flag in revs:  # find the culprit, to name it
        try:
            _git.call(
                root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
            )
        except _git.GitFailed:
            raise RepoError(
                f"{flag} {rev!r}: does not resolve to a commit in {root}; "
                "fetch it first (git fetch origin REV) or pass an existing revision"
            ) from None
    raise RepoError(f"{' '.join(r for r, _ in revs)}: git rev-parse failed")  # pragma: no cover


def head_commit(root: Path, rev: str | None = None) -> str | None:
    """The commit `rev` (default HEAD) names; None for HEAD in a repository with no commits.

    An explicit `rev` that does not resolve is a RepoError naming --head.
    """
    if rev is not None:
        return _resolve_explicit(root, [(rev, "--head")])[0]
    return _Detector(root, "main", 0).resolve("HEAD")


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "(none)"


class _Detector:
    """Finds the merge-base for a trigger, fetching and deepening within a budget."""

    def __init__(self, root: Path, default_branch: str, deepen_budget: int) -> None:
        self.root = root
        self.default_branch = default_branch
        self.deepen_budget = deepen_budget
        self.deepened = 0  # commits `git fetch --deepen` added so far, against the budget
        self.notes: list[str] = []
        self._shallow: bool | None = None
        self._remotes: list[str] | None = None

    def git(self, *args: str) -> str:
        return _git.call(self.root, *args)

    # --- head: what the payload says changed (W2) -------------------------------

    def head_for(self, trigger: Trigger) -> str | None:
        """HEAD, checked against the payload's head; the payload's head when HEAD is not it.

        A workflow can check out something other than the event's head (the base branch
        under pull_request_target, a stale or wrong ref): planning HEAD would plan the
        wrong change, often as "nothing changed".
        """
        head = self.resolve("HEAD")
        expected = trigger.head_sha
        if trigger.kind not in _HEAD_CHECKED or expected is None or expected == ZERO_SHA:
            return head
        if head == expected:
            return head
        if head is not None and trigger.kind in _PULL_REQUESTS and self.is_merge_of(head, expected):
            return head  # actions/checkout's default for pull_request: GitHub's merge commit
        found = self.try_commit(expected)
        if found is None:
            raise _Uncertain(
                f"HEAD {_short(head)} is not the payload's head {_short(expected)} (nor a merge "
                f"commit of it), and {_short(expected)} cannot be fetched; check out the "
                "event's head (actions/checkout ref: the head SHA)"
            )
        self.notes.append(
            f"HEAD {_short(head)} is not the payload's head {_short(expected)}: planned the "
            f"payload's head {_short(found)} instead"
        )
        return found

    def is_merge_of(self, merge: str, head: str) -> bool:
        """`merge` is a merge commit whose second parent is `head` (refs/pull/N/merge)."""
        return self.resolve(f"{merge}^2") == head

    # --- base per trigger (DESIGN section 4) ---------------------------------

    def base_for(self, trigger: Trigger, explicit_base: str | None, head: str) -> str:
        if explicit_base is not None:
            return self.merge_base(explicit_base, head, f"--base {explicit_base[:12]}")
        kind = trigger.kind
        default = trigger.default_branch or self.default_branch
        if kind == "local":
            tip = self.branch_tip(default)
            return self.merge_base(tip, head, f"the default branch {default!r}")
        if kind in _PULL_REQUESTS:
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
        on_default = trigger.kind == "push_default"
        if on_default and (new_branch or trigger.forced):
            what = "first push of" if new_branch else "force push to"
            raise _Uncertain(f"{what} the default branch {default!r}: no previous tip to diff")
        if not new_branch and not trigger.forced and before is not None:
            before_sha, why_not = self.ancestor_of(before, head)
            if before_sha is not None:
                return before_sha
            if on_default:
                # The fallback below, merge-base(origin/<default>, HEAD), is HEAD itself
                # on the default branch: it would report that nothing changed.
                raise _Uncertain(
                    f"push to the default branch {default!r}: before {before[:12]} {why_not}, "
                    "so what this push changed cannot be verified; fetch more history "
                    "(actions/checkout fetch-depth: 0) or raise deepen-budget"
                )
            self.notes.append(f"push: before {before[:12]} {why_not}; treated as a force push")
        why = "new branch" if new_branch else "force push"
        tip = self.branch_tip(default)
        base = self.merge_base(tip, head, f"the default branch {default!r} ({why})")
        if base == head:
            raise _Uncertain(
                f"push ({why}): HEAD {head[:12]} is already on the default branch {default!r}, "
                "so the merge-base is HEAD itself and the diff cannot show what this push "
                "changed"
            )
        return base

    def ancestor_of(self, sha: str, head: str) -> tuple[str | None, str]:
        """(`sha`, "") when it is an ancestor of `head`, after fetching and deepening
        within the budget; else (None, why not)."""
        found = self.try_commit(sha)
        if found is None:
            return None, "is not in this clone and cannot be fetched"
        step = _FIRST_DEEPEN
        while not self.is_ancestor(found, head):
            if not self.is_shallow():
                return None, f"is not an ancestor of HEAD {head[:12]}"
            if not self.deepen(step):
                return None, (
                    f"is not an ancestor of HEAD {head[:12]} within the shallow history "
                    f"(deepened {self.deepened} commits, budget {self.deepen_budget})"
                )
            step *= 2
        return found, ""

    # --- git primitives ------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        try:
            out = self.git(
                "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
            )
        except _git.GitFailed:
            return None
        return out.strip() or None

    def branch_tip(self, branch: str, fallback_sha: str | None = None) -> str:
        """The tip of `branch`: <remote>/<branch>, then <branch>, then a fetch of it."""
        remote = self.remote()
        tracking = f"refs/remotes/{remote}/{branch}" if remote else None
        for rev in (tracking, f"refs/heads/{branch}"):
            if rev is not None and (sha := self.resolve(rev)):
                return sha
        if fallback_sha and (sha := self.resolve(fallback_sha)):
            return sha
        if tracking is not None:
            refspec = f"+refs/heads/{branch}:{tracking}"
            if self.fetch(refspec, depth=_FIRST_DEEPEN) and (sha := self.resolve(tracking)):
                return sha
        name = remote or "origin"
        raise _Uncertain(
            f"branch {branch!r} is not in this clone (neither {name}/{branch} nor {branch}) "
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
        if self.remote() and self.fetch(sha, depth=_FIRST_DEEPEN):
            return self.resolve(sha)
        return None

    def merge_base(self, base: str, head: str, what: str) -> str:
        step = _FIRST_DEEPEN
        while True:
            try:
                return self.git("merge-base", "--end-of-options", base, head).strip()
            except _git.GitFailed:
                pass
            if not self.is_shallow():
                raise _Uncertain(f"no merge-base of {what} and HEAD: the histories are unrelated")
            if self.remote() is None or self.deepened >= self.deepen_budget:
                raise _Uncertain(
                    f"shallow clone: no merge-base of {what} and HEAD after deepening "
                    f"{self.deepened} commits (budget {self.deepen_budget}); fetch more history "
                    "(actions/checkout fetch-depth: 0) or raise deepen-budget"
                )
            if not self.deepen(step):
                raise _Uncertain(
                    f"shallow clone: no merge-base of {what} and HEAD, and "
                    "`git fetch --deepen` failed; fetch more history "
                    "(actions/checkout fetch-depth: 0)"
                )
            step *= 2

    def deepen(self, step: int) -> bool:
        """Fetch `step` more commits of history (within the budget); False when it cannot."""
        step = min(step, self.deepen_budget - self.deepened)
        if step <= 0 or self.remote() is None or not self.fetch(None, deepen=step):
            return False
        self.deepened += step
        return True

    def is_ancestor(self, ancestor: str, head: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", "--end-of-options", ancestor, head)
        except _git.GitFailed:
            return False
        return True

    def is_shallow(self) -> bool:
        if self._shallow is None:
            self._shallow = self.git("rev-parse", "--is-shallow-repository").strip() == "true"
        return self._shallow

    def remote(self) -> str | None:
        """The remote to fetch from: `origin`, else the only remote there is."""
        if self._remotes is None:
            self._remotes = self.git("remote").split()
        names = self._remotes
        if "origin" in names:
            return "origin"
        return names[0] if len(names) == 1 else None

    def fetch(
        self, refspec: str | None, *, depth: int | None = None, deepen: int | None = None
    ) -> bool:
        import git  # noqa: PLC0415

        remote = self.remote()
        if remote is None:
            return False
        args = ["--no-tags", "--quiet", "--no-recurse-submodules"]
        if deepen is not None:
            args.append(f"--deepen={deepen}")
        elif depth is not None and self.is_shallow():
            args.append(f"--depth={depth}")
        args += ["--end-of-options", remote]
        if refspec is not None:
            args.append(refspec)
        shown = " ".join(a for a in args if a != "--end-of-options")
        try:
            # Through GitPython, the library for talking to a remote: a fetch happens
            # only in a shallow or partial clone, where the network dwarfs its import.
            _git.run(open_repo(self.root), "fetch", *args)
        except git.GitCommandError as exc:
            self.notes.append(f"git fetch {shown} failed: {_first_line(exc)}")
            return False
        self._shallow = None  # a deepen can reach the root and unshallow the clone
        self.notes.append(f"git fetch {shown}")
        return True

    # --- the diff ------------------------------------------------------------

    def diff(self, base: str, head: str | None) -> tuple[ChangedFile, ...]:
        """Files changed from `base` to `head` (None: the working tree incl. untracked).

        No rename detection: a rename is a deletion plus an addition, which selects the
        same targets, and `-M` reads blob contents (one fetch per blob in a partial
        clone, a fallback when one is missing).
        """
        revisions = [base] if head is None else [base, head]
        out = self.git("diff", *_DIFF_FLAGS, "--end-of-options", *revisions, "--")
        files = list(parse_name_status(out))
        if head is None:
            untracked = self.git("ls-files", "-z", "--others", "--exclude-standard")
            files.extend(
                ChangedFile(p, "added")
                for p in untracked.split("\0")
                if p and not is_session_output(p)
            )
            files.extend(self.hidden_edits({f.path for f in files}))
        return tuple(files)

    def hidden_edits(self, seen: set[str]) -> list[ChangedFile]:
        """Edits `git diff` cannot see: files flagged assume-unchanged or skip-worktree (W9).

        git takes the index's word for such a file, so its content is compared here
        with the index's blob. A skip-worktree file missing from the work tree is a
        sparse checkout, not a deletion; a missing assume-unchanged file is deleted.
        """
        flagged = _flagged(self.git("ls-files", "-v", "-s", "-z"))
        if not flagged:
            return []
        root = self.root
        edited = [
            ChangedFile(path, status)
            for path, blob, sparse in flagged
            if path not in seen and (status := _work_tree_status(root / path, blob, sparse=sparse))
        ]
        self.notes.append(
            f"{len(flagged)} file(s) flagged assume-unchanged or skip-worktree: compared by "
            f"content, {len(edited)} edited"
        )
        return edited


_HEAD_CHECKED = frozenset(
    {"pull_request", "ready_for_review", "push", "push_default", "merge_group"}
)
_PULL_REQUESTS = frozenset({"pull_request", "ready_for_review"})
_DIFF_FLAGS = (
    "--name-status",
    "-z",
    "--no-renames",
    "--ignore-submodules=none",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
)


def _flagged(ls_files: str) -> list[tuple[str, str, bool]]:
    """(path, blob id, skip-worktree) of the `git ls-files -v -s -z` entries flagged
    assume-unchanged (a lower-case tag) or skip-worktree (`S`, `s`). Pure."""
    flagged = []
    for record in ls_files.split("\0"):
        tag, _, rest = record.partition(" ")
        if tag and (tag.islower() or tag == "S"):
            fields, _, path = rest.partition("\t")
            parts = fields.split()
            if path and len(parts) == 3:
                flagged.append((path, parts[1], tag in ("S", "s")))
    return flagged


def _work_tree_status(path: Path, blob: str, *, sparse: bool) -> Status | None:
    """How the work-tree file at `path` differs from the blob `blob`, or None.

    Read as bytes, without git's filters: a file git would normalise (line endings)
    counts as edited, which can only add targets, never drop one.
    """
    if path.is_symlink():
        data = os.fsencode(path.readlink())  # git stores a link as its target
    elif path.is_file():
        data = path.read_bytes()
    elif path.exists():
        return "modified"  # a folder where the file was
    else:
        return None if sparse else "deleted"
    import hashlib  # noqa: PLC0415 - loads OpenSSL; only flagged files (W9) are hashed

    digest = hashlib.sha256 if len(blob) == 64 else hashlib.sha1
    same = digest(b"blob %d\0" % len(data) + data).hexdigest() == blob
    return None if same else "modified"


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
    if tokens[-1] == "":
        tokens.pop()  # the NUL that ends the last record
    letters = set(tokens[::2])
    if len(tokens) % 2 == 0 and all(letter[:1] not in ("", "R", "C") for letter in letters):
        # Two tokens a record (the planner's diffs pass --no-renames): one pass, no branching.
        status = {letter: _STATUS_LETTERS.get(letter[0], "modified") for letter in letters}
        yield from map(ChangedFile, tokens[1::2], map(status.__getitem__, tokens[::2]))
        return
    yield from _parse_records(tokens)


def _parse_records(tokens: list[str]) -> Iterator[ChangedFile]:
    """The records of `parse_name_status`, renames and copies (three tokens) among them."""
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
    detector = _Detector(root, "main", 0)
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
    return _Detector(root, "main", 0).diff(base, head)
