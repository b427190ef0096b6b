"""Builder: source tree -> Artifact, the way a Heroku buildpack run reads.

detect -> hash (same digest: done) -> stage a copy -> dependency env (cached by lockfile)
-> build command -> publish builds/<hex>/ atomically

Everything that runs code of the app or of its packages (pip, npm, the build command) runs in
the build's jail, which is lent the directories it fills and seals them when they are done: a
build belongs to its app (its digest and dependency key name the jail's owner), and nothing
that runs later, an instance included, can change it.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from launchdeck.build.deps import DepsCache
from launchdeck.build.detect import detect_kind
from launchdeck.build.hashing import Entry, copy_tree, key_of, tree_digest, tree_entries
from launchdeck.build.node import NodePack
from launchdeck.build.packs import Buildpack, GenericPack
from launchdeck.build.python import PythonPack
from launchdeck.build.steps import Log, discard, stream
from launchdeck.build.store import Artifact, BuildStore, Stage, normalize
from launchdeck.domain import BuildRef, BuildSpec
from launchdeck.system import OPEN, SYSTEM_CLOCK, Clock, Command, Jail, Runner


@dataclass(frozen=True)
class _Job:
    """What one build() call is making."""

    kind: str
    pack: Buildpack
    spec: BuildSpec
    log: Log
    git_sha: str | None
    jail: Jail


class Builder:
    def __init__(
        self,
        root: Path,
        *,
        runner: Runner = Runner(),
        python: str = sys.executable,
        keep: int = 10,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if keep < 0:
            raise ValueError(f"keep: should be 0 or more (got {keep})")
        self._root = root.resolve()  # deps paths are baked into envs and symlinks
        self._runner = runner
        self._keep = keep
        self._clock = clock
        self._environ = dict(os.environ if environ is None else environ)
        self._store = BuildStore(self._root)
        self._deps = DepsCache(self._root)
        self._packs: dict[str, Buildpack] = {
            "python": PythonPack(runner=runner, python=python, environ=self._environ),
            "node": NodePack(runner=runner, environ=self._environ),
            "generic": GenericPack(),
        }

    def build(
        self,
        source: Path,
        spec: BuildSpec,
        *,
        log: Log = discard,
        git_sha: str | None = None,
        jail: Jail = OPEN,
    ) -> Artifact:
        source = source.resolve()
        kind = detect_kind(source, spec)
        job = _Job(kind, self._packs[kind], spec, log, git_sha, jail)
        log(f"-----> {job.pack.label} app detected")
        inside = self._root.is_relative_to(source) and self._root != source
        exclude = frozenset({self._root.relative_to(source).as_posix()} if inside else ())
        entries = tree_entries(source, exclude=exclude)
        _, digest = self._address(source, entries, job)
        existing = self._store.find(digest)
        if existing is not None:
            log(f"-----> Build {digest} already exists for this source: nothing to do")
            return existing
        with self._store.stage() as stage:
            copy_tree(source, stage.app, entries)
            jail.lend(stage.build_dir)
            # Address the copy, not the source: the source may have changed since it was
            # hashed, and the digest must name exactly what is stored.
            key, digest = self._address(stage.app, entries, job)
            return self._assemble(stage, job, key, digest)

    def get(self, digest: str) -> Artifact:
        return self._store.get(digest)

    def list(self) -> list[BuildRef]:
        return [artifact.ref for artifact in self._store.artifacts()]

    def prune(self, *, protect: Collection[str] = ()) -> builtins.list[str]:
        """Remove all but the newest `keep` builds and `protect`; then envs no build uses."""
        protected = {normalize(digest) or digest for digest in protect}
        with self._store.locked():
            artifacts = self._store.artifacts()
            kept = {a.ref.digest for a in artifacts[: self._keep]} | protected
            removed = [a.ref.digest for a in artifacts if a.ref.digest not in kept]
            for digest in removed:
                self._store.remove(digest)
            pinned = self._store.sweep_stages()
            used = {a.deps_key for a in artifacts if a.ref.digest in kept and a.deps_key}
            self._deps.sweep(used=used, pinned=pinned)
        return removed

    def _address(
        self, tree: Path, entries: builtins.list[Entry], job: _Job
    ) -> tuple[str | None, str]:
        key = job.pack.deps_key(tree)
        if key is not None and job.jail.owner:
            key = key_of(key, job.jail.owner)  # another app's accounts may not read this env
        inputs = {"kind": job.kind, "deps": key or "", "command": job.spec.command or ""}
        if job.jail.owner:
            inputs["owner"] = job.jail.owner
        return key, "sha256:" + tree_digest(tree, entries, inputs=inputs)

    def _assemble(self, stage: Stage, job: _Job, key: str | None, digest: str) -> Artifact:
        deps_dir, reused = self._dependencies(stage, key, job)
        if deps_dir is not None:
            job.pack.link(stage.app, deps_dir)
        if job.spec.command:
            env = job.pack.env(stage.app, deps_dir)
            self._run_command(job, stage.app, env)
        app_dir = self._root / "builds" / digest.removeprefix("sha256:") / "app"
        meta = {
            "digest": digest,
            "kind": job.kind,
            "created_at": self._clock.now(),
            "deps_key": key,
            "git_sha": job.git_sha,
            "env": job.pack.env(app_dir, deps_dir),
        }
        if not self._store.publish(stage, meta, seal=job.jail.seal):
            job.log(f"-----> Build {digest} was completed by another build meanwhile: using it")
            return self._store.get(digest)
        job.log(f"-----> Build {digest} ready")
        return replace(self._store.get(digest), reused_deps=reused)

    def _dependencies(self, stage: Stage, key: str | None, job: _Job) -> tuple[Path | None, bool]:
        if key is None:
            return None, False
        self._store.pin(stage, key)

        def install(env_dir: Path) -> None:
            job.log(f"-----> Creating dependency environment {key[:12]}")
            job.jail.lend(env_dir)
            job.pack.install(stage.app, env_dir, job.log, jail=job.jail)
            job.jail.seal(env_dir)

        reused = self._deps.ensure(key, install)
        if reused:
            job.log(f"-----> Reusing dependency environment {key[:12]}")
        return self._deps.path(key), reused

    def _run_command(self, job: _Job, app: Path, env: Mapping[str, str]) -> None:
        command = job.spec.command
        job.log(f"-----> Running build command: {command}")
        # The manifest's build command is a shell line (`npm run build && ...`); /bin/sh runs
        # it as Heroku does, and as the local driver runs service commands.
        argv = ("/bin/sh", "-c", command or "")
        run = job.jail.confine(
            Command(argv, cwd=app, env={**self._environ, **env}), writable=(app,)
        )
        what = f"build command `{command}`"
        stream(self._runner, run, job.log, what=what, fix="fix it and build again")
