"""How request bodies are read: JSON only, and JSON that Python cannot load is the client's error."""

import json

import flask_smorest
from flask import current_app
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ucs.api.smorest import ErrorSchema

NOT_JSON = "send the body as JSON, with Content-Type: application/json"
# How /openapi.json describes what this parser refuses, for every view that reads a JSON body.
MALFORMED_JSON = "The body is not valid JSON"
NOT_JSON_BODY = "The body is not sent as JSON (Content-Type: application/json)"
BODY_TOO_LARGE = "The body is larger than UCS reads (UCS_MAX_JSON_BODY_SIZE)"


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, stricter about bodies.

    webargs ignores a body whose Content-Type is not JSON, so `curl -d '{"size": 5}'` (form-encoded by
    default) would register a file with no size at all: refuse such a body with 415 instead. JSON that
    decodes but cannot be loaded (an integer of more than 4,300 digits, arrays nested
    thousands deep) is a 400 like any malformed JSON. A body larger than UCS_MAX_JSON_BODY_SIZE is a 413
    before it is read: decoding and validating tens of MB of JSON takes GBs of memory.
    """

    def _raw_load_json(self, req):
        limit = current_app.config["MAX_JSON_BODY_SIZE"]
        if req.content_length is not None and req.content_length > limit:
            abort(413, message=_too_large(f"has {req.content_length} bytes", limit))
        # A chunked body announces no length: read one byte past the limit, to tell one that passed it.
        req.max_content_length = limit + 1
        body = req.get_data(cache=True)
        if len(body) > limit:
            abort(413, message=_too_large(f"passed {limit} bytes", limit))
        if not body:
            return core.missing
        if not is_json_request(req):
            abort(415, message=f"{NOT_JSON} (got {req.mimetype or 'no Content-Type'})")
        try:
            return core.parse_json(body)
        except json.JSONDecodeError:
            raise  # webargs answers these with its own 400
        except ValueError as error:
            abort(400, message=f"the body is not valid JSON: {error}")
        except RecursionError:
            abort(400, message="the body is not valid JSON: nested too deeply")


def _too_large(what: str, limit: int) -> str:
    return f"the body {what}; UCS reads at most {limit} bytes (UCS_MAX_JSON_BODY_SIZE)"


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, with the stricter body parser and its refusals documented.

    A view whose 400 has more causes than malformed JSON documents its own 400 over this one.
    """

    ARGUMENTS_PARSER = JsonBodyParser()
    # How the docs describe the blueprint's error answers (an API with an error shape of its own overrides it).
    ERROR_SCHEMA = ErrorSchema

    def arguments(self, schema, *, location="json", documented_as: dict | None = None, **kwargs):
        """Read the arguments with schema; documented_as states a body that one schema cannot (a oneOf)."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse

        def decorate(view):
            view = parse(view)
            if documented_as is not None:
                view._apidoc["arguments"]["parameters"][-1]["schema"] = documented_as
            for code, description in ((400, MALFORMED_JSON), (413, BODY_TOO_LARGE), (415, NOT_JSON_BODY)):
                view = self.alt_response(code, schema=self.ERROR_SCHEMA, description=description)(view)
            return view

        return decorate
