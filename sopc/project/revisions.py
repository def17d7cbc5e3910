"""A project as it was at a git revision, for `sopc diff`.

A revision's project folder is written into a folder of its own with
``git archive REV -- PATH``, so each side is read from a bare copy and the
user's working tree and index are never touched: only git's read-only
commands run here (rev-parse, merge-base, cat-file, archive; none of them
refreshes the index, as `git status` would).

Every failure is a :class:`RevisionError` whose message is one line saying
what is wrong and what to do.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sopc.core.i18n import _

DEFAULT_BRANCHES = ("origin/HEAD", "main", "master", "origin/main", "origin/master")
WORKING_TREE = "working tree"


class RevisionError(Exception):
    """A revision or repository problem, told in one line with what to do."""


def not_a_repository(folder: Path) -> str:
    return _("{folder} is not in a git repository: run sopc diff inside one, or compare two folders: "
             "sopc diff OLD_DIR NEW_DIR").format(folder=folder)


@dataclass(frozen=True, slots=True)
class Repository:
    top: Path  # the working tree's top folder

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _git(self.top, *args, check=check)


@dataclass(frozen=True, slots=True)
class Revision:
    """A commit to compare: what the user called it and the commit it is."""

    name: str     # as written (`main`, `HEAD~2`), or how the default was found
    commit: str   # the full hash

    @property
    def label(self) -> str:
        short = self.commit[:7]
        if self.commit.startswith(self.name.lower()) and len(self.name) >= 7:  # a hash: its first 7
            return short
        return f"{self.name} ({short})"


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    # GIT_OPTIONAL_LOCKS=0: nothing git runs here may take the index lock to refresh it
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise RevisionError(_("git is not installed (or not on PATH): install it, or compare two folders: "
                              "sopc diff OLD_DIR NEW_DIR")) from None
    if check and done.returncode != 0:
        problem = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RevisionError(_("git {command} failed: {problem}").format(
            command=args[0], problem=problem[-1] if problem else f"exit {done.returncode}"))
    return done


def find_repository(folder: Path) -> Repository:
    """The git repository ``folder`` is in."""
    if not folder.is_dir():
        raise RevisionError(_("no folder {folder}").format(folder=folder))
    done = _git(folder, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise RevisionError(not_a_repository(folder.resolve()))
    return Repository(Path(done.stdout.decode().strip()).resolve())


def commit_of(repo: Repository, name: str) -> str | None:
    """The commit ``name`` names, or None if it names none."""
    if name.startswith("-"):
        return None  # never an option to git
    done = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}", check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def revision(repo: Repository, name: str, cwd: Path | None = None) -> Revision:
    """``name`` as a :class:`Revision`; an unknown one is an error (a file
    given for PATH is told so: PATH is the project's folder)."""
    commit = commit_of(repo, name)
    if commit is None:
        if cwd is not None and (cwd / name).is_file():
            raise RevisionError(_("`{name}` is a file: PATH is the project's folder (the one holding sopc.toml)")
                                .format(name=name))
        raise RevisionError(_("unknown revision `{name}` in {repo}: give a branch, tag or commit (`git log --oneline` "
                              "lists commits; fetch a remote branch first), or a folder").format(name=name, repo=repo.top))
    return Revision(name, commit)


def default_base(repo: Repository) -> Revision:
    """Where the current branch left the default branch (origin/HEAD, main
    or master): their merge base; else HEAD."""
    head = commit_of(repo, "HEAD")
    if head is None:
        raise RevisionError(_("the repository at {repo} has no commit yet: commit the project first, or compare two "
                              "folders: sopc diff OLD_DIR NEW_DIR").format(repo=repo.top))
    for branch in DEFAULT_BRANCHES:
        if commit_of(repo, branch) is None:
            continue
        done = repo.git("merge-base", "HEAD", branch, check=False)
        if done.returncode == 0:
            base = done.stdout.decode().strip()
            return Revision(f"merge base of HEAD and {branch}" if base != head else "HEAD", base)
    return Revision("HEAD", head)


def project_in_repo(repo: Repository, project_root: Path) -> str:
    """The project folder as a path inside the repository (`""` for its top)."""
    try:
        inside = project_root.resolve().relative_to(repo.top)
    except ValueError:
        raise RevisionError(_("the project {project} is not inside the repository at {repo}: give its folder inside "
                              "the repository as PATH").format(project=project_root, repo=repo.top)) from None
    return inside.as_posix() if inside.parts else ""


def export(repo: Repository, rev: Revision, inside: str, dest: Path) -> Path:
    """Write the files of folder ``inside`` at ``rev`` under ``dest``; the
    project's folder there. ``dest`` must be an empty folder."""
    spec = f"{rev.commit}:{inside}" if inside else f"{rev.commit}:"
    kind = repo.git("cat-file", "-t", spec, check=False)
    if kind.returncode != 0 or kind.stdout.decode().strip() != "tree":
        where = f"`{inside}`" if inside else _("in the repository's top folder")
        raise RevisionError(_("the project {where} is not in {revision}: choose another base revision "
                              "(sopc diff BASE HEAD PATH), or give the project folder as PATH")
                            .format(where=where, revision=rev.label))
    command = ["git", "archive", "--format=tar", rev.commit, "--", inside or "."]
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    with subprocess.Popen(command, cwd=repo.top, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
                archive.extractall(dest, filter="data")  # no member may land outside dest
        except (tarfile.TarError, OSError) as exc:
            proc.kill()
            raise RevisionError(_("cannot unpack {revision}: {problem}").format(revision=rev.label, problem=exc)) from None
        problem = proc.stderr.read().decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise RevisionError(_("git {command} failed: {problem}").format(
            command=f"archive {rev.label}", problem=problem.splitlines()[-1] if problem else f"exit {proc.returncode}"))
    return dest / inside if inside else dest

