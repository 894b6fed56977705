"""The layering of docs/architecture.md is checked by import-linter (.importlinter): the contracts hold, they
break on an import that goes up, and the architecture page names every one of them."""

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(directory: Path) -> subprocess.CompletedProcess:
    # --no-cache: a cache of the real tree must not answer for a copy of it.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=directory, capture_output=True, text=True, timeout=120
    )


def contract_ids() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return {
        section.split(":", 2)[2]
        for section in config.sections()
        if section.startswith("importlinter:contract:")
    }


def test_the_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contract_ids())} kept, 0 broken." in result.stdout


def test_an_operation_importing_the_api_breaks_the_layers(tmp_path):
    # A copy of the tree, in which the database layer imports the API: the rule must notice.
    for name in ("ucs", "ucs_plugins", "upload_client"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path)
    with (tmp_path / "ucs" / "db" / "queries.py").open("a") as queries:
        queries.write("\nfrom ucs.api import errors  # noqa: E402, F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "ucs.db.queries -> ucs.api.errors" in result.stdout
    broken = {line.split(" BROKEN")[0] for line in result.stdout.splitlines() if line.endswith("BROKEN")}
    assert any(name.startswith("Layers:") for name in broken), result.stdout


def test_the_architecture_page_names_every_contract():
    page = (ROOT / "docs" / "architecture.md").read_text()
    table = page.split("The contracts in `.importlinter`", 1)[1]
    named = set(re.findall(r"^\| `([\w-]+)` \|", table, flags=re.M))
    assert named == contract_ids()
