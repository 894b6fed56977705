"""The S3-compatible skeleton says what a backend must give: one that misses a part cannot be made."""

import pytest

from ucs.storage import StorageBackend
from ucs_plugins.minio.backend import MinioBackend
from ucs_plugins.s3.backend import S3Backend
from ucs_plugins.s3_compatible.base import S3CompatibleBackend


def test_the_built_in_backends_give_everything_the_skeleton_asks_for():
    assert S3Backend.__abstractmethods__ == frozenset()
    assert MinioBackend.__abstractmethods__ == frozenset()


def test_a_backend_without_its_sdk_parts_cannot_be_made_and_the_error_names_them():
    class Unfinished(S3CompatibleBackend):
        name = "unfinished"
        sdk_errors = ()

    with pytest.raises(TypeError) as refused:
        Unfinished(client=None, bucket="b")
    for missing in (
        "translate",
        "_listed_parts",
        "_get_range",
        "_bucket_exists",
        "complete_multipart_upload",
    ):
        assert missing in str(refused.value)


def test_the_skeleton_gives_or_asks_for_every_operation_of_the_storage_contract():
    contract = {name for name, value in vars(StorageBackend).items() if callable(value) and name[0] != "_"}
    assert "delete_object" in S3CompatibleBackend.__abstractmethods__
    assert {name for name in contract if not hasattr(S3CompatibleBackend, name)} == set()
