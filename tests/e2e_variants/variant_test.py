"""vpure was built with the properties the test expects (argv[1]; empty: the plain wheel)."""

import sys

import vpure

expected = sys.argv[1] if len(sys.argv) > 1 else ""
assert expected == vpure.PROPERTIES, f"got the wheel built with {vpure.PROPERTIES!r}, expected {expected!r}"
print("vpure variant:", vpure.PROPERTIES or "(plain)")
