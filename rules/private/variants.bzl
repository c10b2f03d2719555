"""Wheel variants (PEP 825): which variant of a package to use, in pure Starlark.

A mirror of variantlib's resolver (`sort_and_filter_supported_variants` with
`filter_values = True`, without the `abi_dependency` namespace that it fills in
from the running interpreter): given the variants of a package (label ->
properties, the `variants` table of `{name}-{version}-variants.json`) and the
properties this build configuration supports, it drops the variants that need an
unsupported property and orders the rest best first, by the namespace, feature
and property priorities. The `null` variant (no properties) is always a
candidate, and comes last. Nothing runs on the host: the supported properties
come from build settings, never from provider plugins.

Tested differentially against variantlib on generated cases
(tests/unit/test_starlark_variants.py).
"""

# variantlib's "not listed" priority (sys.maxsize); any int above every index works.
_UNLISTED = 9223372036854775807

NULL_LABEL = "null"

def parse_property(text):
    """`namespace :: feature :: value` (spaces optional) as a 3-tuple, or None if malformed.

    Args:
      text: str.
    Returns:
      tuple[str, str, str] or None
    """
    parts = [p.strip() for p in text.split("::")]
    if len(parts) != 3:
        return None
    for i, part in enumerate(parts):
        allowed = "abcdefghijklmnopqrstuvwxyz0123456789_" + ("." if i == 2 else "")
        if not part or [c for c in part.elems() if c not in allowed]:
            return None
    return (parts[0], parts[1], parts[2])

def _index(items, item):
    for i, x in enumerate(items):
        if x == item:
            return i
    return _UNLISTED

def _properties(table):
    """A variants.json `{namespace: {feature: [values]}}` table as a list of triples."""
    props = []
    for ns in table:
        for feature in table[ns]:
            for value in table[ns][feature]:
                props.append((ns, feature, value))
    return props

def _groups(props, key):
    """Consecutive runs of `props` with the same `key(prop)` (itertools.groupby)."""
    runs = []
    for p in props:
        k = key(p)
        if runs and runs[-1][0] == k:
            runs[-1][1].append(p)
        else:
            runs.append((k, [p]))
    return [r[1] for r in runs]

def sort_supported_properties(supported, namespace_priorities, feature_priorities = {}, property_priorities = {}):
    """The supported properties in priority order (variantlib's `sort_variant_properties`).

    Args:
      supported: list of (namespace, feature, value).
      namespace_priorities: list[str]; every namespace of `supported` must be in it.
      feature_priorities: dict namespace -> list of features, best first.
      property_priorities: dict namespace -> dict feature -> list of values, best first.
    Returns:
      (list of (namespace, feature, value), None), or (None, error message).
    """
    missing = sorted({p[0]: True for p in supported if p[0] not in namespace_priorities}.keys())
    if missing:
        return None, "no namespace priority for {}".format(", ".join(missing))
    by_namespace = sorted(supported, key = lambda p: _index(namespace_priorities, p[0]))
    by_feature = []
    for run in _groups(by_namespace, lambda p: p[0]):
        by_feature.extend(sorted(run, key = lambda p: _index(feature_priorities.get(p[0], []), p[1])))
    by_property = []
    for run in _groups(by_feature, lambda p: (p[0], p[1])):
        by_property.extend(sorted(run, key = lambda p: _index(property_priorities.get(p[0], {}).get(p[1], []), p[2])))
    return by_property, None

def select_variants(variants, supported, namespace_priorities, feature_priorities = {}, property_priorities = {}):
    """The usable variants, best first.

    Args:
      variants: dict label -> `{namespace: {feature: [values]}}` (a variants.json
        `variants` table); the `null` variant is added when missing.
      supported: list of (namespace, feature, value) this configuration supports.
      namespace_priorities: list[str], as for `sort_supported_properties`.
      feature_priorities: dict, as for `sort_supported_properties`.
      property_priorities: dict, as for `sort_supported_properties`.
    Returns:
      (list of labels best first, None), or (None, error message).
    """
    allowed = {}
    for ns, feature, value in supported:
        allowed.setdefault((ns, feature), {})[value] = True

    # Filter: every feature a variant names needs one allowed value; keep only those values.
    candidates = []
    has_null = False
    for label in variants:
        props = _properties(variants[label])
        if not props:
            has_null = True
        wanted = {}
        for ns, feature, value in props:
            wanted.setdefault((ns, feature), []).append(value)
        ok = True
        kept = []
        for key in wanted:
            values = [v for v in wanted[key] if v in allowed.get(key, {})]
            if not values:
                ok = False
                break
            kept.extend([(key[0], key[1], v) for v in values])
        if ok:
            candidates.append((label, kept))
    if not has_null:
        candidates.append((NULL_LABEL, []))

    ordered, err = sort_supported_properties(supported, namespace_priorities, feature_priorities, property_priorities)
    if err:
        return None, err
    table = {}
    for ns, feature, value in ordered:
        table.setdefault((ns, feature), []).append(value)
    keys = list(table.keys())

    def rank(candidate):
        ranking = [_UNLISTED] * len(keys)
        for ns, feature, value in candidate[1]:
            i = _index(keys, (ns, feature))
            ranking[i] = min(ranking[i], _index(table[(ns, feature)], value))
        return (ranking, candidate[0])

    return [c[0] for c in sorted(candidates, key = rank)], None
