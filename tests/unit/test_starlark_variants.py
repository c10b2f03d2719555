"""rules/private/variants.bzl, evaluated with starlark-pyo3, against variantlib's resolver.

Generated cases: a package's variants (labels -> properties, the null variant
sometimes listed), the properties a configuration supports, and namespace,
feature and property priorities. variantlib's ``sort_and_filter_supported_variants``
(with ``filter_values=True``; its ``abi_dependency`` namespace, filled from the
running interpreter, switched off) must give the same labels in the same order.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from variantlib.errors import ValidationError
from variantlib.models.variant import VariantDescription, VariantProperty
from variantlib.resolver import lib as resolver

from starlark_eval import eval_bzl

MODULE = eval_bzl("variants.bzl")

NAMESPACES = ["x86_64", "cuda", "blas"]
FEATURES = ["level", "version", "impl"]
VALUES = ["v1", "v2", "v3", "12.8", "13.0", "mkl"]

Prop = tuple[str, str, str]
PROPS = st.tuples(st.sampled_from(NAMESPACES), st.sampled_from(FEATURES), st.sampled_from(VALUES))


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    variants: dict[str, dict[str, dict[str, list[str]]]] = {}
    for _ in range(draw(st.integers(0, 6))):
        props = draw(st.lists(PROPS, min_size=1, max_size=4, unique=True))
        table: dict[str, dict[str, list[str]]] = {}
        for ns, feature, value in props:
            table.setdefault(ns, {}).setdefault(feature, []).append(value)
        label = draw(st.sampled_from(["hash", "a", "b", "c", "x86_64_v3", "v2.1"]))
        if label == "hash":
            label = VariantDescription(properties=[VariantProperty(*p) for p in props]).label
        variants[label] = table
    if draw(st.booleans()):
        variants["null"] = {}
    # Mostly what the variants use (else little survives the filter), plus a few others.
    used = sorted(
        {
            (ns, f, v)
            for table in variants.values()
            for ns, fs in table.items()
            for f, vs in fs.items()
            for v in vs
        }
    )
    supported = draw(st.lists(st.sampled_from(used), min_size=len(used) // 2, unique=True)) if used else []
    supported += [p for p in draw(st.lists(PROPS, max_size=3, unique=True)) if p not in supported]
    supported = draw(st.permutations(supported))
    namespaces = sorted({p[0] for p in supported})
    namespace_priorities = draw(st.permutations(namespaces))
    if draw(st.sampled_from(range(10))) == 0 and namespace_priorities:  # now and then one is missing
        namespace_priorities = namespace_priorities[1:]
    feature_priorities = {
        ns: draw(st.lists(st.sampled_from(FEATURES), max_size=3, unique=True))
        for ns in draw(st.lists(st.sampled_from(NAMESPACES), max_size=3, unique=True))
    }
    property_priorities = {
        ns: {
            feature: draw(st.lists(st.sampled_from(VALUES), max_size=4, unique=True))
            for feature in draw(st.lists(st.sampled_from(FEATURES), max_size=2, unique=True))
        }
        for ns in draw(st.lists(st.sampled_from(NAMESPACES), max_size=2, unique=True))
    }
    return {
        "variants": variants,
        "supported": supported,
        "namespace_priorities": list(namespace_priorities),
        "feature_priorities": feature_priorities,
        "property_priorities": property_priorities,
    }


def variantlib_order(case: dict[str, Any]) -> list[str] | None:
    """variantlib's answer: labels best first, or None when it refuses the input."""
    vdescs = [
        VariantDescription(
            properties=[
                VariantProperty(ns, f, v) for ns, fs in table.items() for f, vs in fs.items() for v in vs
            ],
            label=label,
        )
        for label, table in case["variants"].items()
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resolver, "inject_abi_dependency", lambda props, priorities: None)
        try:
            result = resolver.sort_and_filter_supported_variants(
                vdescs,
                [VariantProperty(*p) for p in case["supported"]],
                namespace_priorities=case["namespace_priorities"],
                feature_priorities=case["feature_priorities"],
                property_priorities=case["property_priorities"],
                filter_values=True,
            )
        except ValidationError:
            return None
    return [v.label for v in result]


def starlark_order(case: dict[str, Any]) -> list[str] | None:
    labels, err = MODULE.call(
        "select_variants",
        case["variants"],
        [list(p) for p in case["supported"]],
        case["namespace_priorities"],
        case["feature_priorities"],
        case["property_priorities"],
    )
    return None if err else list(labels)


@settings(max_examples=8000, deadline=None)
@given(cases())
def test_selection_matches_variantlib(case: dict[str, Any]) -> None:
    assert starlark_order(case) == variantlib_order(case), case


def test_a_hand_made_case() -> None:
    """x86-64 levels: v3 best where v3 is supported, then v2, then the null variant."""
    case = {
        "variants": {
            "x86_64_v3": {"x86_64": {"level": ["v3"]}},
            "x86_64_v2": {"x86_64": {"level": ["v2"]}},
            "null": {},
        },
        "supported": [("x86_64", "level", "v2"), ("x86_64", "level", "v3")],
        "namespace_priorities": ["x86_64"],
        "feature_priorities": {},
        "property_priorities": {"x86_64": {"level": ["v3", "v2", "v1"]}},
    }
    assert starlark_order(case) == variantlib_order(case) == ["x86_64_v3", "x86_64_v2", "null"]
    case["supported"] = [("x86_64", "level", "v2")]
    assert starlark_order(case) == ["x86_64_v2", "null"]
    case["supported"] = []
    assert starlark_order(case) == ["null"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x86_64 :: level :: v3", ["x86_64", "level", "v3"]),
        ("x86_64::level::v3", ["x86_64", "level", "v3"]),
        ("cuda :: version :: 12.8", ["cuda", "version", "12.8"]),
        ("cuda :: ver.sion :: 12", None),
        ("X86 :: level :: v3", None),
        ("x86_64 :: level", None),
        ("a :: b :: c :: d", None),
        ("a :: :: c", None),
    ],
)
def test_parse_property_matches_variantlib(text: str, expected: list[str] | None) -> None:
    got = MODULE.call("parse_property", text)
    assert (list(got) if got is not None else None) == expected
    try:
        prop = VariantProperty.from_str(text)
    except ValidationError:
        assert expected is None
    else:
        assert [prop.namespace, prop.feature, prop.value] == expected
