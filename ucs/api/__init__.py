"""The REST API: one module per resource, registered here in one place."""

from ucs.api import docs, files, health, multipart_uploads

BLUEPRINTS = (files.blp, multipart_uploads.blp, health.blp)


def register_api(api, app):
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    app.register_blueprint(docs.bp)
