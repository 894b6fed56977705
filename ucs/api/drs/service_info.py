"""GA4GH service-info of the DRS API: what it is (org.ga4gh drs), who runs it, its bulk limit."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

DRS_VERSION = "1.4.0"


def service_info(config: Mapping[str, Any], own_url: str) -> dict:
    """The service-info answer; own_url (the service's address) stands in for an unset organization URL."""
    limit = config["DRS_MAX_BULK_REQUEST_LENGTH"]
    return {
        "id": config["DRS_SERVICE_ID"],
        "name": "UCS Data Repository Service",
        "type": {"group": "org.ga4gh", "artifact": "drs", "version": DRS_VERSION},
        "description": "The files uploaded through UCS, served through GA4GH DRS with presigned URLs",
        "organization": {
            "name": config["DRS_ORGANIZATION_NAME"],
            "url": config["DRS_ORGANIZATION_URL"] or own_url,
        },
        "version": _ucs_version(),
        # DRS 1.3 asks for it at the top; 1.4 puts it in "drs" and keeps the top one for 1.x clients.
        "maxBulkRequestLength": limit,
        "drs": {"maxBulkRequestLength": limit},
    }


def _ucs_version() -> str:
    try:
        return metadata.version("ucs")
    except metadata.PackageNotFoundError:  # run from a source tree that was not installed
        return "unknown"
