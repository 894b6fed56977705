"""The one duration option type of `ucs validate`, `ucs uploads cleanup` and `ucs tokens issue`."""

from datetime import timedelta

import click
import pytest
from click.testing import CliRunner

from ucs.cli.durations import Duration, DurationType


@click.command()
@click.option("--older-than", type=DurationType(), default="7d")
def show(older_than: Duration) -> None:
    click.echo(f"{older_than.text}={older_than.span.total_seconds():g}")


# What the commands' two former parsers took: "7d" and " 1d " (cleanup, --ttl), "1.5h", "90" and "12 h"
# (validate): each keeps working with every command.
@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7d", 604800), (" 1d ", 86400), ("45s", 45), ("1.5h", 5400), ("90", 90), ("12 h", 43200)],
)
def test_every_form_either_parser_took_is_read(text, seconds):
    result = CliRunner().invoke(show, ["--older-than", text])
    assert result.exit_code == 0, result.output
    assert result.output == f"{text}={seconds}\n"


def test_the_default_is_read_the_same_way():
    assert CliRunner().invoke(show, []).output == "7d=604800\n"


def test_a_number_too_large_to_count_is_refused_by_name():
    result = CliRunner().invoke(show, ["--older-than", "9" * 400 + "d"])
    assert result.exit_code == 2
    assert "is longer than any duration UCS can count" in result.output
    assert "Traceback" not in result.output


def test_each_command_gives_its_own_examples():
    plain = DurationType()
    advised = DurationType(": write a number with s, m, h or d")
    with pytest.raises(click.BadParameter, match="'soon' is not a duration such as 7d, 12h, 30m or 45s"):
        plain.convert("soon", None, None)
    with pytest.raises(click.BadParameter, match="'soon' is not a duration: write a number"):
        advised.convert("soon", None, None)
    assert plain.convert(60, None, None).span == timedelta(minutes=1)
