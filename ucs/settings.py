"""How UCS reads its settings: one declaration type for its own and the plugins', read in one pass.

Each setting is a ``Setting``: ``UCS_<KEY>`` overrides its default, typed like the default, the mapping
passed to create_app wins over both, and its ``resolve`` checks the value. A bad value stops start-up
with one line naming the variable; a ``UCS_*`` variable nobody declares gets a warning naming the
closest setting (and still reaches the configuration as text, for plugins that read keys undeclared).
docs/configuration.md lists them all.

A new setting is one line in the tuple of the code that owns it, ``Setting("KEY", default, resolve=check)``,
and a row in docs/configuration.md; ``check(value, instance_path)`` returns the value or raises ConfigError
naming ``UCS_KEY``.
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Every setting's environment variable is UCS_<KEY>; this one says where the instance directory is instead.
ENVIRONMENT_PREFIX = "UCS_"
INSTANCE_PATH_VARIABLE = "UCS_INSTANCE_PATH"
# upload-client's variables (its --token-file, --token, --api-url and --wait-timeout options): the server
# never reads them, and a shell that exports them for the client and then starts UCS is no mistake worth a warning.
CLIENT_VARIABLES = frozenset({"UCS_TOKEN", "UCS_TOKEN_FILE", "UCS_API_URL", "UCS_WAIT_TIMEOUT"})

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
# What a refused JSON value is, named without quoting it.
JSON_NAMES = {
    dict: "object",
    list: "list",
    str: "string",
    int: "number",
    float: "number",
    bool: "true or false",
    type(None): "null",
}


class ConfigError(ValueError):
    """A setting has a value UCS cannot use; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Setting:
    """One ``UCS_<key>`` setting, of UCS itself or of a plugin."""

    key: str
    default: Any
    #: resolve(value, instance_path) returns the value UCS uses, or raises ConfigError naming the variable:
    #: the place for validation and for defaults that live in the instance directory.
    resolve: Callable[[Any, str], Any] | None = None
    #: The value must never appear in a log line (a password or a signing key).
    secret: bool = False
    #: Keys the setting had before; still read, with a warning naming the new variable.
    old_keys: tuple[str, ...] = ()

    @property
    def variable(self) -> str:
        return ENVIRONMENT_PREFIX + self.key

    def read(self, given: Mapping[str, Any], environ: Mapping[str, str], instance_path: str) -> Any:
        """The value UCS uses: given, else the environment variable, else an old key's, else the default."""
        value = copy.deepcopy(self.default)  # a list or dict default is no app's to change
        used = self.variable
        for key in (self.key, *self.old_keys):
            name = ENVIRONMENT_PREFIX + key
            if key in given or name in environ:
                if key != self.key:
                    log.warning("%s is deprecated: use %s (docs/configuration.md)", name, self.variable)
                    used = name
                value = (
                    given[key]
                    if key in given
                    else parse_setting(name, environ[name], self.default, self.secret)
                )
                break
        if self.resolve is None:
            return value
        try:
            return self.resolve(value, instance_path)
        except ConfigError as error:
            if used == self.variable:
                raise
            # resolve names the setting's variable: say it is the one that was set, under its older name.
            raise ConfigError(f"{used}, the older name of {self.variable}: {error}") from None


class Settings:
    """The declared settings: UCS's own first, then what plugins add through the ucs_add_settings hook."""

    def __init__(self, core: Iterable[Setting] = ()) -> None:
        self._settings: dict[str, Setting] = {setting.key: setting for setting in core}
        self._core_keys = frozenset(self._settings)

    def add(self, *settings: Setting) -> None:
        """Declare settings; two plugins may declare one setting only alike (s3 and minio share S3_*)."""
        for setting in settings:
            if setting.key in self._core_keys:
                raise ValueError(f"UCS_{setting.key} is a setting of UCS itself; a plugin cannot declare it")
            declared = self._settings.setdefault(setting.key, setting)
            if declared != setting:
                raise ValueError(f"two plugins declare the setting UCS_{setting.key} differently")

    def __iter__(self) -> Iterator[Setting]:
        return iter(self._settings.values())

    def __contains__(self, key: object) -> bool:
        """Whether key is a declared setting's, or one of its old keys."""
        return any(key == setting.key or key in setting.old_keys for setting in self)

    def defaults(self) -> dict[str, Any]:
        """Each declared key and its default, as docs/configuration.md shows them."""
        return {setting.key: setting.default for setting in self}

    def secret_keys(self) -> list[str]:
        return [setting.key for setting in self if setting.secret]

    def value(
        self, key: str, given: Mapping[str, Any], environ: Mapping[str, str], instance_path: str
    ) -> Any:
        """One setting's value, for the few read before the plugins are known (which plugins load)."""
        return self._settings[key].read(given, environ, instance_path)

    def read(
        self, given: Mapping[str, Any], environ: Mapping[str, str], instance_path: str
    ) -> dict[str, Any]:
        """Every declared setting's value, each checked; warns about the UCS_* variables nobody declares."""
        values = {setting.key: setting.read(given, environ, instance_path) for setting in self}
        for warning in self.unknown_variables(environ):
            log.warning(warning)
        return values

    def read_undeclared(self, config: MutableMapping[str, Any], environ: Mapping[str, str]) -> None:
        """Put the UCS_* variables nobody declares into config, typed like what config holds, as UCS always has.

        A plugin that reads a key it never declared keeps working; start-up warns about each (read()).
        """
        for name in self._undeclared(environ):
            key = name[len(ENVIRONMENT_PREFIX) :]
            config[key] = parse_setting(name, environ[name], config.get(key))

    def unknown_variables(self, environ: Mapping[str, str]) -> list[str]:
        """A warning for each UCS_* variable that is no setting, with the closest setting's name."""
        known = [setting.key for setting in self]
        warnings = []
        for name in self._undeclared(environ):
            # Compared without the prefix every name shares, which would make any two look alike.
            close = difflib.get_close_matches(name[len(ENVIRONMENT_PREFIX) :], known, n=1)
            hint = f"did you mean UCS_{close[0]}?" if close else "docs/configuration.md lists the settings"
            warnings.append(f"{name} is not a setting UCS or a plugin declares: {hint}")
        return warnings

    def _undeclared(self, environ: Mapping[str, str]) -> list[str]:
        declared = {ENVIRONMENT_PREFIX + key for setting in self for key in (setting.key, *setting.old_keys)}
        not_settings = {*declared, INSTANCE_PATH_VARIABLE, *CLIENT_VARIABLES}
        return sorted(
            name for name in environ if name.startswith(ENVIRONMENT_PREFIX) and name not in not_settings
        )


def parse_setting(name: str, text: str, default: Any, secret: bool = False) -> Any:
    """Turn the text of environment variable name into the type of the setting's default.

    A refusal quotes the text, unless the setting is secret; a JSON one never does (a URL in it may carry
    a token) and says where the JSON breaks instead.
    """
    value = text.strip()
    shown = "" if secret else f", not {text!r}"
    if isinstance(default, bool):
        if value.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise ConfigError(f"{name} must be true or false (or 1/0, yes/no, on/off){shown}")
        return value.lower() in TRUE_WORDS
    if isinstance(default, int | float):
        kind = type(default)
        try:
            return kind(value)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{name} must be {expected} (default {default}){shown}") from None
    if isinstance(default, list):
        if value.startswith(("[", "{")):  # JSON (an object is the mistake of a missing list)
            return _json_setting(name, text, list, "a JSON list")
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(default, dict):
        return _json_setting(name, text, dict, "a JSON object")
    return text


def _json_setting(name: str, text: str, kind: type, expected: str) -> Any:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as error:  # its message names the place, not the text
        raise ConfigError(f"{name} must be {expected}: {error}") from None
    if not isinstance(parsed, kind):
        raise ConfigError(f"{name} must be {expected}, not a JSON {JSON_NAMES.get(type(parsed), 'value')}")
    return parsed
