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

from ucs.settings import ConfigError, Setting, parse_setting
from ucs.uploads import UploadStatus
from ucs.validation_modes import BUILTIN, MODES, NONE


def _mode(mode: Any, instance_path: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"UCS_VALIDATION must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def _flag(value: Any, instance_path: str) -> bool | None:
    """True, false or unset (None); the environment's text is read here, since the default is None."""
    if value is None or isinstance(value, bool):
        return value
    return parse_setting("UCS_ACCEPTED_ONLY", str(value), False)


def _positive(key: str):
    def check(value: Any, instance_path: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"UCS_{key} must be a number above 0, not {value!r}")
        return value

    return check


def _positive_setting(key: str, default: int | float) -> Setting:
    return Setting(key, default, resolve=_positive(key))


VALIDATION_SETTINGS = (
    # builtin (UCS reads every object back and judges it), external (the verdict comes as a
    # file.upload_validated event) or none (uploaded is final).
    Setting("VALIDATION", BUILTIN, resolve=_mode),
    # Serve (downloads and DRS) only files whose upload was accepted: true or false; unset, it follows
    # VALIDATION (true for builtin, false for external and none). UCS_DRS_ACCEPTED_ONLY is its older name,
    # from when it applied to DRS only.
    Setting("ACCEPTED_ONLY", None, resolve=_flag, old_keys=("DRS_ACCEPTED_ONLY",)),
    # Seconds a validator holds an object it reads; it renews the lease while reading. Another validator
    # takes over an object whose lease ran out (its validator was killed).
    _positive_setting("VALIDATION_LEASE", 60.0),
    # Objects one validator reads at once, and parallel ranged reads per object, and their size in bytes.
    _positive_setting("VALIDATION_CONCURRENCY", 2),
    _positive_setting("VALIDATION_READERS", 4),
    _positive_setting("VALIDATION_RANGE_SIZE", 16 * 1024 * 1024),
    # Seconds before an object whose store was unavailable is read again; doubles up to the maximum.
    _positive_setting("VALIDATION_RETRY_DELAY", 5.0),
    _positive_setting("VALIDATION_RETRY_MAX_DELAY", 600.0),
    # Seconds a validator waits before looking again when nothing is waiting.
    _positive_setting("VALIDATION_POLL_INTERVAL", 1.0),
    # The validator's name in the verdicts (validated_by) and leases. None: <host>:<pid>.
    Setting("VALIDATOR_ID", None),
    # The Retry-After (seconds) of an answer about a file whose verdict is pending.
    _positive_setting("VALIDATION_RETRY_AFTER", 5),
)


def check_validation_settings(config: MutableMapping[str, Any]) -> None:
    """Settle ACCEPTED_ONLY to true or false from the mode, refusing a choice that would serve nothing."""
    mode = config["VALIDATION"]
    accepted_only = config["ACCEPTED_ONLY"]
    if accepted_only is None:
        accepted_only = mode == BUILTIN
    if accepted_only and mode == NONE:
        raise ConfigError(
            "UCS_ACCEPTED_ONLY is true but UCS_VALIDATION is none: nothing would ever be accepted, so "
            "nothing served; choose builtin or external validation, or serve uploaded files"
        )
    config["ACCEPTED_ONLY"] = accepted_only


def served_statuses(config: Mapping[str, Any]) -> frozenset[UploadStatus]:
    """The statuses of the uploads whose objects downloads and DRS hand out."""
    if config["ACCEPTED_ONLY"]:
        return frozenset({UploadStatus.ACCEPTED})
    return frozenset({UploadStatus.UPLOADED, UploadStatus.ACCEPTED})


def serving(config: Mapping[str, Any]) -> tuple[frozenset[UploadStatus], int]:
    """What ucs/operations/serving.py served_upload takes from the settings: the served statuses, and the
    Retry-After of an answer about a file whose verdict is pending."""
    return served_statuses(config), config["VALIDATION_RETRY_AFTER"]


def validator_id(config: Mapping[str, Any]) -> str:
    """This validator's name in leases and verdicts: UCS_VALIDATOR_ID, or <host>:<pid>."""
    return config["VALIDATOR_ID"] or f"{socket.gethostname()}:{os.getpid()}"
