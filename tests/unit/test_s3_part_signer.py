"""The s3 backend's part signer gives the URL boto3's generate_presigned_url gives, for any key and id."""

from urllib.parse import parse_qs, urlsplit

import pytest

from ucs_plugins.s3 import S3Backend

CONFIG = {
    "S3_ENDPOINT_URL": "http://127.0.0.1:9",
    "S3_REGION": "eu-central-1",
    "S3_BUCKET": "uploads",
    "S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "S3_SECRET_ACCESS_KEY": "secret",
}


@pytest.mark.parametrize(
    ("key", "upload_id"),
    [("f1/3f2a", "2~abc"), ("a b+é/ü~x", "UP/ID+==&x=1"), ("f/../k", "id%2F")],
)
@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:9",
        "https://s3.example.org",
        "http://s3.example.org:80",
        "https://s3.example.org:8443",
    ],
)
def test_each_part_url_is_the_one_boto3_would_sign(key, upload_id, endpoint):
    backend = S3Backend.from_config({**CONFIG, "S3_ENDPOINT_URL": endpoint})
    for _ in range(5):  # both within one second, so that both carry the same X-Amz-Date
        [ours] = backend.presign_upload_parts(key, upload_id, [7], 600)
        theirs = backend.client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": "uploads", "Key": key, "UploadId": upload_id, "PartNumber": 7},
            ExpiresIn=600,
            HttpMethod="PUT",
        )
        if parse_qs(urlsplit(ours.url).query)["X-Amz-Date"] == parse_qs(urlsplit(theirs).query)["X-Amz-Date"]:
            break
    assert urlsplit(ours.url)._replace(query="") == urlsplit(theirs)._replace(query="")
    assert parse_qs(urlsplit(ours.url).query) == parse_qs(urlsplit(theirs).query)
    assert ours.method == "PUT"


def test_a_batch_signs_each_part_in_the_order_asked():
    backend = S3Backend.from_config(CONFIG)
    signed = backend.presign_upload_parts("f1/k", "u", [3, 1, 2], 600)
    assert [parse_qs(urlsplit(s.url).query)["partNumber"] for s in signed] == [["3"], ["1"], ["2"]]
