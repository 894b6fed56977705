"""A real UCS process for end-to-end tests: `ucs run` (or `ucs serve`) on a free port with the settings given."""

from __future__ import annotations

import contextlib
import subprocess
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
    # Its exit status is there once the with-block has ended (it is stopped with SIGTERM).
    process: subprocess.Popen | None = None


@contextlib.contextmanager
def ucs_server(
    instance_path: Path, serve_workers: int | None = None, code: Path | None = None, **settings: str
) -> Iterator[UcsServer]:
    """Serve UCS from instance_path; settings are UCS_* variables without the prefix.

    With serve_workers, the production server: `ucs serve` (gunicorn) with that many workers. With code, the
    ucs packages in that directory instead of the installed ones (a benchmark's other revision).
    Validation is external (no validator, uploaded files served) unless settings say VALIDATION=builtin.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**auth_environment(), **ucs_environment(instance_path, "external", **settings)}
    if code is not None:
        env["PYTHONPATH"] = str(code)  # and run there: `python -m gunicorn` puts its directory first
    log = instance_path / "ucs.log"
    with running(
        [str(VENV_BIN / "ucs"), *_command(port, serve_workers)], log, f"{url}/health", env, cwd=code
    ) as process:
        yield UcsServer(url, instance_path, log, process)


def _command(port: int, serve_workers: int | None) -> list[str]:
    if serve_workers is None:
        return ["run", "--port", str(port)]
    return ["serve", "--workers", str(serve_workers), "--bind", f"127.0.0.1:{port}"]


@contextlib.contextmanager
def ucs_events(instance_path: Path, command: str, **settings: str) -> Iterator[UcsServer]:
    """`ucs events relay` or `ucs events consume` with its metrics on a free port (the server's url)."""
    url = f"http://127.0.0.1:{free_port()}"
    arguments = [str(VENV_BIN / "ucs"), "events", command, "--metrics-port", url.rsplit(":", 1)[1]]
    # The same settings as the server's (they read no tokens).
    env = ucs_environment(instance_path, "external", **settings)
    log = instance_path / f"{command}.log"
    with running(arguments, log, f"{url}/metrics", env) as process:
        yield UcsServer(url, instance_path, log, process)


def validate_environment(instance_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a `ucs validate` process: builtin validation and the settings given (no UCS_)."""
    return ucs_environment(instance_path, "builtin", **settings)


def ucs_environment(instance_path: Path, validation: str, **settings: str) -> dict[str, str]:
    """The UCS_* variables of a ucs process on instance_path (created): no plugins from entry points,
    UCS_VALIDATION=validation, then the settings given (without their UCS_ prefix), which may override it."""
    instance_path.mkdir(parents=True, exist_ok=True)
    env = {
        "UCS_INSTANCE_PATH": str(instance_path),
        "UCS_LOAD_ENTRY_POINTS": "false",
        "UCS_VALIDATION": validation,
    }
    env.update({f"UCS_{key}": str(value) for key, value in settings.items()})
    return env


@contextlib.contextmanager
def ucs_validate(instance_path: Path, *arguments: str, **settings: str) -> Iterator[UcsServer]:
    """A long-running `ucs validate` with its metrics on a free port (the server's url); stopped by SIGTERM."""
    url = f"http://127.0.0.1:{free_port()}"
    command = [str(VENV_BIN / "ucs"), "validate", *arguments, "--metrics-port", url.rsplit(":", 1)[1]]
    log = instance_path / "validate.log"
    with running(command, log, f"{url}/metrics", validate_environment(instance_path, **settings)) as process:
        yield UcsServer(url, instance_path, log, process)
