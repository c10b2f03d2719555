"""PEP 825 variant wheels built from source: the properties reach the backend, the wheel
carries variantlib's ``variant.json`` and the label, bit for bit the same every time."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from variantlib.variant_dist_info import VariantDistInfo

from wheelhouse import build_wheel
from wheelhouse.cli import main
from wheelhouse.errors import BadArchive, UsageError
from wheelhouse.host.variants import canonical_properties, read_variant

from conftest import MakeSdist, quiet, request
from samples import CEXT, install_and_run

V3 = "x86_64 :: level :: v3"
#: The e2e C extension, compiled for x86-64-v3 when the build asks for that variant.
VARIANT_CEXT = {
    **CEXT,
    "setup.py": CEXT["setup.py"].replace(
        'extra_compile_args=["-g"]',
        'extra_compile_args=["-g"] + (["-march=x86-64-v3"] if "x86_64 :: level :: v3" in '
        '__import__("os").environ.get("WHEELHOUSE_VARIANT_PROPERTIES", "").split(";") else [])',
    ),
    "src/cext/__init__.py": "from ._speed import add, avx2, optimized\n",
    "src/speed.c": CEXT["src/speed.c"].replace(
        "static PyMethodDef methods[] = {",
        "static PyObject *avx2(PyObject *self, PyObject *unused) {\n#ifdef __AVX2__\n    Py_RETURN_TRUE;\n"
        "#else\n    Py_RETURN_FALSE;\n#endif\n}\n\nstatic PyMethodDef methods[] = {\n"
        '    {"avx2", avx2, METH_NOARGS, "compiled for AVX2?"},',
    ),
}


def _member(wheel: Path, suffix: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(suffix)]
        return zf.read(name)


def test_two_variants_of_a_c_extension(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("cext", "1.0", VARIANT_CEXT)
    v3 = build_wheel(
        request(sdist, wheel_dir, variant_properties=(V3,), variant_label="x86_64_v3"),
        tmp_path / "v3",
        progress=quiet(),
    )
    again = build_wheel(
        request(sdist, wheel_dir, variant_properties=(V3,), variant_label="x86_64_v3"),
        tmp_path / "again",
        progress=quiet(),
    )
    plain = build_wheel(request(sdist, wheel_dir), tmp_path / "plain", progress=quiet())
    assert v3.wheel.name.endswith("-linux_x86_64-x86_64_v3.whl"), v3.wheel.name
    assert v3.sha256 == again.sha256  # a variant wheel is as reproducible as any other
    assert list((tmp_path / "v3").iterdir()) == [v3.wheel]  # the non-variant file was replaced
    assert _member(v3.wheel, ".so") != _member(plain.wheel, ".so")  # the backend saw the property
    info = VariantDistInfo(_member(v3.wheel, ".dist-info/variant.json"), expected_label="x86_64_v3")
    assert [p.to_str() for p in info.variant_desc.properties] == [V3]
    assert read_variant(v3.wheel) == ("x86_64_v3", (V3,))
    assert read_variant(plain.wheel) is None
    record = _member(v3.wheel, ".dist-info/RECORD").decode()
    assert "cext-1.0.dist-info/variant.json,sha256=" in record
    if "avx2" in Path("/proc/cpuinfo").read_text():
        out = install_and_run(
            v3.wheel, tmp_path / "inst-v3", "import cext; print(cext.avx2(), cext.add(1, 2))"
        )
        assert out.split() == ["True", "3"]
    out = install_and_run(plain.wheel, tmp_path / "inst-plain", "import cext; print(cext.avx2())")
    assert out.split() == ["False"]


def test_default_label_is_variantlibs_hash(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("pureflit", "1.0", {
        "pyproject.toml": '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n'
        '[project]\nname = "pureflit"\nversion = "1.0"\ndescription = "x"\n',
        "pureflit/__init__.py": "",
    })  # fmt: skip
    result = build_wheel(
        request(sdist, wheel_dir, variant_properties=(V3,)), tmp_path / "o", progress=quiet()
    )
    label = result.wheel.name[: -len(".whl")].rsplit("-", 1)[1]
    assert len(label) == 8 and all(c in "0123456789abcdef" for c in label), result.wheel.name
    assert read_variant(result.wheel) == (label, (V3,))


@pytest.mark.parametrize(
    "bad", ["x86_64 :: level", "X86 :: level :: v3", "a :: b :: c :: d", "x86_64::lev el::v3"]
)
def test_malformed_property_is_one_line_with_the_form(bad: str) -> None:
    with pytest.raises(UsageError) as caught:
        canonical_properties([bad])
    message = str(caught.value)
    assert "\n" not in message and repr(bad) in message and "namespace :: feature :: value" in message


def test_cli_refuses_a_bad_property_or_label_before_building(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("cext", "1.0", VARIANT_CEXT)
    base = ["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path / "out")]
    assert main([*base, "--variant-property", "x86_64 :: level"]) == 1
    assert "wheelhouse: error: --variant-property 'x86_64 :: level'" in capsys.readouterr().err
    assert main([*base, "--variant-property", V3, "--variant-label", "Bad-Label"]) == 1
    assert "wheelhouse: error: --variant-label 'Bad-Label'" in capsys.readouterr().err
    assert main([*base, "--variant-label", "x86_64_v3"]) == 1
    assert "needs at least one --variant-property" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_malformed_variant_json_in_a_wheel_is_named(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any-x86_64_v3.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        zf.writestr("demo-1.0.dist-info/variant.json", '{"variants": {"x86_64_v3": {"x86_64": "v3"}}}')
    with pytest.raises(BadArchive) as caught:
        read_variant(wheel)
    message = str(caught.value)
    assert (
        "\n" not in message
        and wheel.name in message
        and "malformed demo-1.0.dist-info/variant.json" in message
    )
    named_only = tmp_path / "demo-1.0-py3-none-any-x86_64_v2.whl"
    with zipfile.ZipFile(named_only, "w") as zf:
        zf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    with pytest.raises(BadArchive, match="named as variant 'x86_64_v2' but has no"):
        read_variant(named_only)


def test_install_takes_a_variant_wheel_and_refuses_a_forged_label(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    from wheelhouse.install import install_tree

    sdist = make_sdist("cext", "1.0", VARIANT_CEXT)
    v3 = build_wheel(
        request(sdist, wheel_dir, variant_properties=(V3,), variant_label="x86_64_v3"),
        tmp_path / "v3",
        progress=quiet(),
    )
    install_tree([v3.wheel], tmp_path / "site", interpreter="/usr/bin/python3")
    (info,) = (tmp_path / "site" / "site-packages").glob("cext-1.0.dist-info")
    assert (info / "variant.json").is_file()
    forged = tmp_path / v3.wheel.name.replace("x86_64_v3", "x86_64_v4")
    forged.write_bytes(v3.wheel.read_bytes())
    with pytest.raises(BadArchive, match="specifies label x86_64_v3, expected x86_64_v4"):
        install_tree([forged], tmp_path / "site2", interpreter="/usr/bin/python3")
    assert not (tmp_path / "site2").exists()
