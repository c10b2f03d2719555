"""Loopback servers for the Bazel tests: a PEP 503 index and an nginx remote cache.

Both listen on 127.0.0.1 only, on a free port, and stop when their context
exits; nothing outlives the test session.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _project(filename: str) -> str:
    if filename.endswith(".whl"):
        name = filename.split("-")[0]
    else:
        name = re.sub(r"\.(tar\.gz|zip|tar\.bz2|tgz)$", "", filename).rpartition("-")[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def write_index(root: Path, files: Sequence[Path]) -> Path:
    """A static PEP 503 index: ``root/files/<f>`` and ``root/simple/<project>/``."""
    (root / "files").mkdir(parents=True, exist_ok=True)
    projects: dict[str, list[str]] = {}
    for path in files:
        shutil.copyfile(path, root / "files" / path.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        link = f'<a href="../../files/{html.escape(path.name)}#sha256={digest}">{html.escape(path.name)}</a>'
        projects.setdefault(_project(path.name), []).append(link)
    for project, links in projects.items():
        page = root / "simple" / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<!DOCTYPE html><html><body>\n" + "<br>\n".join(sorted(links)) + "\n</body></html>\n")
    names = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects))
    (root / "simple").mkdir(parents=True, exist_ok=True)
    (root / "simple" / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{names}</body></html>\n")
    return root


class _QuietHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args: object, requests: list[str] | None = None, **kwargs: object) -> None:
        self._requests = requests
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self) -> object:
        if self._requests is not None:
            self._requests.append(self.path)
        return super().send_head()


@contextlib.contextmanager
def serve_directory(root: Path, port: int = 0, requests: list[str] | None = None) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1; yield the base URL. Request paths go to ``requests``."""
    handler = partial(_QuietHandler, directory=str(root), requests=requests)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


_NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
user root;
pid {base}/nginx.pid;
error_log {base}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {base}/access.log;
    client_body_temp_path {base}/tmp;
    proxy_temp_path {base}/tmp;
    fastcgi_temp_path {base}/tmp;
    uwsgi_temp_path {base}/tmp;
    scgi_temp_path {base}/tmp;
    client_max_body_size 4g;
    server {{
        listen 127.0.0.1:{port};
        root {base}/cache;
        location / {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_cache(base: Path) -> Iterator[str]:
    """An nginx WebDAV server usable as Bazel's HTTP remote cache; yield its URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    base.mkdir(parents=True, exist_ok=True)
    for sub in ("cache", "tmp"):
        (base / sub).mkdir(exist_ok=True)
    port = free_port()
    conf = base / "nginx.conf"
    conf.write_text(_NGINX_CONF.format(base=base, port=port))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(base)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"nginx did not start on 127.0.0.1:{port}: {err}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
