"""GA4GH Data Repository Service (DRS) over UCS's files, under /ga4gh/drs/v1 (docs/drs.md).

- routes.py: the blueprint: authorize, parse, shape, one call below
- objects.py: which files are DRS objects; a file's DrsObject and access URL; who may authorize
- bulk.py: the answers of the bulk operations (resolved, unresolved by error code, a summary)
- schemas.py: the DRS answers and request bodies, which also document /openapi.json
- errors.py: DRS's error shape, {"msg", "status_code"}, for every answer under /ga4gh/drs/
- settings.py: the UCS_DRS_* settings, declared and checked with UCS's own (ucs/app.py reads them)
"""

from ucs.api.drs.routes import blp

__all__ = ["blp"]
