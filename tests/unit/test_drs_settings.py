"""The UCS_DRS_* settings: values DRS cannot use stop UCS at start-up with one line naming the variable."""

import re

import pytest

from ucs import create_app
from ucs.api.drs.settings import check_drs_settings
from ucs.config import ConfigError, DefaultConfig

DEFAULTS = {key: getattr(DefaultConfig, key) for key in dir(DefaultConfig) if key.startswith("DRS_")}


@pytest.mark.parametrize(
    "hostname", ["drs.example.org", "ucs-1.archive.example:8443", "127.0.0.1:5077", "localhost"]
)
def test_host_names_with_an_optional_port_are_taken(hostname):
    check_drs_settings({**DEFAULTS, "DRS_HOSTNAME": hostname})


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "DRS_HOSTNAME",
            "https://drs.example.org",
            "UCS_DRS_HOSTNAME must be a host name, optionally with a port",
        ),
        ("DRS_HOSTNAME", "drs.example.org/ga4gh", "not 'drs.example.org/ga4gh'"),
        ("DRS_HOSTNAME", "", "UCS_DRS_HOSTNAME must be a host name"),
        (
            "DRS_MAX_BULK_REQUEST_LENGTH",
            0,
            "UCS_DRS_MAX_BULK_REQUEST_LENGTH must be a whole number from 1 to 10000",
        ),
        ("DRS_MAX_BULK_REQUEST_LENGTH", True, "not True"),
        ("DRS_SERVICE_ID", " ", "UCS_DRS_SERVICE_ID must be a non-empty text"),
        ("DRS_ORGANIZATION_NAME", None, "UCS_DRS_ORGANIZATION_NAME must be a non-empty text"),
        (
            "DRS_ORGANIZATION_URL",
            "example.org",
            "UCS_DRS_ORGANIZATION_URL must be an http(s) URL, not 'example.org'",
        ),
    ],
)
def test_values_drs_cannot_use_are_refused_by_name(setting, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_drs_settings({**DEFAULTS, setting: value})


def test_the_app_checks_them_at_start_up(tmp_path, monkeypatch):
    monkeypatch.setenv("UCS_DRS_HOSTNAME", "drs://wrong")
    with pytest.raises(ConfigError, match="UCS_DRS_HOSTNAME must be a host name"):
        create_app({"LOAD_ENTRY_POINTS": False}, instance_path=str(tmp_path / "instance"))
