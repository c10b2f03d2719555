"""The `lock` and `package` tags of the `wheelhouse` extension: pylock.toml to repositories.

For each `wheelhouse.lock(name, lock)`:
- the lock is read by `tools/read_lock.py`, run with the toolchain's
  interpreter (`wheelhouse.toolchain(python = ...)`, default `python3`) and
  the standard library only;
- every artifact chosen for some target becomes one `wheelhouse_file`
  repository named by its sha256 (`wheelhouse_<sha256>`), fetched lazily;
- `@<name>` (hub) and `@<name>__graph` are written by `lock_repos.bzl`:
  `@<name>//<project>` is the library and `@<name>//<project>/wheel` the chosen
  wheel, `<project>` PEP 503 normalized (`python-dateutil`) or, for a name
  with `-`, spelled with `_` (`python_dateutil`).
Every project name must be a valid normalized name (the helpers' names rely on
it: `plan.bzl`'s `hub_packages`, `graph_target_names`). Overrides name packages
of the lock; unknown names fail here, with the fix.
"""

load(":index_file.bzl", "wheelhouse_file")
load(":interpreter.bzl", "find_interpreter")
load(":lock_repos.bzl", "wheelhouse_graph", "wheelhouse_hub")
load(":pep503.bzl", "normalize_name")
load(":plan.bzl", "CPU_CONSTRAINTS", "choose", "is_project_name", "make_targets")
load(":versions.bzl", "specifier_contains")

_HOST = "import json, platform, sys; print(json.dumps({'version': '.'.join(map(str, sys.version_info[:3])), 'arch': platform.machine()}))"

_lock = tag_class(
    doc = "A PEP 751 pylock.toml turned into the hub `@<name>`. Repeatable, one per hub.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "str: the hub's repository name, e.g. `pypi`."),
        "lock": attr.label(mandatory = True, allow_single_file = True, doc = "Label: the pylock.toml."),
        "python_versions": attr.string_list(doc = "list[str]: CPython versions (`X.Y`) to choose artifacts for; default: the toolchain interpreter's."),
        "platforms": attr.string_list(doc = "list[str]: `linux_x86_64` and/or `linux_aarch64`; default: the host's."),
        "glibc": attr.string(default = "2.28", doc = "str: the oldest glibc the targets run on; manylinux wheels up to it are accepted."),
        "build_lock": attr.label(allow_single_file = True, doc = "Label: the build lock (`pylock.build.toml` from `wheelhouse lock-build`): every sdist is built in its locked environment, build requirements built from source too, cycles in two stages."),
        "build_from_source": attr.bool(doc = "bool: build every package that has an sdist from it, instead of using its wheels, on the toolchain's own target; other targets use the locked wheel (or fail without one)."),
    },
)

_package = tag_class(
    doc = "Per-package overrides for a locked package.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "str: the package's name in the lock."),
        "hub": attr.string(doc = "str: which `lock` it belongs to; may be omitted when there is one."),
        "build_from_source": attr.bool(doc = "bool: build it from its sdist on the toolchain's own target; other targets use its best locked wheel (without one, it is unavailable there)."),
        "build_requires": attr.string_list(doc = "list[str]: packages of the same lock its sdist needs to build (their dependencies follow)."),
        "build_deps": attr.label_list(doc = "list[Label]: extra build-environment wheels (`.whl` files or `py_wheel_dep` targets)."),
        "patches": attr.label_list(doc = "list[Label]: patches applied with `patch -p1` before building."),
        "env": attr.string_dict(doc = "dict[str, str]: extra environment for the build backend."),
        "config_settings": attr.string_dict(doc = "dict[str, str]: PEP 517 config settings."),
        "local_version": attr.string(doc = "str: PEP 440 local version label for the built wheel."),
    },
)

LOCK_TAGS = {"lock": _lock, "package": _package}

def _overrides(mctx, hubs):
    out = {name: {} for name in hubs}
    for mod in mctx.modules:
        for tag in mod.tags.package:
            hub = tag.hub
            if not hubs:
                fail("wheelhouse.package(name = {}): there is no wheelhouse.lock(...) for it to apply to; add one in MODULE.bazel".format(repr(tag.name)))
            if not hub:
                if len(hubs) != 1:
                    fail("wheelhouse.package(name = {}): say which lock with hub = one of {}".format(repr(tag.name), sorted(hubs)))
                hub = hubs.keys()[0]
            if hub not in hubs:
                fail("wheelhouse.package(name = {}, hub = {}): there is no wheelhouse.lock(name = {}); the hubs are {}".format(
                    repr(tag.name),
                    repr(hub),
                    repr(hub),
                    sorted(hubs),
                ))
            name = normalize_name(tag.name)
            if name in out[hub]:
                fail("wheelhouse.package(name = {}): given twice for hub {}; merge the two".format(repr(tag.name), repr(hub)))
            out[hub][name] = tag
    return out

def _check_overrides(lock_label, overrides, entries, build_names = {}):
    names = sorted(entries)
    for name, tag in overrides.items():
        if name not in entries and name not in build_names:
            close = [n for n in names if n.startswith(name[:3])]
            fail("wheelhouse.package(name = {}): {} has no package {}; use a name from the lock{}".format(
                repr(tag.name),
                lock_label,
                repr(name),
                " (similar: {})".format(", ".join(close)) if close else "",
            ))
        for req in tag.build_requires:
            if normalize_name(req) not in entries:
                fail("wheelhouse.package(name = {}): build requirement {} is not in {}; add it to the lock (e.g. as a top-level requirement) or give its wheel in build_deps".format(
                    repr(tag.name),
                    repr(req),
                    lock_label,
                ))

def _override_plan(tag):
    return {
        "build_requires": [normalize_name(r) for r in tag.build_requires],
        "build_deps": [str(label) for label in tag.build_deps],
        "patches": [str(label) for label in tag.patches],
        "env": tag.env,
        "config_settings": tag.config_settings,
        "local_version": tag.local_version,
    }

def _one_hub(mctx, tag, overrides, python, host, files):
    lock_label = str(tag.lock)
    path = mctx.path(tag.lock)
    if hasattr(mctx, "watch"):
        mctx.watch(path)
    args = [python, "-I", mctx.path(Label("//rules/private/tools:read_lock.py")), path]
    if tag.build_lock:
        args.append(mctx.path(tag.build_lock))
        if hasattr(mctx, "watch"):
            mctx.watch(mctx.path(tag.build_lock))
    result = mctx.execute(args, timeout = 300)
    if result.return_code != 0:
        fail((result.stderr.strip() or "wheelhouse: cannot read {}".format(path)) + " (wheelhouse.lock(name = {}, lock = {}))".format(repr(tag.name), lock_label))
    lock = json.decode(result.stdout)
    build_lock = lock.get("build_lock")
    entries = {}
    for i, entry in enumerate(lock["packages"]):
        if not is_project_name(entry["name"]):
            fail("wheelhouse: {} has a package named {}, which is not a valid project name (letters, digits and `-`, `_`, `.` between them); fix the lock".format(lock_label, repr(entry["name"])))
        entry["_id"] = i
        entries.setdefault(entry["name"], []).append(entry)
    build_names = {}
    if build_lock:
        build_names = {key.split("==")[0]: True for key in build_lock["builds"]}
    _check_overrides(lock_label, overrides, entries, build_names)
    targets = make_targets(tag.python_versions, tag.platforms, tag.glibc, host)
    requires_python = lock["requires_python"]
    for target in targets:
        full = target["env"]["python_full_version"]
        if requires_python and [s for s in requires_python.split(",") if not specifier_contains(s.strip(), full)]:
            fail("wheelhouse.lock(name = {}): target {} (Python {}) is outside the lock's requires-python {}; regenerate {} for it or drop it from python_versions".format(
                repr(tag.name),
                target["name"],
                full,
                repr(requires_python),
                lock_label,
            ))
    packages = {}
    meta = {}  # entry id -> (is the host's, artifact repo, label)
    for name, group in entries.items():
        override = overrides.get(name)
        per_target = {}
        for target in targets:
            choice = choose(group, target, override.build_from_source if override else False, tag.build_from_source)
            out = {"kind": choice["kind"], "reason": choice.get("reason", ""), "note": choice.get("note", "")}
            if "file" in choice:
                f = choice["file"]
                file_label = _file_repo(files, f, lock_label)
                repo = file_label[1:].split("//")[0]
                entry = choice["entry"]
                out.update(
                    file = file_label,
                    filename = f["name"],
                    version = entry["version"] or "",
                    deps = entry["dependencies"],
                    entry = entry["_id"],
                )
                if entry["dependencies"] == None:
                    have = meta.get(entry["_id"])
                    if not have or (target["host"] and not have[0]):
                        meta[entry["_id"]] = (target["host"], repo, "@{}//file:{}".format(repo, f["name"]))
            per_target[target["name"]] = out
        packages[name] = per_target
    for per_target in packages.values():
        for out in per_target.values():
            if "entry" in out:
                have = meta.get(out.pop("entry"))
                out["meta"] = have[1] if have else None
    metadata = sorted({m[1]: m[2] for m in meta.values()}.items())
    graph = tag.name + "__graph"
    bl_plan = None
    fixpoints = []
    if build_lock:
        host_target = [t["name"] for t in targets if t["host"]]
        bl_plan = _build_lock_plan(tag, lock_label, build_lock, entries, packages, host_target, files)
        fixpoints = ["@{}//{}:_fixpoint_{}".format(graph, bl_plan["target"], i) for i in range(len(bl_plan["cycles"]))]
    wheelhouse_graph(
        name = graph,
        plan = json.encode({
            "lock": lock_label,
            "envs": {t["name"]: t["env"] for t in targets},
            "packages": packages,
            "overrides": {name: _override_plan(o) for name, o in overrides.items()},
            "build_lock": bl_plan,
        }),
        metadata_files = [label for _, label in metadata],
        metadata_keys = [key for key, _ in metadata],
        python = str(python),
    )
    wheelhouse_hub(
        name = tag.name,
        lock = lock_label,
        packages = sorted(entries),
        targets = json.encode([{
            "name": t["name"],
            "version": t["version"],
            "cpu": CPU_CONSTRAINTS[t["arch"]],
            "default": t["version"] == "{}.{}".format(*host["version"].split(".")[:2]),
        } for t in targets]),
        graph = graph,
        fixpoint_tests = fixpoints,
    )

def _file_repo(files, f, lock_label):
    """Registers the artifact `f` ({name, url, sha256}) and returns its label."""
    repo = "wheelhouse_" + f["sha256"]
    known = files.get(repo)
    if known and known["filename"] != f["name"]:
        fail("wheelhouse: {} pins sha256 {} for both {} and {}; one file has one name, fix the lock".format(lock_label, f["sha256"], known["filename"], f["name"]))
    if not known:
        files[repo] = {"filename": f["name"], "urls": []}
    if f.get("url") and f["url"] not in files[repo]["urls"]:
        files[repo]["urls"].append(f["url"])
    return "@{}//file".format(repo)

def _build_lock_plan(tag, lock_label, build_lock, entries, packages, host_target, files):
    """The build lock's builds, files and cycles for the graph; fails on a stale or missing entry."""
    label = str(tag.build_lock)
    rerun = "rerun `wheelhouse lock-build` for {} (with the same options) and commit {}".format(lock_label, label)
    if not host_target:
        fail("wheelhouse.lock(name = {}, build_lock = ...): a build lock is for the toolchain's own target, which is not among the platforms and python_versions of this lock".format(repr(tag.name)))
    target = host_target[0]
    builds = {}
    wheels = {}
    runtime_sdists = {}
    for group in entries.values():
        for entry in group:
            if entry["sdist"]:
                runtime_sdists["{}=={}".format(entry["name"], entry["version"])] = entry["sdist"]
    for key, pkg in build_lock["packages"].items():
        if pkg["wheels"]:
            wheels[key] = _file_repo(files, pkg["wheels"][0], label)
    for key, build in build_lock["builds"].items():
        sdist = build_lock["packages"].get(key, {}).get("sdist") or runtime_sdists.get(key)
        if not sdist or sdist["sha256"] != build["sdist"]:
            fail("wheelhouse: {} builds {} from an sdist (sha256 {}) that neither it nor {} locks: it is stale; {}".format(label, key, build["sdist"], lock_label, rerun))
        builds[key] = {"env": build["environment"], "sdist": _file_repo(files, sdist, label), "role": build["role"]}
    for name, per_target in packages.items():
        choice = per_target[target]
        if choice["kind"] != "sdist":
            continue
        key = "{}=={}".format(name, choice["version"])
        if key not in builds:
            fail("wheelhouse: {} builds {} from its sdist on {}, but {} has no build entry for {}; {}".format(lock_label, key, target, label, key, rerun))
    return {"label": label, "target": target, "builds": builds, "wheels": wheels, "cycles": build_lock["cycles"]}

def lock_hubs(mctx, python, indexes, mirrors):
    """Declares the repositories of every `wheelhouse.lock` tag.

    Args:
      mctx: the module_ctx.
      python: str, the toolchain's interpreter (name on PATH or absolute path).
      indexes: list[str], configured index URLs, in priority order.
      mirrors: list[str], flat `<url>/<file name>` locations tried after the indexes.
    Returns:
      list[str]: the hub names.
    """
    hubs = {}
    for mod in mctx.modules:
        for tag in mod.tags.lock:
            if tag.name in hubs:
                fail("wheelhouse.lock(name = {}) is declared twice; give each lock its own name".format(repr(tag.name)))
            hubs[tag.name] = tag
    overrides = _overrides(mctx, hubs)
    if not hubs:
        return []
    interpreter = find_interpreter(mctx, python)
    result = mctx.execute([interpreter, "-I", "-c", _HOST])
    if result.return_code != 0:
        fail("wheelhouse: {} does not run ({}); pass a working Python >= 3.11".format(interpreter, result.stderr.strip()))
    host = json.decode(result.stdout)
    files = {}
    for name in sorted(hubs):
        _one_hub(mctx, hubs[name], overrides[name], interpreter, host, files)
    for repo, f in sorted(files.items()):
        sha256 = repo[len("wheelhouse_"):]
        wheelhouse_file(name = repo, filename = f["filename"], sha256 = sha256, urls = f["urls"], indexes = indexes, mirrors = mirrors)
    return sorted(hubs)
