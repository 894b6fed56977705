"""/openapi.json against docs/api.md: every operation, every error it can answer, one error shape.

The GA4GH DRS routes (docs/drs.md) are in the same document with DRS's error shape.

The API tests check the other direction: each status the server really answered is listed here
(tests/support/rest.py checked_rest).
"""

import re

import pytest

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
# DRS: 400 for any invalid id or body (DRS has no 422), 500 on every operation as the specification lists.
DRS = "/ga4gh/drs/v1"
DRS_CONTRACT = {
    ("get", f"{DRS}/service-info"): {"200", "500"},
    ("get", f"{DRS}/objects/{{object_id}}"): {"200", "400", "404", "500"} | AUTH,
    ("options", f"{DRS}/objects/{{object_id}}"): {"200", "400", "500"},
    ("get", f"{DRS}/objects/{{object_id}}/access/{{access_id}}"): {"200", "400", "404", "500"} | STORE | AUTH,
    ("post", f"{DRS}/objects"): {"200", "400", "413", "500"} | TOKEN,
    ("options", f"{DRS}/objects"): {"200", "400", "413", "500"},
    ("post", f"{DRS}/objects/access"): {"200", "400", "413", "500"} | STORE | TOKEN,
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
