"""What installing ucs puts into site-packages: the packages, their data, the console scripts, the metadata."""

import importlib.util
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import ucs
import upload_client
from ucs.db.schema import MIGRATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_the_migrations_are_data_of_ucs_db_and_no_top_level_package():
    assert importlib.util.find_spec("migrations") is None
    migrations = Path(MIGRATIONS_DIR)
    assert migrations.parent == Path(ucs.__file__).parent / "db"
    assert {"alembic.ini", "env.py", "script.py.mako"} <= {path.name for path in migrations.iterdir()}
    assert list((migrations / "versions").glob("*.py"))


def test_the_project_metadata_comes_from_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = metadata.metadata("ucs")
    assert (installed["Name"], installed["Version"]) == (project["name"], project["version"])
    assert not (ROOT / "setup.cfg").exists()
    requires = installed.get_all("Requires-Dist")
    assert "pyjwt[crypto]<3,>=2.8" in requires
    assert any(
        requirement.startswith("schemathesis") and 'extra == "test"' in requirement
        for requirement in requires
    )


def test_the_console_scripts_are_installed_and_load():
    scripts = {ep.name: ep for ep in metadata.entry_points(group="console_scripts") if ep.dist.name == "ucs"}
    assert set(scripts) == {"ucs", "upload-client"}
    for name, entry_point in scripts.items():
        assert callable(entry_point.load())
        assert Path(sys.executable).with_name(name).exists()


def test_every_plugin_entry_point_of_the_group_ucs_loads():
    for entry_point in metadata.entry_points(group="ucs"):
        assert entry_point.load() is not None, entry_point


def test_the_version_is_the_installed_distributions():
    assert ucs.__version__ == upload_client.__version__ == metadata.version("ucs")
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("upload-client")), "--version"], capture_output=True, text=True
    )
    assert shown.stdout.strip() == f"upload-client, version {metadata.version('ucs')}"
