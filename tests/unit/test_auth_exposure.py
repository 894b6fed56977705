"""With access control off, a server may listen only where no other machine reaches it, unless allowed."""

import pytest

from ucs.auth.exposure import bind_host, check_exposure
from ucs.config import ConfigError


@pytest.mark.parametrize(
    ("bind", "host"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("0.0.0.0:8000", "0.0.0.0"),
        ("[::1]:8000", "::1"),
        ("[::]:8000", "::"),
        ("localhost", "localhost"),
        (":8000", ""),
        ("unix:/run/ucs.sock", None),
    ],
)
def test_the_host_of_a_gunicorn_bind(bind, host):
    assert bind_host(bind) == host


LOCAL = ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", None]
REMOTE = ["0.0.0.0", "::", "", "10.0.0.5", "ucs.example.org", "192.0.2.1"]


@pytest.mark.parametrize("host", LOCAL + REMOTE)
def test_with_access_control_on_any_address_is_fine(host):
    check_exposure({"AUTH_DISABLED": False, "AUTH_DISABLED_ALLOW_REMOTE": False}, host)


@pytest.mark.parametrize("host", LOCAL)
def test_with_access_control_off_loopback_and_unix_sockets_are_fine(host):
    check_exposure({"AUTH_DISABLED": True, "AUTH_DISABLED_ALLOW_REMOTE": False}, host)


@pytest.mark.parametrize("host", REMOTE)
def test_with_access_control_off_another_address_needs_the_second_setting(host):
    with pytest.raises(ConfigError, match="UCS_AUTH_DISABLED_ALLOW_REMOTE=true"):
        check_exposure({"AUTH_DISABLED": True, "AUTH_DISABLED_ALLOW_REMOTE": False}, host)
    check_exposure({"AUTH_DISABLED": True, "AUTH_DISABLED_ALLOW_REMOTE": True}, host)
