"""pyyaml, built from its sdist, imports and its C extension works."""

import yaml

assert yaml.__with_libyaml__, "the C extension was not built"
assert yaml.load("a: [1, 2]", Loader=yaml.CSafeLoader) == {"a": [1, 2]}
print("pyyaml", yaml.__version__, "with libyaml")
