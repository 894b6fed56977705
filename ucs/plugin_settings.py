"""The settings plugins declare through the ucs_add_settings hook, and how the app reads them.

A plugin's ``UCS_<KEY>`` variables are read exactly as core ones are (ucs/config.py): typed like the
default, a bad value stops start-up with one line naming the variable, and the mapping passed to
create_app wins over the environment. docs/architecture.md, "Plugins", tells where each kind lives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import pluggy

from ucs.config import ENVIRONMENT_PREFIX, parse_setting


@dataclass(frozen=True)
class Setting:
    """One ``UCS_<key>`` setting a plugin owns."""

    key: str
    default: Any
    #: resolve(value, instance_path) returns the value UCS uses, or raises ConfigError naming the variable:
    #: the place for validation and for defaults that live in the instance directory.
    resolve: Callable[[Any, str], Any] | None = None
    #: The value must never appear in a log line (a password or a signing key).
    secret: bool = False


class PluginSettings:
    """What the ucs_add_settings hook receives: plugins call add(Setting(...), ...)."""

    def __init__(self, core_keys: frozenset[str] = frozenset()) -> None:
        self._core_keys = core_keys
        self._settings: dict[str, Setting] = {}

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

    def defaults(self) -> dict[str, Any]:
        """Each declared key and its default, as docs/configuration.md shows them."""
        return {setting.key: setting.default for setting in self}

    def secret_keys(self) -> list[str]:
        return [setting.key for setting in self if setting.secret]

    def apply(
        self,
        config: MutableMapping[str, Any],
        given: Mapping[str, Any],
        instance_path: str,
        environ: Mapping[str, str],
    ) -> None:
        """Put each declared setting into config: given, else from the environment, else the default."""
        for setting in self:
            name = ENVIRONMENT_PREFIX + setting.key
            if setting.key in given:
                value = given[setting.key]
            elif name in environ:
                value = parse_setting(name, environ[name], setting.default)
            else:
                value = setting.default
            config[setting.key] = setting.resolve(value, instance_path) if setting.resolve else value


def declared_settings(plugins: pluggy.PluginManager, core_keys: frozenset[str]) -> PluginSettings:
    """Every setting the registered plugins declare."""
    settings = PluginSettings(core_keys)
    plugins.hook.ucs_add_settings(settings=settings)
    return settings
