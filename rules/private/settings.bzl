"""Build settings of rules_wheelhouse."""

def _string_setting_impl(ctx):
    _ = ctx  # buildifier: disable=unused-variable
    return []

python_version_setting = rule(
    implementation = _string_setting_impl,
    doc = """The Python version (`X.Y`) lock hubs choose artifacts for.

Empty (the default) means the toolchain interpreter's version. Set it with
`--@rules_wheelhouse//rules:python_version=3.13`.
""",
    build_setting = config.string(flag = True),
)
