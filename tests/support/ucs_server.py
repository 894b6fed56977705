"""A real UCS process for end-to-end tests: `ucs run` on a free port with the settings given."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import VENV_BIN, free_port, running
from tests.support.tokens import auth_environment


@dataclass
class UcsServer:
    url: str
    instance_path: Path
    log: Path


@contextlib.contextmanager
def ucs_server(instance_path: Path, **settings: str) -> Iterator[UcsServer]:
    """Serve UCS from instance_path; settings are UCS_* variables without the prefix."""
    instance_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"UCS_INSTANCE_PATH": str(instance_path), "UCS_LOAD_ENTRY_POINTS": "false", **auth_environment()}
    env.update({f"UCS_{key}": str(value) for key, value in settings.items()})
    log = instance_path / "ucs.log"
    with running([str(VENV_BIN / "ucs"), "run", "--port", str(port)], log, f"{url}/health", env):
        yield UcsServer(url, instance_path, log)
