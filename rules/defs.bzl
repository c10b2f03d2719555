"""Public rules of rules_wheelhouse. Everything else is private."""

load("//rules/private:providers.bzl", _BuildEnvInfo = "BuildEnvInfo", _WheelInfo = "WheelInfo", _WheelSetInfo = "WheelSetInfo")
load("//rules/private:py_build_env.bzl", _py_build_env = "py_build_env")
load("//rules/private:py_wheel_dep.bzl", _py_wheel_dep = "py_wheel_dep")
load("//rules/private:py_wheel_library.bzl", _py_wheel_library = "py_wheel_library")
load("//rules/private:toolchain.bzl", _wheelhouse_toolchain = "wheelhouse_toolchain")
load("//rules/private:wheel_fixpoint_test.bzl", _wheel_fixpoint_test = "wheel_fixpoint_test")
load("//rules/private:wheel_repro_test.bzl", _wheel_repro_test = "wheel_repro_test")

BuildEnvInfo = _BuildEnvInfo
WheelInfo = _WheelInfo
WheelSetInfo = _WheelSetInfo
py_build_env = _py_build_env
py_wheel_dep = _py_wheel_dep
py_wheel_library = _py_wheel_library
wheel_fixpoint_test = _wheel_fixpoint_test
wheel_repro_test = _wheel_repro_test
wheelhouse_toolchain = _wheelhouse_toolchain
