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
load(":variants.bzl", "parse_property")
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
        "variant_properties": attr.string_list(doc = "list[str]: build its sdist as a PEP 825 variant wheel with these properties (`namespace :: feature :: value`), as `py_wheel_dep(variant_properties = ...)`."),
        "variant_label": attr.string(doc = "str: that variant wheel's label; default: variantlib's hash of the properties."),
        "variant": attr.string(doc = "str: a PEP 825 variant label of the package to use whatever the variant settings say (it must be in its variants json)."),
    },
)

_variants = tag_class(
    doc = "Default variant properties of a hub's variant build settings (`@<hub>//_variants:<namespace>__<feature>`): what this build supports, best first per feature. Never probed from the host.",
    attrs = {
        "hub": attr.string(doc = "str: which `lock`; may be omitted when there is one."),
        "properties": attr.string_list(mandatory = True, doc = "list[str]: `namespace :: feature :: value`, best first within a feature, e.g. `[\"x86_64 :: level :: v3\", \"x86_64 :: level :: v2\"]`."),
    },
)

LOCK_TAGS = {"lock": _lock, "package": _package, "variants": _variants}

def _variant_defaults(mctx, hubs):
    """hub -> {(namespace, feature): [values best first]} from the `variants` tags."""
    out = {name: {} for name in hubs}
    for mod in mctx.modules:
        for tag in mod.tags.variants:
            hub = tag.hub or (hubs.keys()[0] if len(hubs) == 1 else "")
            if hub not in hubs:
                fail("wheelhouse.variants(hub = {}): say which lock with hub = one of {}".format(repr(tag.hub), sorted(hubs)))
            for text in tag.properties:
                prop = parse_property(text)
                if prop == None:
                    fail("wheelhouse.variants(properties = [...]): {} is not 'namespace :: feature :: value' (lowercase letters, digits and '_'; the value may also have '.'), e.g. \"x86_64 :: level :: v3\"".format(repr(text)))
                values = out[hub].setdefault((prop[0], prop[1]), [])
                if prop[2] not in values:
                    values.append(prop[2])
    return out

def _variants_json(mctx, lock_label, entry):
    """The package's variants json, fetched by sha256 and checked against its wheels' labels."""
    f = entry["variants_json"]
    where = "{} (package {} {})".format(lock_label, entry["name"], entry["version"])
    if not f["url"]:
        fail("wheelhouse: {}: [packages.variants-json] {} has no url; lock it with its URL".format(where, f["name"]))
    out = "_variants/{}/{}".format(f["sha256"], f["name"])
    got = mctx.download(url = f["url"], output = out, sha256 = f["sha256"], allow_fail = True)
    if not got.success:
        fail("wheelhouse: {}: its variants json {} could not be fetched with sha256 {} from {} (the file changed or is gone); re-lock the package or fix [packages.variants-json]".format(where, f["name"], f["sha256"], f["url"]))
    data = json.decode(mctx.read(out))
    variants = data.get("variants") if type(data) == "dict" else None
    namespaces = (data.get("default-priorities") or {}).get("namespace") if type(data) == "dict" else None
    if type(variants) != "dict" or type(namespaces) != "list":
        fail("wheelhouse: {}: {} is not a variants json (no `variants` table or `default-priorities.namespace`); re-lock it".format(where, f["name"]))
    for w in entry["wheels"]:
        if w["variant"] and w["variant"] not in variants and w["variant"] != "null":
            fail("wheelhouse: {}: wheel {} has the variant label {}, which {} does not list (it lists {}); re-lock the package".format(
                where,
                w["name"],
                repr(w["variant"]),
                f["name"],
                ", ".join(sorted(variants)) or "none",
            ))
    features = {ns: p.get("feature-order", []) for ns, p in (data.get("providers") or {}).items() if type(p) == "dict"}
    return {"variants": variants, "namespaces": namespaces, "features": features, "file": f["name"]}

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
        "variant_properties": tag.variant_properties,
        "variant_label": tag.variant_label,
    }

def _one_hub(mctx, tag, overrides, python, host, files, defaults = {}):
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
    variant_data = {}  # entry id -> its variants json's tables
    features = {}  # (namespace, feature) -> values any locked variant provides
    for group in entries.values():
        for entry in group:
            if entry["variants_json"]:
                data = _variants_json(mctx, lock_label, entry)
                variant_data[entry["_id"]] = data
                for table in data["variants"].values():
                    for ns, feats in table.items():
                        for feature, values in feats.items():
                            known = features.setdefault((ns, feature), [])
                            known.extend([v for v in values if v not in known])
    for (ns, feature), values in defaults.items():
        if (ns, feature) not in features or [v for v in values if v not in features[(ns, feature)]]:
            fail("wheelhouse.variants(hub = {}): {} :: {} :: {} is provided by no wheel of {} (its variants provide {}); drop it".format(
                repr(tag.name),
                ns,
                feature,
                ", ".join(values),
                lock_label,
                ", ".join(["{} :: {} :: {}".format(k[0], k[1], v) for k, vs in sorted(features.items()) for v in vs]) or "nothing",
            ))
    for name, override in overrides.items():
        if override.variant:
            group = entries.get(name, [])
            labels = [lb for e in group if e["_id"] in variant_data for lb in variant_data[e["_id"]]["variants"]]
            if override.variant not in labels:
                fail("wheelhouse.package(name = {}, variant = {}): {} has no such variant of {} (its variants json lists {}); use one of those labels".format(
                    repr(override.name),
                    repr(override.variant),
                    lock_label,
                    name,
                    ", ".join(sorted(labels)) or "none",
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
                if choice["kind"] == "variants":
                    data = variant_data[entry["_id"]]
                    used = sorted({(ns, feat): True for t in data["variants"].values() for ns, fs in t.items() for feat in fs}.keys())
                    out.update(
                        options = {_file_repo(files, w, lock_label): label for label, w in choice["options"].items()},
                        plain = _file_repo(files, choice["plain"], lock_label) if choice["plain"] else None,
                        variants = json.encode(data),
                        settings = ["{}__{}".format(ns, feat) for ns, feat in used],
                        pin = override.variant if override else "",
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
            "hub": tag.name,
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
        hub_name = tag.name,
        variant_settings = json.encode([{
            "name": "{}__{}".format(ns, feature),
            "namespace": ns,
            "feature": feature,
            "known": values,
            "default": defaults.get((ns, feature), []),
        } for (ns, feature), values in sorted(features.items())]),
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
    defaults = _variant_defaults(mctx, hubs)
    interpreter = find_interpreter(mctx, python)
    result = mctx.execute([interpreter, "-I", "-c", _HOST])
    if result.return_code != 0:
        fail("wheelhouse: {} does not run ({}); pass a working Python >= 3.11".format(interpreter, result.stderr.strip()))
    host = json.decode(result.stdout)
    files = {}
    for name in sorted(hubs):
        _one_hub(mctx, hubs[name], overrides[name], interpreter, host, files, defaults[name])
    for repo, f in sorted(files.items()):
        sha256 = repo[len("wheelhouse_"):]
        wheelhouse_file(name = repo, filename = f["filename"], sha256 = sha256, urls = f["urls"], indexes = indexes, mirrors = mirrors)
    return sorted(hubs)
