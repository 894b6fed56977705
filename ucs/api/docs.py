"""Serve the Swagger UI assets from the swagger-ui-bundle package, so /docs works without internet."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("docs_assets", __name__)


@bp.route("/docs/assets/<path:filename>")
def asset(filename):
    # send_from_directory refuses paths that leave the directory.
    return send_from_directory(swagger_ui_path, filename, max_age=3600)
