"""A target that fails at analysis time with a message, for choices that cannot be made."""

def _wheelhouse_unavailable_impl(ctx):
    fail(ctx.attr.message)

wheelhouse_unavailable = rule(
    implementation = _wheelhouse_unavailable_impl,
    doc = "Fails when analysed, with `message`: a package that has no artifact for the configured target.",
    attrs = {"message": attr.string(mandatory = True, doc = "str: what is missing and how to fix it.")},
)
