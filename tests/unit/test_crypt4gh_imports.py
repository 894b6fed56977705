"""The Crypt4GH modules stay light: no web framework, database or HTTP client comes with them.

A validator, a rotation job or the client's workers may use them without loading UCS's app, and the
client's side imports nothing of ucs. Each check runs in a fresh interpreter, so other tests' imports
cannot hide a dependency.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "marshmallow", "requests", "urllib3", "click")
CRYPTO_MODULES = [
    "upload_client.crypt4gh.envelope",
    "upload_client.crypt4gh.header",
    "upload_client.crypt4gh.key_files",
    "upload_client.crypt4gh.layout",
    "upload_client.crypt4gh.segments",
    "ucs.crypt4gh.archive",
    "ucs.crypt4gh.instance",
]


@pytest.mark.parametrize("module", CRYPTO_MODULES)
def test_a_crypt4gh_module_loads_no_framework_database_or_http_client(module):
    script = (
        f"import sys, {module}\n"
        f"loaded = sorted(name for name in {HEAVY!r} if name in sys.modules)\n"
        "sys.exit(f'loaded: {loaded}' if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_clients_crypt4gh_imports_nothing_of_ucs():
    modules = " ".join(f"import {module};" for module in CRYPTO_MODULES if module.startswith("upload_client"))
    script = (
        f"import sys; {modules} sys.exit(sorted(n for n in sys.modules if n.split('.')[0] == 'ucs') or 0)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
