"""What installing ucs puts into site-packages: the packages, their data, the console scripts, the metadata."""

import importlib.util
from pathlib import Path

import ucs
from ucs.db.schema import MIGRATIONS_DIR


def test_the_migrations_are_data_of_ucs_db_and_no_top_level_package():
    assert importlib.util.find_spec("migrations") is None
    migrations = Path(MIGRATIONS_DIR)
    assert migrations.parent == Path(ucs.__file__).parent / "db"
    assert {"alembic.ini", "env.py", "script.py.mako"} <= {path.name for path in migrations.iterdir()}
    assert list((migrations / "versions").glob("*.py"))
