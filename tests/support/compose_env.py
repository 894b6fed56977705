"""Docker Compose's env files and variable interpolation, as much of them as deploy/ uses, for tests.

No Docker runs in CI, so tests interpolate deploy/compose.yaml themselves to see what each env file makes
of it. Only the forms the recipe uses are understood (`$$`, `${NAME}`, `${NAME:-default}`,
`${NAME:?message}`, plain `NAME=value` lines); anything else raises, so the recipe cannot use a form these
checks would misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A name, then optionally ":-" or ":?" and a text without "$" or "}"; compose treats both as "unset or empty".
BRACED = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:-|:\?)(?P<text>[^$}]*))?\}")
ENV_LINE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)")


class UnsupportedSyntax(ValueError):
    """A `$` form or env file line these checks do not read as Compose would."""


@dataclass
class Interpolation:
    """What one environment makes of a compose document: the result, the variables it names and lacks."""

    document: Any = None
    # Each variable named, with its operator (":-", ":?", or None for a plain ${NAME}).
    names: dict[str, str | None] = field(default_factory=dict)
    # Each missing required variable, with the message compose stops with.
    missing: dict[str, str] = field(default_factory=dict)


def read_env_file(path: Path) -> dict[str, str]:
    """An env file's variables: `NAME=value` lines, `#` comments and blank lines, values taken as written."""
    variables = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = ENV_LINE.fullmatch(line)
        # Compose would unquote, expand "$" and cut " #" comments in values: keep them out of the files.
        if not match or re.search(r"[\"'$]|\s#", match["value"]):
            raise UnsupportedSyntax(f"{path.name} line {number} is not a plain NAME=value line: {line!r}")
        variables[match["name"]] = match["value"].strip()
    return variables


def interpolate(document: Any, variables: dict[str, str]) -> Interpolation:
    """The document with every `${...}` in its strings replaced from variables, as compose does it."""
    result = Interpolation()
    result.document = _walk(document, variables, result)
    return result


def referenced(document: Any) -> dict[str, str | None]:
    """Each variable the document names, with the operator it is used with (None: plain ${NAME})."""
    return interpolate(document, {}).names


def _walk(value: Any, variables: dict[str, str], result: Interpolation) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, variables, result) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, variables, result) for item in value]
    if isinstance(value, str):
        return _substitute(value, variables, result)
    return value


def _substitute(text: str, variables: dict[str, str], result: Interpolation) -> str:
    def replace(match: re.Match) -> str:
        name, operator, given = match["name"], match["operator"], match["text"]
        result.names.setdefault(name, operator)
        value = variables.get(name, "")
        if value:
            return value
        if operator == ":?":
            result.missing[name] = given
        return given if operator == ":-" else ""

    pieces = text.split("$$")  # "$$" is a literal "$", never the start of a variable
    if any("$" in BRACED.sub("", piece) for piece in pieces):
        raise UnsupportedSyntax(f"a $ form these checks do not read: {text!r}")
    return "$".join(BRACED.sub(replace, piece) for piece in pieces)
