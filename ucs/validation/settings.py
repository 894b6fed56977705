"""The validation settings (docs/validation.md, docs/configuration.md): the mode, and what gets served.

UCS_VALIDATION says who judges an uploaded object: UCS itself (builtin), a validator of the archive's that
answers with a file.upload_validated event (external), or nobody (none: uploaded is final). UCS_ACCEPTED_ONLY
says whether downloads and DRS wait for the verdict; unset, it follows the mode.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, MutableMapping
from typing import Any

from ucs.config import ConfigError, parse_setting
from ucs.uploads import UploadStatus

BUILTIN = "builtin"
EXTERNAL = "external"
NONE = "none"
MODES = (BUILTIN, EXTERNAL, NONE)

POSITIVE_NUMBERS = (
    "VALIDATION_LEASE",
    "VALIDATION_CONCURRENCY",
    "VALIDATION_READERS",
    "VALIDATION_RANGE_SIZE",
    "VALIDATION_RETRY_DELAY",
    "VALIDATION_RETRY_MAX_DELAY",
    "VALIDATION_POLL_INTERVAL",
    "VALIDATION_RETRY_AFTER",
)


def check_validation_settings(config: MutableMapping[str, Any]) -> None:
    """Refuse a mode or number UCS cannot use, and settle ACCEPTED_ONLY to true or false."""
    mode = config["VALIDATION"]
    if mode not in MODES:
        raise ConfigError(f"UCS_VALIDATION must be one of {', '.join(MODES)}, not {mode!r}")
    for name in POSITIVE_NUMBERS:
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"UCS_{name} must be a number above 0, not {value!r}")
    config["ACCEPTED_ONLY"] = _accepted_only(config, mode)


def _accepted_only(config: Mapping[str, Any], mode: str) -> bool:
    chosen = {name: _flag(name, config[name]) for name in ("ACCEPTED_ONLY", "DRS_ACCEPTED_ONLY")}
    given = {name: value for name, value in chosen.items() if value is not None}
    if len(set(given.values())) > 1:
        raise ConfigError(
            "UCS_ACCEPTED_ONLY and its older name UCS_DRS_ACCEPTED_ONLY disagree: set only UCS_ACCEPTED_ONLY"
        )
    accepted_only = next(iter(given.values()), mode == BUILTIN)
    if accepted_only and mode == NONE:
        raise ConfigError(
            "UCS_ACCEPTED_ONLY is true but UCS_VALIDATION is none: nothing would ever be accepted, so "
            "nothing served; choose builtin or external validation, or serve uploaded files"
        )
    return accepted_only


def _flag(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return parse_setting(f"UCS_{name}", str(value), False)


def served_statuses(config: Mapping[str, Any]) -> frozenset[UploadStatus]:
    """The statuses of the uploads whose objects downloads and DRS hand out."""
    if config["ACCEPTED_ONLY"]:
        return frozenset({UploadStatus.ACCEPTED})
    return frozenset({UploadStatus.UPLOADED, UploadStatus.ACCEPTED})


def validator_id(config: Mapping[str, Any]) -> str:
    """This validator's name in leases and verdicts: UCS_VALIDATOR_ID, or <host>:<pid>."""
    return config["VALIDATOR_ID"] or f"{socket.gethostname()}:{os.getpid()}"
