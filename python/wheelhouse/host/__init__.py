"""What runs on the caller's machine, outside the build sandbox.

These modules check inputs, start the sandbox and read back its results.
They never execute, and never unpack into the host, anything an sdist
contains; what comes back from a build is read as untrusted data
(:mod:`wheelhouse.host.collect`).
"""
