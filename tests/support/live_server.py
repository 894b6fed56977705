"""Serve a Flask app over real HTTP from a thread, on a loopback port, for the length of a with-block."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server

from tests.support.apps import build_app


@contextlib.contextmanager
def serving(app, port: int) -> Iterator[str]:
    """Serve app on 127.0.0.1:port (threaded, like the development server); yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    # A short poll interval lets shutdown() return at once instead of after half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()


def filesystem_app(tmp_path, **settings):
    """A UCS app on the filesystem store under tmp_path/storage (no database is touched)."""
    settings = {"STORAGE_BACKEND": "filesystem", "FILESYSTEM_ROOT": str(tmp_path / "storage"), **settings}
    return build_app(tmp_path / "instance", **settings)
