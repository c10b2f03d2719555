"""Which variant of vext the configuration chose: `--define=x86_64_level=v3` or the default."""

import importlib.metadata
import json
import sys

import vext

want_v3 = sys.argv[1] == "v3"
dist = importlib.metadata.distribution("vext")
variant = dist.read_text("variant.json")
if want_v3:
    assert variant is not None, "the x86_64_v3 variant has a variant.json"
    assert json.loads(variant)["variants"] == {"x86_64_v3": {"x86_64": {"level": ["v3"]}}}, variant
    assert vext.avx2(), "the v3 variant is compiled for AVX2"
else:
    assert variant is None, "the default is the plain wheel"
    assert not vext.avx2()
print("variant", "x86_64_v3" if want_v3 else "none", "ok")
