"""Make the example plugin (examples/ucs-example-storage) importable and discoverable, for a while only.

Installing it with pip would need a build backend from the network; instead its package is copied to a
temporary directory beside a dist-info whose entry points are read from the example's own pyproject.toml,
which is what an installation would produce. Leaving the context takes it all away again, so the plugin
never leaks into tests that did not ask for it.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ucs-example-storage"


@contextlib.contextmanager
def example_plugin_installed(target: Path) -> Iterator[dict]:
    """Put the example on sys.path with its entry points; yields its [project] table."""
    pyproject = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    project = pyproject["project"]
    for package in pyproject["tool"]["setuptools"]["packages"]:
        shutil.copytree(EXAMPLE / package, target / package)
    _write_dist_info(target, project)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield project
    finally:
        sys.path.remove(str(target))
        for module in [name for name in sys.modules if name.partition(".")[0] in _packages(target)]:
            del sys.modules[module]
        importlib.invalidate_caches()


def _write_dist_info(target: Path, project: dict) -> None:
    dist_info = target / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = []
    for group, entries in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {value}" for name, value in entries.items())
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")


def _packages(target: Path) -> set[str]:
    return {path.name for path in target.iterdir() if (path / "__init__.py").exists()}
