"""What runs inside the build sandbox, next to the untrusted build backend.

:mod:`~wheelhouse.sandboxed.worker` is the process the front end starts in
the sandbox; :mod:`~wheelhouse.sandboxed.build` extracts the sdist, makes the
build environment (:mod:`~wheelhouse.sandboxed.buildenv`) and runs the
backend. Nothing here can reach the host beyond the build's own directory.
"""
