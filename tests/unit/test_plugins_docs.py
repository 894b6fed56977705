"""docs/plugins.md documents every hook of ucs/hookspecs.py, with its signature, and no hook that is gone."""

import inspect
import re
from pathlib import Path

from ucs import hookspecs

PLUGINS_MD = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_specs() -> dict[str, object]:
    """The functions that ucs/hookspecs.py marks as hook specifications."""
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "ucs_spec")
    }


def written_signature(function) -> str:
    """The signature as the hook reference writes it: the annotations as in the source, without quotes."""
    return str(inspect.signature(function)).replace("'", "")


def documented_hooks() -> dict[str, str]:
    """Hook headings of the reference section: name -> the signature written there."""
    reference = PLUGINS_MD.read_text().split("## Hook reference", 1)[1]
    headings = re.findall(r"^### `((ucs_\w+)\(.*\)(?: -> .+)?)`$", reference, flags=re.M)
    return {name: signature for signature, name in headings}


def test_hookspecs_has_hooks_to_check():
    assert {"ucs_register_storage_backends", "ucs_init_app"} <= set(hook_specs())


def test_every_hook_is_documented_with_its_signature():
    documented = documented_hooks()
    for name, function in hook_specs().items():
        assert name in documented, f"{name} is missing from the hook reference of docs/plugins.md"
        assert documented[name] == f"{name}{written_signature(function)}"


def test_the_reference_lists_no_hook_that_does_not_exist():
    assert set(documented_hooks()) <= set(hook_specs())


def test_every_hook_has_a_docstring():
    for name, function in hook_specs().items():
        assert (function.__doc__ or "").strip(), f"{name} has no docstring"
