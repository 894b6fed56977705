"""A smoke test of benchmarks/validation_read_side.py, the process benchmarks/validation_read.py measures:
both sides read a small object on moto and check its SHA-256 (the benchmark itself is not a test)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import pytest

from tests.support.s3_fixtures import *  # noqa: F403 - the moto fixture

SIDE = Path(__file__).resolve().parents[2] / "benchmarks" / "validation_read_side.py"


def load_side():
    spec = importlib.util.spec_from_file_location("validation_read_side", SIDE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_sides_read_the_object_and_check_its_sha256(moto, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto.secret_key)
    bucket = moto.make_bucket()
    data = os.urandom(1024 * 1024 + 3)
    moto.client().put_object(Bucket=bucket, Key="object", Body=data)
    side = load_side()
    where = (moto.endpoint_url, bucket, "object")

    side.main("boto3", *where, hashlib.sha256(data).hexdigest())
    reader = ("2", str(256 * 1024), str(64 * 1024))
    side.main("reader", *where, hashlib.sha256(data).hexdigest(), *reader)
    for name, config in (("boto3", ()), ("reader", reader)):
        with pytest.raises(SystemExit, match="expected 0000"):
            side.main(name, *where, "0" * 64, *config)
