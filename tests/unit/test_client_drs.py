"""The client's DRS: drs:// URIs, a DRS server's answers, and what a DRS object gives the downloader."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.support.answers import answer
from upload_client import cli
from upload_client.config import TransferConfig
from upload_client.credentials import Credentials
from upload_client.drs import DrsClient, DrsObject, DrsUri, parse_drs_uri
from upload_client.exceptions import AccessRefused, ApiError, BadInput, NotUcs
from upload_client.sources import StoredObject

SHA = "ab" * 32


@pytest.mark.parametrize(
    ("text", "host", "object_id"),
    [
        ("drs://drs.example.org/EGAF00001234567", "drs.example.org", "EGAF00001234567"),
        ("drs://127.0.0.1:5077/reads.cram", "127.0.0.1:5077", "reads.cram"),
        ("DRS://h/a-b_c.d~e", "h", "a-b_c.d~e"),
        ("drs://[::1]:8443/F", "[::1]:8443", "F"),
    ],
)
def test_hostname_based_uris(text, host, object_id):
    assert parse_drs_uri(text) == DrsUri(host, object_id)


def test_a_uri_resolves_to_https_on_its_host_unless_an_api_url_says_otherwise():
    uri = DrsUri("drs.example.org", "F")
    assert uri.base_url() == "https://drs.example.org/ga4gh/drs/v1"
    assert uri.base_url("http://127.0.0.1:5077/") == "http://127.0.0.1:5077/ga4gh/drs/v1"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("https://drs.example.org/F", "is not a DRS URI: it must look like drs://<host>/<id>"),
        ("drs:///F", "is not a DRS URI"),
        ("drs://drs.example.org", "after drs://<host>/ comes one DRS id"),
        ("drs://drs.example.org/", "after drs://<host>/ comes one DRS id"),
        ("drs://drs.example.org/a/b", "after drs://<host>/ comes one DRS id"),
        ("drs://drs.example.org/F?x=1", "after drs://<host>/ comes one DRS id"),
        ("drs://drs.example.org/a%20b", "after drs://<host>/ comes one DRS id"),
        ("drs://user@drs.example.org/F", "'user@drs.example.org' is not a host name"),
        ("drs://hg38:0001234", "is a compact identifier DRS URI"),
    ],
)
def test_anything_else_is_refused_saying_what_is_wrong(text, words):
    with pytest.raises(BadInput, match="^" + repr(text).replace("?", r"\?")) as refused:
        parse_drs_uri(text)
    assert words in str(refused.value)


@pytest.fixture
def api():
    return DrsClient("https://drs.example.org/ga4gh/drs/v1", TransferConfig(), Credentials())


def test_drs_errors_keep_the_server_message_on_one_line(api):
    with pytest.raises(
        ApiError, match="^DRS object 'F' is not available:\\s+it is still being uploaded$"
    ) as raised:
        api.rest.answer(
            "GET",
            "/objects/F",
            answer(
                404,
                {"msg": "DRS object 'F' is not available:\n it is still being uploaded", "status_code": 404},
            ),
        )
    assert raised.value.status == 404
    with pytest.raises(ApiError, match="^500 Internal Server Error$"):
        api.rest.answer("GET", "/objects/F", answer(500, {"status_code": 500}))


def test_refusals_of_the_token_are_access_refused(api):
    with pytest.raises(AccessRefused, match="it needs the scope download:F") as raised:
        api.rest.answer(
            "GET", "/objects/F", answer(403, {"msg": "it needs the scope download:F", "status_code": 403})
        )
    assert raised.value.exit_code == 6


def test_messages_name_the_drs_server_not_ucs(api):
    with pytest.raises(AccessRefused) as refused:
        api.rest.answer("GET", "/objects/F", answer(403, {"msg": "no", "status_code": 403}))
    assert str(refused.value) == "the DRS server refused the request: no"
    with pytest.raises(AccessRefused) as tokenless:
        api.rest.answer("GET", "/objects/F", answer(401, {"msg": "no token", "status_code": 401}))
    assert str(tokenless.value) == (
        "the DRS server needs a token: pass --token or --token-file, or set UCS_TOKEN"
    )


@pytest.mark.parametrize(
    "response",
    [
        answer(404, b"<html>Not Found</html>", "text/html"),
        answer(404, {"code": 404, "message": "UCS's shape, not DRS's"}),
        answer(200, b"<html>welcome</html>", "text/html"),
    ],
)
def test_answers_not_shaped_like_drs_mean_the_uri_or_url_is_wrong(api, response):
    with pytest.raises(
        NotUcs, match="does not answer like a DRS server: GET /objects/F gave .*check the drs:// URI"
    ):
        api.rest.answer("GET", "/objects/F", response)


class FakeDrs:
    """A DRS server's answers, with the calls made to it."""

    base_url = "https://drs.example.org/ga4gh/drs/v1"

    def __init__(self, drs_object: dict, access: dict | None = None, error: ApiError | None = None):
        self.drs_object, self.access, self.error = drs_object, access, error
        self.calls: list[str] = []

    def get_object(self, object_id):
        self.calls.append(f"object {object_id}")
        if self.error:
            raise self.error
        return self.drs_object

    def access_url(self, object_id, access_id):
        self.calls.append(f"access {object_id} {access_id}")
        return {"url": f"https://store.example/{len(self.calls)}", **(self.access or {})}


def drs_object(**changes) -> dict:
    return {
        "id": "F",
        "size": 42,
        "version": "etag-1",
        "checksums": [{"type": "md5", "checksum": "00"}, {"type": "sha-256", "checksum": SHA.upper()}],
        "access_methods": [{"type": "s3", "access_id": "s3"}, {"type": "https", "access_id": "https"}],
        **changes,
    }


def test_the_object_is_read_once_and_every_url_is_fresh():
    server = FakeDrs(drs_object())
    source = DrsObject(server, "F")
    first, second = source.describe(), source.fresh_url()
    assert first == StoredObject("https://store.example/2", 42, SHA, "etag-1")
    assert second == "https://store.example/3"
    assert server.calls == ["object F", "access F https", "access F https"]


def test_an_access_url_in_the_object_is_used_and_the_object_read_again_for_the_next():
    method = {"type": "https", "access_url": {"url": "https://store.example/static"}}
    server = FakeDrs(drs_object(access_methods=[method], checksums=[{"type": "SHA256", "checksum": SHA}]))
    source = DrsObject(server, "F")
    assert source.describe().sha256 == SHA
    assert source.fresh_url() == "https://store.example/static"
    assert server.calls == ["object F", "object F"]


def test_an_object_without_sha256_gives_none_so_only_the_size_is_checked():
    described = DrsObject(FakeDrs(drs_object(checksums=[{"type": "md5", "checksum": "00"}])), "F").describe()
    assert described.sha256 is None


def test_an_object_without_an_https_method_is_refused_naming_what_it_offers():
    server = FakeDrs(drs_object(access_methods=[{"type": "s3", "access_id": "s3"}, {"type": "gs"}]))
    with pytest.raises(BadInput, match=r"offers no https access method \(it offers: gs, s3\)"):
        DrsObject(server, "F").describe()


def test_headers_the_client_cannot_send_are_refused_by_name_never_by_value():
    server = FakeDrs(drs_object(), access={"headers": ["Authorization: Bearer s3cr3t"]})
    with pytest.raises(
        BadInput, match=r"wants headers sent with the URL of 'F' \(Authorization\)"
    ) as refused:
        DrsObject(server, "F").describe()
    assert "s3cr3t" not in str(refused.value)


@pytest.mark.parametrize("status", [400, 404])
def test_the_servers_reason_for_no_object_is_bad_input(status):
    server = FakeDrs(
        drs_object(), error=ApiError(status, "DRS object 'F' is not available: it is still being uploaded")
    )
    with pytest.raises(
        BadInput,
        match=r"^DRS object 'F' is not available: it is still being uploaded \(at https://drs.example.org/ga4gh/drs/v1\)$",
    ):
        DrsObject(server, "F").describe()


@pytest.mark.parametrize("size", ["42", -1, None, 4.2])
def test_a_malformed_object_is_not_drs(size):
    with pytest.raises(NotUcs, match="object 'F' is malformed"):
        DrsObject(FakeDrs(drs_object(size=size)), "F").describe()


@pytest.fixture
def chosen(monkeypatch):
    """Runs `upload-client download ...`; returns the (uri, api_url) the DRS download was asked for."""
    seen = []

    def stop_here(uri, api_url, access, parallel):
        seen.append((uri, api_url))
        raise BadInput("stopped by the test")

    monkeypatch.setattr(cli, "drs_object", stop_here)

    def run(*args: str, **env: str):
        result = CliRunner().invoke(cli.main, ["download", *args], env={"UCS_API_URL": None, **env})
        return result, seen

    return run


def test_with_a_uri_only_an_api_url_on_the_command_line_says_where_the_server_is(chosen, tmp_path):
    out = str(tmp_path / "out")
    result, seen = chosen("drs://h/F", "--output", out, UCS_API_URL="http://elsewhere:1")
    assert result.exit_code == 1 and "stopped by the test" in result.output
    result, seen = chosen("drs://h/F", "--output", out, "--api-url", "http://127.0.0.1:5077")
    assert seen == [("drs://h/F", None), ("drs://h/F", "http://127.0.0.1:5077")]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "name the file either with a drs:// URI or with --file-id and --api-url"),
        (("drs://h/F", "--file-id", "F"), "name the file either with a drs:// URI or with --file-id"),
        (("--file-id", "F"), "Missing option '--api-url' (or the environment variable UCS_API_URL)."),
    ],
)
def test_naming_the_file_twice_or_not_at_all_is_wrong_usage(chosen, tmp_path, args, words):
    result, seen = chosen(*args, "--output", str(tmp_path / "out"))
    assert result.exit_code == 2 and words in result.output and seen == []


def test_an_api_url_with_a_query_is_refused_with_a_uri_too(chosen, tmp_path):
    result, seen = chosen(
        "drs://h/F", "--output", str(tmp_path / "out"), "--api-url", "http://127.0.0.1:5077/?x"
    )
    assert result.exit_code == 4 and "a base URL has no query (?) or fragment (#)" in result.output
    assert seen == []
