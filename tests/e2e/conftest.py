"""Fixtures of the end-to-end tests: the fault proxy between the client and the store, and a UCS behind it.

A module that needs another UCS defines a `ucs` fixture of its own, which takes precedence.
"""

import pytest

from tests.support.fault_proxy import FaultProxy
from tests.support.faulty_store import PART_SIZE, port_of
from tests.support.ucs_server import ucs_server


@pytest.fixture(scope="module")
def proxy():
    """A proxy in front of the store; each test module gets its own, faults off until a test sets them."""
    proxy = FaultProxy().start()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def ucs(tmp_path_factory, proxy):
    """UCS on the filesystem store, with FILESYSTEM_PUBLIC_URL set to the proxy: every part PUT and download GET
    goes through it, while REST calls reach UCS directly (unless a test gives the client the proxy's URL)."""
    with ucs_server(
        tmp_path_factory.mktemp("ucs"), PART_SIZE=PART_SIZE, FILESYSTEM_PUBLIC_URL=proxy.url
    ) as server:
        yield server


@pytest.fixture
def faulty(proxy, ucs):
    """The proxy, reset to no faults and no throttling for each test, its fault decisions reseeded."""
    proxy.reset(seed=1)
    proxy.forward_to(port_of(ucs.url))
    return proxy
