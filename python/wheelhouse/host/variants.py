"""Wheel variants (PEP 825) on the host side, through variantlib.

variantlib, the reference implementation, parses and validates properties, derives
labels and writes ``variant.json``; nothing here re-implements that. What is ours:
the variant wheel is written like every other wheel (:func:`rewrite_entries`: sorted
members, fixed times, a fresh RECORD), so it is bit-identical across machines,
and a build fails with one line when the properties are malformed.
"""

from __future__ import annotations

import calendar
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import BadArchive, UsageError
from ..normalize import read_wheel_entries, rewrite_entries, write_wheel_file

#: The environment variable a backend reads its variant properties from (``;``-separated).
ENV_VAR = "WHEELHOUSE_VARIANT_PROPERTIES"


def canonical_properties(texts: Iterable[str]) -> tuple[str, ...]:
    """``namespace :: feature :: value`` strings, validated and canonical, sorted, unique.

    Raises:
        UsageError: a malformed property, with the expected form.
    """
    from variantlib.errors import ValidationError
    from variantlib.models.variant import VariantProperty

    props = set()
    for text in texts:
        try:
            props.add(VariantProperty.from_str(text))
        except ValidationError:
            raise UsageError(
                f"--variant-property {text!r}: not 'namespace :: feature :: value' (lowercase letters, "
                "digits and '_'; the value may also have '.'), e.g. 'x86_64 :: level :: v3'"
            ) from None
    return tuple(p.to_str() for p in sorted(props))


def check_label(properties: tuple[str, ...], label: str | None) -> str:
    """The variant's label: ``label`` if valid, else the one variantlib derives.

    Raises:
        UsageError: an invalid label, or a label without properties.
    """
    from variantlib.errors import ValidationError
    from variantlib.models.variant import VariantDescription, VariantProperty

    if label is not None and not properties:
        raise UsageError(f"--variant-label {label!r} needs at least one --variant-property")
    try:
        props = [VariantProperty.from_str(p) for p in properties]
        desc = VariantDescription(properties=props, label=label or "")
    except ValidationError as exc:
        raise UsageError(
            f"--variant-label {label!r}: {exc}; use lowercase letters, digits, '_' and '.'"
        ) from None
    return str(desc.label)


def make_variant_wheel(wheel: Path, properties: tuple[str, ...], label: str | None) -> Path:
    """Turn ``wheel`` into its variant: add ``variant.json``, put the label in the name.

    The result replaces ``wheel`` in its directory, written under a temporary name
    and renamed; its members keep the wheel's fixed time.
    """
    from variantlib.api import make_variant_dist_info
    from variantlib.models.variant import VariantDescription, VariantProperty
    from variantlib.pyproject_toml import VariantPyProjectToml

    desc = VariantDescription(
        properties=[VariantProperty.from_str(p) for p in properties], label=check_label(properties, label)
    )
    entries, dist_info = read_wheel_entries(wheel)
    if f"{dist_info}/variant.json" in entries:
        raise BadArchive(
            f"{wheel.name}: already has {dist_info}/variant.json; build it without variant properties"
        )
    with zipfile.ZipFile(wheel) as zf:
        epoch = calendar.timegm((*zf.infolist()[0].date_time, 0, 0, 0))
    # The properties were chosen statically, by the build's caller, never by a plugin: each
    # namespace's provider is declared `builtin` (the selector knows it itself: the Bazel hub's
    # build settings), the same for every variant of the package, so variantlib can merge the
    # variants' files into one {name}-{version}-variants.json.
    namespaces = sorted({prop.namespace for prop in desc.properties})
    info = VariantPyProjectToml(
        {
            "variant": {
                "default-priorities": {"namespace": namespaces},
                "providers": {ns: {"builtin": ns} for ns in namespaces},
            }
        }
    )
    data = make_variant_dist_info(desc, info, expand_aot_plugin_properties=False).encode("utf-8")
    entries[f"{dist_info}/variant.json"] = (data, 0o644)
    final = wheel.with_name(f"{wheel.name[: -len('.whl')]}-{desc.label}.whl")
    write_wheel_file(final, rewrite_entries(entries, dist_info, epoch))
    wheel.unlink()
    return final


def split_label(filename: str) -> tuple[str, str | None]:
    """``(filename without the variant label, label)``; ``(filename, None)`` for a plain wheel.

    ``name-version(-build)?-python-abi-platform(-label)?.whl``: a build tag starts with a
    digit, a python tag never does.
    """
    parts = filename[: -len(".whl")].split("-") if filename.endswith(".whl") else []
    if len(parts) == 7 or (len(parts) == 6 and not parts[2][:1].isdigit()):
        return "-".join(parts[:-1]) + ".whl", parts[-1]
    return filename, None


def read_variant(wheel: Path) -> tuple[str, tuple[str, ...]] | None:
    """The label and properties a variant wheel declares (checked by variantlib), or None.

    Raises:
        BadArchive: a malformed ``variant.json``, or one whose label is not the file name's.
    """
    from variantlib.errors import ValidationError
    from variantlib.variant_dist_info import VariantDistInfo

    label = split_label(wheel.name)[1]
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if n.endswith(".dist-info/variant.json") and n.count("/") == 1]
            if not names:
                if label is not None:
                    raise BadArchive(
                        f"{wheel.name}: named as variant {label!r} but has no *.dist-info/variant.json"
                    )
                return None
            text = zf.read(names[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadArchive(f"{wheel}: not a readable wheel ({exc})") from None
    try:
        info = VariantDistInfo(text, expected_label=label)
    except (ValidationError, ValueError) as exc:
        raise BadArchive(
            f"{wheel.name}: malformed {names[0]} ({exc}); rebuild the variant wheel "
            "(wheelhouse build-wheel --variant-property ...)"
        ) from None
    desc = info.variant_desc
    return desc.label, tuple(p.to_str() for p in desc.properties)
