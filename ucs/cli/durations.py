"""Durations as the commands take them (`--older-than 7d`, `--ttl 12h`, `--older-than 1.5h`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import click

# A number, whole or decimal, then s, m, h or d; a bare number is seconds. Spaces around either are allowed.
DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SUCH_AS = " such as 7d, 12h, 30m or 45s"


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '30m', '45s', '1.5h' or a bare number of seconds as a timedelta; ValueError names the
    expected form."""
    match = DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration{SUCH_AS}")
    try:
        return timedelta(seconds=float(match.group(1)) * UNIT_SECONDS[match.group(2) or "s"])
    except OverflowError:
        raise ValueError(f"{text!r} is longer than any duration UCS can count") from None


@dataclass(frozen=True)
class Duration:
    """A duration option's value: the span, and the text as written for the command's messages."""

    text: str
    span: timedelta


class DurationType(click.ParamType):
    """A click option taking a duration (parse_duration's forms); advice follows "is not a duration" when
    the value is not one, so each command can give examples that fit it."""

    name = "duration"

    def __init__(self, advice: str = SUCH_AS) -> None:
        self.advice = advice

    def convert(self, value, param, ctx) -> Duration:
        if isinstance(value, Duration):
            return value
        if isinstance(value, int | float):  # a default given as seconds
            return Duration(f"{value:g}s", timedelta(seconds=value))
        text = str(value)
        if DURATION.fullmatch(text) is None:
            self.fail(f"{text!r} is not a duration{self.advice}", param, ctx)
        try:
            return Duration(text, parse_duration(text))
        except ValueError as error:  # a number too large to count
            self.fail(str(error), param, ctx)
