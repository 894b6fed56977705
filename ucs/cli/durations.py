"""Durations as the commands take them (`--older-than 7d`, `--ttl 12h`)."""

from __future__ import annotations

import re
from datetime import timedelta

DURATION = re.compile(r"^(\d{1,6})([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '30m' or '45s' as a timedelta; ValueError names the expected form."""
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 7d, 12h, 30m or 45s")
    return timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])
