"""Plugin loading (docs/plugins.md): built-ins as ordinary plugins, entry points, selection, blocking."""

from __future__ import annotations

import importlib
import importlib.metadata

import pytest

from tests.support.apps import build_app
from tests.support.example_plugin import example_plugin_installed
from ucs.plugins import DEFAULT_PLUGINS, make_plugin_manager
from ucs.storage import BackendRegistry, StorageBackend, UnknownStorageBackend

BUILT_IN_BACKENDS = ["filesystem", "minio", "s3"]
# Settings that let the s3-based backends build without reaching any server.
OFFLINE_S3 = {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_BUCKET": "unused", "S3_CREATE_BUCKET": False}


def registered_backends(pm) -> list[str]:
    registry = BackendRegistry()
    pm.hook.ucs_register_storage_backends(registry=registry)
    return registry.names()


def build(tmp_path, **settings):
    return build_app(
        tmp_path / "instance", tokens=False, **{"FILESYSTEM_ROOT": str(tmp_path / "s"), **settings}
    )


@pytest.fixture
def example_plugin(tmp_path):
    with example_plugin_installed(tmp_path / "site-packages") as project:
        yield project


def test_built_in_plugins_register_through_the_same_hook_as_third_party_ones():
    pm = make_plugin_manager(load_entry_points=False)
    assert sorted(pm.get_name(plugin) for plugin in pm.get_plugins()) == sorted(DEFAULT_PLUGINS)
    assert registered_backends(pm) == BUILT_IN_BACKENDS


@pytest.mark.parametrize("name", BUILT_IN_BACKENDS)
def test_each_built_in_backend_is_selected_by_name(tmp_path, name):
    backend = build(tmp_path, STORAGE_BACKEND=name, **OFFLINE_S3).extensions["ucs.storage"]
    assert backend.name == name
    assert isinstance(backend, StorageBackend)


def test_an_unknown_backend_stops_start_up_naming_the_available_ones(tmp_path):
    with pytest.raises(UnknownStorageBackend) as refusal:
        build(tmp_path, STORAGE_BACKEND="tape")
    assert str(refusal.value) == "unknown storage backend 'tape'; available: filesystem, minio, s3"


@pytest.mark.parametrize("blocked", [["s3"], ["ucs_plugins.s3"]], ids=["short name", "module name"])
def test_a_blocked_plugin_is_not_loaded(tmp_path, blocked):
    app = build(tmp_path, BLOCKED_PLUGINS=blocked)
    assert not app.extensions["ucs.plugins"].has_plugin("ucs_plugins.s3")
    with pytest.raises(UnknownStorageBackend, match="available: filesystem, minio$"):
        build(tmp_path, BLOCKED_PLUGINS=blocked, STORAGE_BACKEND="s3", **OFFLINE_S3)


def test_blocked_plugins_come_from_the_environment_too(tmp_path):
    app = build(tmp_path, environ={"UCS_BLOCKED_PLUGINS": "minio, s3"})
    assert registered_backends(app.extensions["ucs.plugins"]) == ["filesystem"]


def test_two_backends_with_one_name_are_refused():
    registry = BackendRegistry()
    registry.add("s3", dict)
    with pytest.raises(ValueError, match="two plugins register a storage backend named 's3'"):
        registry.add("s3", dict)


def test_an_installed_plugin_is_selected_through_its_entry_point(tmp_path, example_plugin):
    assert example_plugin["entry-points"]["ucs"] == {"prefixed_s3": "ucs_example_storage"}
    app = build(tmp_path, LOAD_ENTRY_POINTS=True, STORAGE_BACKEND="prefixed-s3", **OFFLINE_S3)
    backend = app.extensions["ucs.storage"]
    assert type(backend).__name__ == "PrefixedS3Backend"
    assert app.extensions["ucs.plugins"].get_plugin("prefixed_s3") is importlib.import_module(
        "ucs_example_storage"
    )


def test_installed_plugins_are_not_loaded_unless_asked(tmp_path, example_plugin):
    app = build(tmp_path, **OFFLINE_S3)
    assert app.extensions["ucs.plugins"].get_plugin("prefixed_s3") is None
    with pytest.raises(UnknownStorageBackend):
        build(tmp_path, STORAGE_BACKEND="prefixed-s3", **OFFLINE_S3)


def test_an_installed_plugin_can_be_blocked_by_its_entry_point_name(tmp_path, example_plugin):
    with pytest.raises(UnknownStorageBackend, match="available: filesystem, minio, s3$"):
        build(
            tmp_path,
            LOAD_ENTRY_POINTS=True,
            BLOCKED_PLUGINS=["prefixed_s3"],
            STORAGE_BACKEND="prefixed-s3",
            **OFFLINE_S3,
        )


def test_the_example_plugin_is_gone_once_its_test_ends(tmp_path):
    with example_plugin_installed(tmp_path / "site-packages"):
        assert "prefixed_s3" in [ep.name for ep in importlib.metadata.entry_points(group="ucs")]
        importlib.import_module("ucs_example_storage")
    assert "prefixed_s3" not in [ep.name for ep in importlib.metadata.entry_points(group="ucs")]
    with pytest.raises(ImportError):
        importlib.import_module("ucs_example_storage")
