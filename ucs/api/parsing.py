"""How request bodies are read: JSON only, and JSON that Python cannot load is the client's error."""

import json

import flask_smorest
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

NOT_JSON = "send the body as JSON, with Content-Type: application/json"


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, stricter about bodies.

    webargs ignores a body whose Content-Type is not JSON, so `curl -d '{"size": 5}'` (form-encoded by
    default) would register a file with no size at all: refuse such a body with 415 instead. JSON that
    decodes but cannot be loaded (an integer of more than 4,300 digits, arrays nested
    thousands deep) is a 400 like any malformed JSON.
    """

    def _raw_load_json(self, req):
        body = req.get_data(cache=True)
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


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, with the stricter body parser."""

    ARGUMENTS_PARSER = JsonBodyParser()
