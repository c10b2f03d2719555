"""Public module extensions of rules_wheelhouse."""

load("//rules/private:extension.bzl", _wheelhouse = "wheelhouse")

wheelhouse = _wheelhouse
