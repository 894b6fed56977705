"""The REST API: one module per resource, registered here in one place."""

from ucs.api import access, docs, drs, files, health, identifiers, multipart_uploads

BLUEPRINTS = (files.blp, multipart_uploads.blp, health.blp, drs.blp)


def register_api(api, app):
    # The scheme that protected operations name, and that the "Authorize" button of /docs fills in.
    api.spec.components.security_scheme(
        access.SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    app.url_rule_class = identifiers.IdRule
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    app.register_blueprint(docs.bp)
