"""``build-wheel`` through the local caches (:mod:`wheelhouse.host.cache`).

:func:`build_cached` is :func:`~wheelhouse.host.frontend.build_wheel` with
memory:

1. the sdist's sha256 and what inspecting it found (kept by sha256);
2. its static build requirements resolved on the host against the
   ``--find-links`` directories and ``--wheel`` files (the same resolver the
   worker uses; kept by requirements, interpreter and the directories' listing);
3. the build environment of exactly those wheels, made once in the sandbox and
   kept by :func:`~wheelhouse.host.cache.env_key`; every build mounts it
   read-only at the fixed path;
4. the dynamic requirements the backend asked for (kept by sdist, environment
   and options): a later build does not ask again, and an environment that
   lacks them is replaced by the one of static + dynamic requirements;
5. the action digest (:func:`~wheelhouse.host.cache.action_key`): a hit
   copies the cached wheel out (its sha256 checked) without starting a build;
   a miss builds and stores the result.

The wheel is the same either way (the environment is the one the worker
would install, at the same path); ``verify`` never reads these caches, and
without the bubblewrap sandbox they are not used at all (a backend that is
not isolated could write into them).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DynamicRequirements, MissingBuildRequirement, UsageError
from ..progress import Progress
from ..request import BuildRequest, BuildResult
from ..sandboxed import buildenv
from ..sdist import ExtractLimits, SdistInfo, inspect_sdist
from . import sandbox
from .cache import Cache, action_key, core_digest, digest, env_key, tree_digest
from .frontend import build_env, build_wheel, check_output, check_request, missing_requirement
from .hashing import file_sha256

__all__ = ["build_cached"]


def _options(req: BuildRequest) -> dict[str, Any]:
    """Everything of the request, besides sdist and environment, that can change the wheel."""
    return {
        "debug": req.debug,
        "build_tag": req.build_tag,
        "local_version": req.local_version,
        "variant_properties": list(req.variant_properties),
        "variant_label": req.variant_label,
        "config_settings": req.config_settings,
        "env": req.env,
        "source_date_epoch": req.source_date_epoch,
        "patches": [file_sha256(p) for p in req.patches],
        "ro_binds": [str(p) for p in req.ro_binds],
        "clock_shift": req.clock_shift,
    }


def _sdist_info(cache: Cache, req: BuildRequest, sha256: str) -> SdistInfo:
    """:func:`inspect_sdist`, remembered by sha256 (checked again against tighter limits)."""
    known = cache.record("sdists", sha256)
    if known is not None:
        info = SdistInfo.from_dict({**known, "path": str(req.sdist)})
        if info.members <= req.max_members and info.size <= req.max_extract_bytes:
            return info
    info = inspect_sdist(req.sdist, ExtractLimits(req.max_extract_bytes, req.max_members))
    cache.put_record("sdists", sha256, {k: v for k, v in info.to_dict().items() if k != "path"})
    return info


def _listing(req: BuildRequest) -> list[Any]:
    """What the resolver can choose from, as names, sizes and times (not contents)."""
    out: list[Any] = []
    for directory in req.find_links:
        entries = []
        with os.scandir(directory) as it:
            for entry in it:
                if entry.name.endswith(".whl"):
                    st = entry.stat()
                    entries.append((entry.name, st.st_size, st.st_mtime_ns))
        out.append([str(directory), sorted(entries)])
    for wheel in req.wheels:
        st = wheel.stat()
        out.append([str(wheel), st.st_size, st.st_mtime_ns])
    return out


class _Builder:
    """One cached build: the keys it needs, worked out once."""

    def __init__(self, req: BuildRequest, cache: Cache, progress: Progress) -> None:
        self.req = req
        self.cache = cache
        self.progress = progress
        core_digest(cache.root)  # remembered there: every key below includes it
        self.interp = cache.interpreter(req.python)
        self.listing = _listing(req)
        self.candidates: list[buildenv.WheelCandidate] | None = None

    def resolve(self, requirements: list[str]) -> list[tuple[Path, str]]:
        """The wheels (path, sha256) that ``requirements`` resolve to, remembered by listing."""
        key = digest(
            {
                "requirements": sorted(requirements),
                "interpreter": self.interp.key,
                "markers": self.interp.markers,
                "tags": self.interp.tags,
                "listing": self.listing,
            }
        )
        known = self.cache.record("resolutions", key)
        if known is not None and all(Path(p).is_file() for p, _ in known["wheels"]):
            return [(Path(p), str(s)) for p, s in known["wheels"]]
        if self.candidates is None:
            self.candidates = buildenv.scan_find_links(self.req.find_links) + buildenv.scan_wheel_files(
                self.req.wheels
            )
        try:
            chosen = buildenv.resolve(
                requirements,
                self.candidates,
                self.interp,
                sdist=self.req.sdist.name,
                dirs=[*self.req.find_links, *self.req.wheels],
            )
        except MissingBuildRequirement as exc:
            raise missing_requirement(self.req, exc.requirement) from None
        wheels = [(c.path, file_sha256(c.path)) for c in chosen]
        self.cache.put_record("resolutions", key, {"wheels": [[str(p), s] for p, s in wheels]})
        return wheels

    def env_key(self, wheels: list[tuple[Path, str]]) -> str:
        return env_key([s for _, s in wheels], self.interp.key)

    def env(self, wheels: list[tuple[Path, str]]) -> Path:
        """The cached environment of exactly ``wheels``, made now if it is not there (or damaged)."""
        key = self.env_key(wheels)
        found = self.cache.env(key)
        if found is not None:
            return found
        names = ", ".join(p.name for p, _ in wheels) or "(nothing)"
        self.progress.phase("build environment", f"making {key[:12]} in the cache: {names}")
        staging = self.cache.staging("envs")
        try:
            dists = build_env(
                [p for p, _ in wheels],
                [],
                self.req.python,
                staging,
                progress=Progress(
                    verbosity=min(self.progress.verbosity, 1),
                    stream=self.progress.stream,
                    start=self.progress.start,
                    sink=self.progress.sink,
                ),
                sandbox_mode=self.req.sandbox,
                timeout=self.req.timeout,
                max_processes=self.req.max_processes,
                interpreter=self.interp,
                compile_bytecode=True,
            )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        meta = {"wheels": sorted(s for _, s in wheels), "dists": list(dists), "interpreter": self.interp.key}
        return self.cache.put_env(key, staging, meta)


def build_cached(
    req: BuildRequest,
    out_dir: Path,
    cache: Cache,
    *,
    read_actions: bool = True,
    debug_dir: Path | None = None,
    log_file: Path | None = None,
    progress: Progress | None = None,
    env_wheels: Sequence[tuple[Path, str]] | None = None,
) -> BuildResult:
    """Build ``req.sdist`` into ``out_dir`` through the caches (see the module docstring).

    ``read_actions=False`` (``--no-cache``) builds even when the result is cached,
    and stores what it built. ``env_wheels`` (path, sha256) is the exact build
    environment (a build lock's): nothing is resolved, and a dynamic requirement
    it lacks is an error (``req.missing_fix`` says what to do).

    Raises:
        WheelhouseError: as :func:`~wheelhouse.host.frontend.build_wheel`; ``out_dir``
            is untouched on failure.
    """
    progress = progress or Progress(verbosity=req.verbosity)
    started = time.monotonic()
    if sandbox.select_mode(req.sandbox)[0] != "bwrap":
        return build_wheel(req, out_dir, debug_dir=debug_dir, log_file=log_file, progress=progress)
    check_request(req)
    try:
        sdist_sha = file_sha256(req.sdist)
    except OSError:  # the same one-line error as an uncached build
        inspect_sdist(req.sdist, ExtractLimits(req.max_extract_bytes, req.max_members))
        raise
    info = _sdist_info(cache, req, sdist_sha)
    target_debug = (debug_dir or out_dir / "debug") if req.debug == "split" else None
    check_output(out_dir, info, target_debug)
    builder = _Builder(req, cache, progress)
    options = _options(req)
    toolchain = cache.toolchain(builder.interp)
    static = [str(r) for r in info.build_system["requires"]]
    if req.env_dir is not None:  # the caller's own environment: keyed by its contents
        env_id, static_wheels = "dir:" + tree_digest(req.env_dir), None
    elif env_wheels is not None:  # exactly these: a locked environment
        static_wheels = list(env_wheels)
        env_id = builder.env_key(static_wheels)
    else:
        static_wheels = builder.resolve(static)
        env_id = builder.env_key(static_wheels)
    dyn_key = digest({"sdist": sdist_sha, "env": env_id, "options": options})
    known = cache.record("dynamic", dyn_key)
    dynamic = None if known is None else [str(r) for r in known["dynamic"]]
    wheels = static_wheels
    if dynamic and static_wheels is not None and env_wheels is None:
        wheels = builder.resolve(static + dynamic)
        env_id = builder.env_key(wheels)
    if dynamic is not None and read_actions:
        hit = cache.copy_action(action_key(sdist_sha, env_id, options, toolchain), out_dir, target_debug)
        if hit is not None:
            wheel, meta, debug_files = hit
            progress.phase(info.label, f"cached {wheel.name} (action {meta['key'][:12]})")
            return BuildResult(
                wheel=wheel,
                sha256=str(meta["sha256"]),
                name=info.name,
                version=info.version,
                interpreter=str(meta.get("interpreter", "")),
                log=None,
                debug_files=debug_files,
                seconds=time.monotonic() - started,
                sandbox=str(meta.get("sandbox", "")),
                environment=tuple(meta.get("environment", [])),
                dynamic=tuple(dynamic),
                cached=True,
            )
    for _attempt in range(2):
        env_dir = req.env_dir if wheels is None else builder.env(wheels)
        report = req.env_dir is None and env_wheels is None
        run = dataclasses.replace(
            req,
            env_dir=env_dir,
            dynamic_known=None if dynamic is None else tuple(dynamic),
            report_dynamic=report,
            # the environment holds everything: the worker needs no wheels (but to name them in an error)
            find_links=() if report else req.find_links,
            wheels=() if report else req.wheels,
        )
        try:
            result = build_wheel(
                run,
                out_dir,
                debug_dir=debug_dir,
                log_file=log_file,
                progress=progress,
                interpreter=builder.interp,
                info=info,
            )
        except DynamicRequirements as exc:  # the static environment lacks them: make the bigger one
            dynamic = list(exc.requirements)
            cache.put_record("dynamic", dyn_key, {"dynamic": dynamic})
            assert static_wheels is not None
            wheels = builder.resolve(static + dynamic)
            env_id = builder.env_key(wheels)
            progress.phase(info.label, f"the backend asks for {', '.join(dynamic)}: a bigger environment")
            continue
        cache.put_record("dynamic", dyn_key, {"dynamic": list(result.dynamic)})
        key = action_key(sdist_sha, env_id, options, toolchain)
        cache.put_action(
            key,
            result.wheel,
            {
                "key": key,
                "sha256": result.sha256,
                "interpreter": result.interpreter,
                "environment": list(result.environment),
                "dynamic": list(result.dynamic),
                "sandbox": result.sandbox,
                "sdist": f"{req.sdist.name} sha256={sdist_sha}",
            },
            [(p, p.relative_to(target_debug)) for p in result.debug_files] if target_debug else [],
        )
        return result
    raise UsageError(  # the second environment holds what the backend asked for the first time
        f"{req.sdist.name} ({info.label}): the backend asks for other build requirements each time it "
        "is asked; build it without the cache: --cache-dir none"
    )
