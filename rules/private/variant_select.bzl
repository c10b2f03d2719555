"""Static selection of PEP 825 variant wheels in a lock hub: build settings and the chooser.

`variant_setting` is a build setting (`@<hub>//_variants:<namespace>__<feature>`), a
list of values best first, e.g. `--@pypi//_variants:x86_64__level=v3,v2,v1`; its
default comes from `wheelhouse.variants(...)` in MODULE.bazel, never from probing
the host. `wheel_variant` is a package's wheel on one target: the best variant
for the configured properties by variantlib's ordering (`variants.bzl`), else the
null variant, else the package's non-variant wheel; or the variant the package is
pinned to (`wheelhouse.package(name, variant = ...)`). The settings are part of
the configuration, so each variant is its own action key and remote caches never
mix them.
"""

load(":variants.bzl", "NULL_LABEL", "select_variants")

VariantSettingInfo = provider(
    doc = "The values of one variant feature this configuration supports, best first.",
    fields = {
        "namespace": "str: the property's namespace.",
        "feature": "str: the property's feature.",
        "values": "list[str]: supported values, best first (the property priority).",
    },
)

def _flag(ctx):
    return "--@{}//_variants:{}".format(ctx.attr.hub, ctx.label.name)

def _variant_setting_impl(ctx):
    values = ctx.build_setting_value
    for value in values:
        if value not in ctx.attr.known:
            fail("wheelhouse: {}={}: no wheel in {} provides the variant property {} :: {} :: {} (they provide {}); choose among those values".format(
                _flag(ctx),
                ",".join(values),
                ctx.attr.lock,
                ctx.attr.namespace,
                ctx.attr.feature,
                value,
                ", ".join(ctx.attr.known),
            ))
    return [VariantSettingInfo(namespace = ctx.attr.namespace, feature = ctx.attr.feature, values = values)]

variant_setting = rule(
    implementation = _variant_setting_impl,
    build_setting = config.string_list(flag = True),
    doc = "A variant feature's supported values, best first (a list flag).",
    attrs = {
        "hub": attr.string(mandatory = True, doc = "str: the hub's name, for messages."),
        "lock": attr.string(mandatory = True, doc = "str: the lock's label, for messages."),
        "namespace": attr.string(mandatory = True, doc = "str: the property's namespace."),
        "feature": attr.string(mandatory = True, doc = "str: the property's feature."),
        "known": attr.string_list(mandatory = True, doc = "list[str]: the values the lock's wheels provide."),
    },
)

def _wheel_variant_impl(ctx):
    data = json.decode(ctx.attr.variants)
    by_label = {label: target for target, label in ctx.attr.options.items()}
    supported = []
    property_priorities = {}
    for setting in ctx.attr.settings:
        info = setting[VariantSettingInfo]
        supported.extend([(info.namespace, info.feature, v) for v in info.values])
        property_priorities.setdefault(info.namespace, {})[info.feature] = info.values
    chosen = None
    if ctx.attr.pin:
        chosen = by_label[ctx.attr.pin]
    else:
        order, err = select_variants(data["variants"], supported, data["namespaces"], data["features"], property_priorities)
        if err:
            fail("wheelhouse: {} (lock {}): its variants json {} cannot order the configured properties: {}; fix or re-lock the variants json".format(
                ctx.attr.package,
                ctx.attr.lock,
                data["file"],
                err,
            ))
        for label in order:
            if label in by_label:
                chosen = by_label[label]
                break
            if label == NULL_LABEL and ctx.attr.plain:
                chosen = ctx.attr.plain
                break
    if chosen == None:
        needed = sorted({
            "{} :: {} :: {}".format(ns, feature, value): True
            for label in by_label
            for ns, features in data["variants"].get(label, {}).items()
            for feature, values in features.items()
            for value in values
        }.keys())
        fail("wheelhouse: {} (lock {}) has no wheel for the configured variant properties ({}), no null variant and no plain wheel on this target; its variants need one of: {}. Set the property (e.g. {}), give defaults with wheelhouse.variants(hub = {}, properties = [...]), or pin one with wheelhouse.package(name = {}, variant = ...)".format(
            ctx.attr.package,
            ctx.attr.lock,
            ", ".join(["{} :: {} :: {}".format(*p) for p in supported]) or "none set",
            ", ".join(needed),
            ", ".join(["--@{}//_variants:{}__{}=...".format(ctx.attr.hub, p.split(" :: ")[0], p.split(" :: ")[1]) for p in needed[:1]]),
            repr(ctx.attr.hub),
            repr(ctx.attr.package),
        ))
    return [DefaultInfo(files = chosen[DefaultInfo].files)]

wheel_variant = rule(
    implementation = _wheel_variant_impl,
    doc = "A locked package's wheel, its variant chosen by the variant build settings.",
    attrs = {
        "package": attr.string(mandatory = True, doc = "str: the project name, for messages."),
        "hub": attr.string(mandatory = True, doc = "str: the hub's name, for messages."),
        "lock": attr.string(mandatory = True, doc = "str: the lock's label, for messages."),
        "options": attr.label_keyed_string_dict(allow_files = [".whl"], mandatory = True, doc = "dict[Label, str]: the variant wheels for this target, by label."),
        "plain": attr.label(allow_single_file = [".whl"], doc = "Label: the non-variant wheel for this target, if locked."),
        "variants": attr.string(mandatory = True, doc = "str: JSON: `variants`, `namespaces`, `features` (the variants json's tables) and `file`."),
        "settings": attr.label_list(providers = [VariantSettingInfo], doc = "list[Label]: the variant_setting of every feature the package's variants use."),
        "pin": attr.string(doc = "str: a variant label to use whatever the settings say (`wheelhouse.package(variant = ...)`)."),
    },
)
