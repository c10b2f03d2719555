"""Static choice of one artifact per package and target, and the names it gets, in pure Starlark.

The module extension reads a pylock.toml (with `tools/read_lock.py`) and, for
every target environment (a CPython `major.minor` on a Linux CPU, see
`make_targets`), decides what each package is there: excluded by its marker,
a wheel chosen by PEP 425 tags, an sdist to build, or unavailable (with the
reason). `hub_packages` and `graph_target_names` name what the hub and graph
repositories hold, so that no project name can collide with a helper. No Bazel
builtins are used, so tests/unit/test_starlark_plan.py can evaluate this file
with starlark-pyo3.
"""

load(":markers.bzl", "evaluate_marker")
load(":tags.bzl", "best_wheel_by_rank", "linux_platforms", "supported_tags")

# Bazel constraint values of the CPUs a target may name.
CPU_CONSTRAINTS = {
    "aarch64": "@platforms//cpu:aarch64",
    "x86_64": "@platforms//cpu:x86_64",
}

def parse_python_version(version):
    """Splits `3.14` (or `3.14.1`) into (major, minor, full version).

    Args:
      version: str.
    Returns:
      tuple[int, int, str]; fails with a message on anything else.
    """
    parts = version.split(".")
    if len(parts) not in (2, 3) or [p for p in parts if not p.isdigit()]:
        fail("wheelhouse: python version {} is not `X.Y` or `X.Y.Z` (e.g. \"3.14\")".format(repr(version)))
    full = version if len(parts) == 3 else version + ".0"
    return int(parts[0]), int(parts[1]), full

def target_name(major, minor, arch):
    """The name of a target environment, e.g. `cp314_linux_x86_64`.

    Args:
      major: int.
      minor: int.
      arch: str.
    Returns:
      str
    """
    return "cp{}{}_linux_{}".format(major, minor, arch)

def make_targets(python_versions, platforms, glibc, host):
    """The target environments of one lock: every Python version on every platform.

    Args:
      python_versions: list[str], `X.Y` (or `X.Y.Z`); empty means the host interpreter's.
      platforms: list[str], `linux_<arch>` with arch in CPU_CONSTRAINTS; empty means the host's.
      glibc: str, the oldest glibc the targets run on, e.g. "2.28" (manylinux tags up to it).
      host: dict with `version` (`X.Y.Z` of the toolchain's interpreter) and `arch`.
    Returns:
      list[dict]: each with `name`, `version` (`X.Y`), `arch`, `env` (the PEP 508
      marker environment), `rank` (dict tag -> preference, 0 best), `host` (bool:
      the toolchain can build sdists for it) and `toolchain_target` (str: the name
      of the one target the toolchain builds sdists for, listed or not).
    """
    host_major, host_minor, host_full = parse_python_version(host["version"])
    toolchain_target = target_name(host_major, host_minor, host["arch"])
    versions = python_versions or ["{}.{}".format(host_major, host_minor)]
    plats = platforms or ["linux_" + host["arch"]]
    glibc_parts = glibc.split(".")
    if len(glibc_parts) != 2 or not glibc_parts[0].isdigit() or not glibc_parts[1].isdigit():
        fail("wheelhouse: glibc {} is not `2.Y` (e.g. \"2.28\")".format(repr(glibc)))
    out = []
    seen = {}
    for platform in plats:
        arch = platform[len("linux_"):] if platform.startswith("linux_") else ""
        if arch not in CPU_CONSTRAINTS:
            fail("wheelhouse: platform {} is not supported; use one of {}".format(
                repr(platform),
                ", ".join(["linux_" + a for a in sorted(CPU_CONSTRAINTS)]),
            ))
        tag_platforms = linux_platforms(arch, int(glibc_parts[0]), int(glibc_parts[1]))
        for version in versions:
            major, minor, full = parse_python_version(version)
            is_host = (major, minor) == (host_major, host_minor) and arch == host["arch"]
            if is_host and len(version.split(".")) == 2:
                full = host_full
            name = target_name(major, minor, arch)
            if name in seen:
                fail("wheelhouse: target {} is listed twice (python_versions {}, platforms {})".format(name, versions, plats))
            seen[name] = True
            tags = supported_tags(major, minor, tag_platforms)
            out.append({
                "name": name,
                "version": "{}.{}".format(major, minor),
                "arch": arch,
                "host": is_host,
                "toolchain_target": toolchain_target,
                "rank": {tag: i for i, tag in enumerate(tags)},
                "env": {
                    "implementation_name": "cpython",
                    "implementation_version": full,
                    "os_name": "posix",
                    "platform_machine": arch,
                    "platform_python_implementation": "CPython",
                    "platform_release": "",
                    "platform_system": "Linux",
                    "platform_version": "",
                    "python_full_version": full,
                    "python_version": "{}.{}".format(major, minor),
                    "sys_platform": "linux",
                },
            })
    return out

def choose(entries, target, from_source, build_all):
    """What one package is on one target.

    Building from source (`from_source`, or `build_all` for a package with an
    sdist) happens only on the toolchain's own target (`target["host"]`); on any
    other target the best locked wheel is used, with a `note` saying so, and
    without one the package is unavailable there.

    Args:
      entries: list[dict], the lock's entries for one normalized name (several
        only when markers split them), as `tools/read_lock.py` prints them.
      target: dict, from `make_targets`.
      from_source: bool, the package is marked `build_from_source`.
      build_all: bool, the lock's global switch: build every package that has an sdist.
    Returns:
      dict: `kind` is "excluded" (with `reason`), "wheel" or "sdist" (with
      `entry` and `file`, the lock's file dict; a wheel chosen instead of a
      requested source build also has `note`, str), or "unavailable" (with `reason`).
    """
    active = [e for e in entries if not e["marker"] or evaluate_marker(e["marker"], target["env"])]
    if not active:
        markers = [e["marker"] for e in entries]
        return {"kind": "excluded", "reason": "its marker {} is false on {}".format(" / ".join(markers), target["name"])}
    if len(active) > 1:
        return {"kind": "unavailable", "reason": "the lock has {} entries whose markers hold on {} (versions {}); regenerate the lock".format(
            len(active),
            target["name"],
            ", ".join([str(e["version"]) for e in active]),
        )}
    entry = active[0]
    sdist = entry["sdist"]
    if from_source and not sdist:
        return {"kind": "unavailable", "reason": "it is marked build_from_source but the lock has no sdist for it; lock the sdist too or drop build_from_source"}
    plain = [w for w in entry["wheels"] if not w.get("variant")]
    names = [w["name"] for w in plain]
    i = best_wheel_by_rank(names, target["rank"])
    variants = _variant_options(entry, target["rank"])
    if variants and not (sdist and (from_source or build_all) and target["host"]):
        # PEP 825 variants: which one is chosen at analysis time, by the variant settings.
        options = variants
        first = options[sorted(options.keys())[0]]
        return {"kind": "variants", "entry": entry, "file": first, "options": options, "plain": plain[i] if i >= 0 else None}
    if sdist and (from_source or build_all):
        if target["host"]:
            return {"kind": "sdist", "entry": entry, "file": sdist}
        only_on = "built from source only on {}, the toolchain's own target".format(target["toolchain_target"])
        if i >= 0:
            return {"kind": "wheel", "entry": entry, "file": plain[i], "note": only_on + "; the locked wheel is used here"}
        return {"kind": "unavailable", "reason": "{} (build_from_source), and no wheel in the lock matches {} (CPython {} on linux {}); lock a wheel for {} (the lock has {})".format(
            only_on,
            target["name"],
            target["version"],
            target["arch"],
            target["name"],
            ", ".join(names) or "no wheels",
        )}
    if i >= 0:
        return {"kind": "wheel", "entry": entry, "file": plain[i]}
    if sdist:
        if not target["host"]:
            return {"kind": "unavailable", "reason": "its sdist {} would have to be built for {}, but the toolchain's interpreter builds only for its own target ({}); lock a wheel for {}".format(
                sdist["name"],
                target["name"],
                target["toolchain_target"],
                target["name"],
            )}
        return {"kind": "sdist", "entry": entry, "file": sdist}
    return {"kind": "unavailable", "reason": "no wheel in the lock matches {} (CPython {} on linux {}) and there is no sdist; the lock has {}".format(
        target["name"],
        target["version"],
        target["arch"],
        ", ".join(names) or "no files",
    )}

def _variant_options(entry, rank):
    """label -> the best-ranked variant wheel (file dict) of that label for the target."""
    by_label = {}
    for w in entry["wheels"]:
        label = w.get("variant")
        if label:
            by_label.setdefault(label, []).append(w)
    options = {}
    for label, wheels in by_label.items():
        # The tags are in the name without the label: `...-{platform tag}-{label}.whl`.
        bases = [w["name"][:-len(".whl") - len(label) - 1] + ".whl" for w in wheels]
        i = best_wheel_by_rank(bases, rank)
        if i >= 0:
            options[label] = wheels[i]
    return options

# Names. A PEP 503 normalized project name is runs of [a-z0-9] joined by single
# `-`: it has no `_`, `.`, `/` or `:` and never starts with `_`. Every helper name
# below leans on that; `is_project_name` is checked on every name of a lock
# before anything is named after it.

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

def is_project_name(name):
    """Whether `name` is a PEP 503 normalized project name (`packaging.utils.is_normalized_name`).

    Args:
      name: str.
    Returns:
      bool
    """
    if not name or name.startswith("-") or name.endswith("-") or "--" in name:
        return False
    for c in name.elems():
        if c != "-" and c not in _NAME_CHARS:
            return False
    return True

def graph_target_names(name):
    """The targets the graph repository makes for project `name` in each target package.

    `<name>` (the library), `<name>_wheel` (the wheel or its sdist build) and,
    for a dependency cycle led by `name`, `_cycle_<name>` (one library for the
    cycle). They never collide, among themselves or across projects: a
    normalized name has no `_`, so `<name>` has none, `<name>_wheel` has exactly
    one, and only `_cycle_<name>` starts with `_`; each is one-to-one in `name`.
    The outputs of those targets (`<x>.site`, `<x>_wheel.wheel`,
    `<x>_wheel.build.log`) hold a `.`, which no target name has. The
    packages are target environments (`cp314_linux_x86_64`): project names
    are never packages there.

    Args:
      name: str, a normalized project name (`is_project_name`).
    Returns:
      dict[str, str]: `library`, `wheel` and `cycle`.
    """
    return {"library": name, "wheel": name + "_wheel", "cycle": "_cycle_" + name}

# Hub packages that are not projects: the root (BUILD.bazel, packages.bzl) and
# the config_settings. Neither can be a project's package or its `_` spelling:
# one is empty, the other starts with `_`; `packages.bzl` holds a `.`.
HUB_RESERVED = ["", "_config", "_variants"]

def hub_packages(names):
    """The packages of the hub `@<hub>`, each holding one alias.

    For project `<name>`: `//<name>` (target `<name>`, the library) and
    `//<name>/wheel` (target `wheel`, the chosen wheel), both `select()`ing
    from the graph. A name with `-` also gets its `_` spelling,
    `//<name with _>` and `//<name with _>/wheel`, aliases of those two.
    A nested package `<x>/wheel` has a `/`, which no project name has, and two
    different normalized names never share a `_` spelling, nor can a `_`
    spelling (which has a `_`) be a normalized name: no two packages coincide.

    Args:
      names: list[str], the lock's normalized project names.
    Returns:
      list[dict]: per package `package` (its path in the hub), `target` (the
      alias's name: the package's last path component), `project`, `kind`
      ("library" or "wheel") and `actual`: "" for the `select()`, else the hub
      label (`//<name>` or `//<name>/wheel`) the alias points at.
    """
    seen = {p: "the hub itself" for p in HUB_RESERVED}
    out = []
    for name in names:
        if not is_project_name(name):
            fail("wheelhouse: {} is not a normalized project name (PEP 503: letters, digits and single `-`)".format(repr(name)))
        spellings = [name] + ([name.replace("-", "_")] if "-" in name else [])
        for spelling in spellings:
            for kind, package, target, canonical in (
                ("library", spelling, spelling, "//" + name),
                ("wheel", spelling + "/wheel", "wheel", "//{}/wheel".format(name)),
            ):
                if package in seen:
                    fail("wheelhouse: the hub package {} of {} is also {}".format(repr(package), name, seen[package]))
                seen[package] = name
                out.append({
                    "package": package,
                    "target": target,
                    "project": name,
                    "kind": kind,
                    "actual": "" if spelling == name else canonical,
                })
    return out
