"""/openapi.json against docs/api.md: every operation, every error it can answer, one error shape.

The GA4GH DRS routes (docs/drs.md) are in the same document with DRS's error shape.

The API tests check the other direction: each status the server really answered is listed here
(tests/support/rest.py checked_rest).
"""

import re

import pytest

from ucs.uploads import FILE_ID_PATTERN, MAX_PARTS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# The contract's table: each operation with the answers it lists, plus what the implementation adds
# (400 for malformed JSON, 413 for a body over the size limit, 415 for a body not sent as JSON, 422 for an
# invalid file_id, 502/503 when the object store fails), and 401/403 on every operation that needs a token
# (docs/architecture.md, "Access"), with 503 when its issuer's keys or the database are unavailable.
STORE = {"502", "503"}
BODY = {"400", "413", "415", "422"}
TOKEN = {"401", "503"}
AUTH = TOKEN | {"403"}
CONTRACT = {
    ("put", "/files/{file_id}"): {"200", "201", "409"} | BODY | AUTH,
    ("get", "/files/{file_id}"): {"200", "404", "422"} | AUTH,
    ("post", "/files/{file_id}/multipart_uploads"): {"201", "404", "409"} | BODY | STORE | AUTH,
    ("get", "/files/{file_id}/multipart_uploads"): {"200", "404", "422"} | AUTH,
    ("get", "/multipart_uploads/{upload_id}"): {"200", "404"} | AUTH,
    ("get", "/multipart_uploads/{upload_id}/parts"): {"200", "404", "409"} | STORE | AUTH,
    ("post", "/multipart_uploads/{upload_id}/part/{part_no}/presigned_post"): {"200", "404", "409", "422"}
    | STORE
    | AUTH,
    ("patch", "/multipart_uploads/{upload_id}"): {"204", "404", "409"} | BODY | STORE | AUTH,
    ("post", "/multipart_uploads/{upload_id}/parts/presigned_posts"): {"200", "404", "409"}
    | BODY
    | STORE
    | AUTH,
    ("get", "/files/{file_id}/download"): {"200", "404", "409", "422"} | STORE | AUTH,
    ("get", "/health"): {"200", "503"},
}
# DRS: 400 for any invalid id or body (DRS has no 422), 415 for a body not sent as JSON, 500 on every
# operation as the specification lists.
DRS = "/ga4gh/drs/v1"
DRS_CONTRACT = {
    ("get", f"{DRS}/service-info"): {"200", "500"},
    # 202: the object's verdict is pending (DRS's "not ready yet", with Retry-After).
    ("get", f"{DRS}/objects/{{object_id}}"): {"200", "202", "400", "404", "500"} | AUTH,
    ("options", f"{DRS}/objects/{{object_id}}"): {"200", "400", "500"},
    ("get", f"{DRS}/objects/{{object_id}}/access/{{access_id}}"): {"200", "202", "400", "404", "500"}
    | STORE
    | AUTH,
    ("post", f"{DRS}/objects"): {"200", "400", "413", "415", "500"} | TOKEN,
    ("options", f"{DRS}/objects"): {"200", "400", "413", "415", "500"},
    ("post", f"{DRS}/objects/access"): {"200", "400", "413", "415", "500"} | STORE | TOKEN,
}
CONTRACT |= DRS_CONTRACT
PUBLIC = {
    ("get", "/health"),
    ("get", f"{DRS}/service-info"),
    ("options", f"{DRS}/objects/{{object_id}}"),
    ("options", f"{DRS}/objects"),
}


@pytest.fixture
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                yield (method, path), operation


def test_every_operation_of_the_contract_and_no_other(spec):
    assert {key for key, _ in operations(spec)} == set(CONTRACT)


def test_each_operation_lists_the_answers_it_can_give(spec):
    documented = {key: set(op["responses"]) - {"default"} for key, op in operations(spec)}
    assert documented == CONTRACT


def test_errors_are_documented_in_the_one_error_shape(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["Error"]["properties"]) >= {"code", "status", "message"}
    assert set(schemas["DrsError"]["properties"]) == {"msg", "status_code"}
    for (method, path), operation in operations(spec):
        drs = path.startswith(DRS)
        error_ref = "#/components/schemas/DrsError" if drs else "#/components/schemas/Error"
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and path != "/health":
                if "$ref" in response:  # flask-smorest's shared 422 answer
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, f"{method} {path} {status}"
        # DRS operations document each error in DRS's shape, and not the API-wide default (UCS's shape).
        assert drs is ("default" not in operation["responses"]), f"{method} {path}"


def test_every_operation_but_health_names_the_bearer_scheme(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for key, operation in operations(spec):
        expected = [] if key in PUBLIC else [{"bearerAuth": []}]
        assert operation.get("security", []) == expected, key


def test_every_operation_has_a_summary_for_the_docs_page(spec):
    for key, operation in operations(spec):
        assert operation.get("summary"), key


def test_every_route_but_the_public_ones_refuses_a_request_without_a_token(app):
    """A new route that forgets its access check fails here, whatever its blueprint."""
    public = ("/health", "/metrics", "/openapi.json", "/docs", "/storage/", f"{DRS}/service-info")
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(public) or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            checked += 1
    assert checked >= len(CONTRACT) - len(PUBLIC)


def parameter(spec, path: str, name: str) -> dict:
    return next(p for p in spec["paths"][path]["parameters"] if p["name"] == name)


def test_path_parameters_state_the_rules_the_server_holds_them_to(spec):
    file_id = {"type": "string", "pattern": FILE_ID_PATTERN.pattern, "minLength": 1, "maxLength": 128}
    for path in ("/files/{file_id}", "/files/{file_id}/download", "/files/{file_id}/multipart_uploads"):
        assert parameter(spec, path, "file_id")["schema"] == file_id
    assert parameter(spec, f"{DRS}/objects/{{object_id}}", "object_id")["schema"] == file_id
    upload = "/multipart_uploads/{upload_id}/part/{part_no}/presigned_post"
    assert parameter(spec, upload, "part_no")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PARTS,
    }
    assert parameter(spec, upload, "upload_id")["schema"]["maxLength"] == 1024


def test_answers_list_every_field_and_which_may_be_null(spec):
    schemas = spec["components"]["schemas"]
    nullable = {name for name, field in schemas["File"]["properties"].items() if field.get("nullable")}
    assert nullable == {"size", "sha256", "upload_id"}
    assert "s3_upload_id" not in schemas["File"]["properties"]
    nullable = {name for name, field in schemas["Upload"]["properties"].items() if field.get("nullable")}
    assert nullable == {"size", "sha256", "etag", "reason", "started_by", "ended_by"} | {
        "validated_at",
        "validated_by",
        "validation_progress",
        "fixity_checked_at",
        "fixity_failed_at",
        "fixity_reason",
    }
    for name in ("File", "Upload", "StoredPart", "Download", "Error"):
        optional = set(schemas[name]["properties"]) - set(schemas[name]["required"])
        assert optional == ({"errors"} if name == "Error" else set()), name


def test_request_bodies_are_documented_as_they_are_read(spec, client):
    registration = spec["paths"]["/files/{file_id}"]["put"]["requestBody"]
    assert registration["required"] is False
    registered = client.put("/files/f1")  # no body: a file whose size and checksum are not known yet
    assert registered.status_code == 201 and (registered.json["size"], registered.json["sha256"]) == (
        None,
        None,
    )
    patch = spec["paths"]["/multipart_uploads/{upload_id}"]["patch"]["requestBody"]
    refs = [one["$ref"].rsplit("/", 1)[1] for one in patch["content"]["application/json"]["schema"]["oneOf"]]
    assert refs == ["CompleteUpload", "CancelUpload"]
    assert spec["components"]["schemas"]["CompleteUpload"]["required"] == ["parts", "status"]
    part_nos = spec["components"]["schemas"]["PartUrlsRequest"]["properties"]["part_nos"]
    assert (part_nos["uniqueItems"], part_nos["maxItems"]) == (True, 1000)


def test_refusals_of_a_token_document_their_www_authenticate_header(spec):
    for key, operation in operations(spec):
        for status in {"401", "403"} & set(operation["responses"]):
            header = operation["responses"][status]["headers"]["WWW-Authenticate"]
            assert header["required"] is True, (key, status)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/files/f1/download", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/files/f1/multipart_uploads", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("DELETE", "/files/f1", {"GET", "HEAD", "OPTIONS", "PUT"}),
        ("PATCH", "/multipart_uploads/u1/parts", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/multipart_uploads/u1/part/1/presigned_post", {"OPTIONS", "POST"}),
        ("TRACE", "/health", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", f"{DRS}/service-info", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_a_method_the_path_does_not_take_is_405_with_allow(client, method, path, allowed):
    """RFC 9110: a 405 lists the methods the path takes; an id never swallows a route's own suffix."""
    response = client.open(path, method=method)
    assert response.status_code == 405, response.get_data(as_text=True)
    assert set(response.headers["Allow"].split(", ")) == allowed
    assert client.open(path, method="OPTIONS").headers["Allow"] == response.headers["Allow"]
