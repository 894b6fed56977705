"""Fixtures of the end-to-end tests: the fault proxy between the client and the store."""

import pytest

from tests.support.fault_proxy import FaultProxy


@pytest.fixture(scope="module")
def proxy():
    """A proxy in front of the store; each test module gets its own, faults off until a test sets them."""
    proxy = FaultProxy().start()
    yield proxy
    proxy.close()
