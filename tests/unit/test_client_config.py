"""TransferConfig: the defaults the documentation promises, the values derived from them, refused values."""

from __future__ import annotations

import dataclasses

import pytest

from upload_client.config import MiB, TransferConfig
from upload_client.exceptions import BadInput, InvalidConfig


def test_the_defaults_are_the_documented_ones():
    config = TransferConfig()
    assert (config.max_concurrency, config.chunk_size, config.download_range_size) == (4, MiB, 16 * MiB)
    assert (config.max_attempts, config.backoff_initial, config.backoff_max) == (6, 0.5, 20.0)
    assert config.store_timeout == (10.0, 120.0)
    assert (config.api_retries, config.api_backoff_initial, config.api_backoff_max) == (4, 0.25, 8.0)
    assert config.api_timeout == (10.0, 60.0)
    assert config.completion_timeout == 3600.0


@pytest.mark.parametrize(
    ("batch", "parallel", "window", "batched"),
    [(None, 4, 32, True), (None, 8, 64, True), (100, 4, 100, True), (0, 4, 1, False)],
)
def test_the_part_url_window_follows_the_batch_size_or_the_parallelism(batch, parallel, window, batched):
    config = TransferConfig(max_concurrency=parallel, part_url_batch=batch)
    assert config.part_url_window == window
    assert config.batched_part_urls is batched


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("max_concurrency", 0, "max_concurrency must be a whole number of at least 1, not 0"),
        ("chunk_size", 1.5, "chunk_size must be a whole number of at least 1, not 1.5"),
        ("max_attempts", True, "max_attempts must be a whole number of at least 1, not True"),
        ("api_retries", -1, "api_retries must be a whole number of at least 0, not -1"),
        ("part_url_batch", 1001, "part_url_batch must be a whole number from 0 to 1000, not 1001"),
        ("backoff_initial", -0.5, "backoff_initial must be zero or more seconds, not -0.5"),
        ("api_read_timeout", 0, "api_read_timeout must be more than zero seconds, not 0"),
        ("store_read_timeout", float("nan"), "store_read_timeout must be more than zero seconds, not nan"),
        ("completion_timeout", "1h", "completion_timeout must be more than zero seconds, not '1h'"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_field(field, value, words):
    with pytest.raises(InvalidConfig, match="^TransferConfig." + words.replace(".", r"\.") + "$") as raised:
        TransferConfig(**{field: value})
    assert isinstance(raised.value, BadInput)  # one line and exit 1 from the command line
    assert isinstance(raised.value, ValueError)  # what Python callers expect of a bad argument


def test_a_config_is_not_changed_after_it_is_built():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TransferConfig().max_concurrency = 8  # type: ignore[misc]
