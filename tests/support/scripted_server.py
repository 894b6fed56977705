"""A stub HTTP server on 127.0.0.1 that answers each route from a script, for the client's unit tests.

A script maps "METHOD /path" (with its query, or without to answer any query) to a list of answers given in turn; the last one repeats.
An answer is (status, body, headers), body JSON unless bytes. Every request is recorded with its path.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, Any, dict[str, str]]


@dataclass
class Script:
    answers: dict[str, list[Answer]]
    requests: list[str] = field(default_factory=list)
    base_url: str = ""

    def next_answer(self, route: str) -> Answer:
        queue = self.answers.get(route)
        if not queue:
            return 404, {"code": 404, "message": f"no route {route} in the script"}, {}
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def count(self, route: str) -> int:
        return self.requests.count(route)


def handler_for(script: Script) -> type[http.server.BaseHTTPRequestHandler]:
    class Scripted(http.server.BaseHTTPRequestHandler):
        def answer(self):
            # A route with its query, when the script names one, else without it.
            route = f"{self.command} {self.path}"
            if route not in script.answers:
                route = route.split("?")[0]
            script.requests.append(route)
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body, headers = script.next_answer(route)
            if callable(body):  # computed when asked, e.g. a URL that names the server's own port
                body = body(script)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_HEAD = answer

        def log_message(self, *args):
            pass

    return Scripted


@contextlib.contextmanager
def scripted_server(answers: dict[str, list[Answer]]) -> Iterator[Script]:
    """Serve the script on a free loopback port; yields it with base_url set."""
    script = Script(answers)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(script))
    script.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
