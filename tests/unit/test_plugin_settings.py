"""Settings plugins declare (the ucs_add_settings hook): read like UCS's own, owned by one plugin each."""

import pytest

from tests.support.apps import build_app
from ucs.app import core_settings
from ucs.config import ConfigError
from ucs.observability.wiring import secret_values
from ucs.plugin_settings import Setting, Settings
from ucs.plugins import current_storage
from ucs.storage import location_of

TAPE = Setting("TAPE_DRIVES", 2)


def apply(settings: Settings, given=None, environ=None) -> dict:
    values = settings.read(given or {}, environ or {}, "/srv/ucs/instance")
    return {key: value for key, value in values.items() if key.startswith("TAPE_")}


def declared(*declarations: Setting) -> Settings:
    settings = core_settings()
    settings.add(*declarations)
    return settings


def test_a_plugin_setting_is_its_default_else_the_environment_typed_like_it_else_the_mapping():
    settings = declared(TAPE)
    assert apply(settings) == {"TAPE_DRIVES": 2}
    assert apply(settings, environ={"UCS_TAPE_DRIVES": " 4 "}) == {"TAPE_DRIVES": 4}
    assert apply(settings, given={"TAPE_DRIVES": 8}, environ={"UCS_TAPE_DRIVES": "4"}) == {"TAPE_DRIVES": 8}


def test_a_bad_value_of_a_plugin_setting_names_its_variable():
    with pytest.raises(
        ConfigError, match=r"^UCS_TAPE_DRIVES must be a whole number \(default 2\), not 'two'$"
    ):
        apply(declared(TAPE), environ={"UCS_TAPE_DRIVES": "two"})


def test_resolve_validates_and_fills_defaults_from_the_instance_directory():
    def drives_directory(value, instance_path):
        if value is not None and not value.startswith("/"):
            raise ConfigError(f"UCS_TAPE_DIRECTORY must be an absolute path, not {value!r}")
        return value or f"{instance_path}/tape"

    settings = declared(Setting("TAPE_DIRECTORY", None, resolve=drives_directory))
    assert apply(settings) == {"TAPE_DIRECTORY": "/srv/ucs/instance/tape"}
    with pytest.raises(ConfigError, match="must be an absolute path, not 'tape'"):
        apply(settings, environ={"UCS_TAPE_DIRECTORY": "tape"})


def test_two_plugins_may_declare_one_setting_only_alike():
    settings = declared(TAPE)
    settings.add(TAPE)  # as s3 and minio both declare the UCS_S3_* settings
    with pytest.raises(ValueError, match="two plugins declare the setting UCS_TAPE_DRIVES differently"):
        settings.add(Setting("TAPE_DRIVES", 3))


def test_a_plugin_cannot_declare_a_setting_of_ucs_itself():
    with pytest.raises(ValueError, match="UCS_PART_SIZE is a setting of UCS itself"):
        declared(Setting("PART_SIZE", 1))


def test_the_secrets_plugins_declare_are_kept_out_of_the_logs(tmp_path):
    secrets = {"S3_SECRET_ACCESS_KEY": "s3-secret-value", "STORAGE_SIGNING_KEY": "k" * 32}
    app = build_app(tmp_path / "instance", tokens=False, testing=False, **secrets)
    assert {"s3-secret-value", "k" * 32} <= set(
        secret_values(app.config, ["S3_SECRET_ACCESS_KEY", "STORAGE_SIGNING_KEY"])
    )


def test_the_password_of_a_url_any_plugin_declares_is_kept_out_of_the_logs(tmp_path):
    """The rabbitmq plugin owns UCS_AMQP_URL; no core list names it, yet its password is a secret."""
    url = "amqp://ucs:broker-password@127.0.0.1:5672/%2F"
    database = f"sqlite:///{tmp_path}/db.sqlite3"
    app = build_app(tmp_path / "instance", tokens=False, testing=False, AMQP_URL=url, DATABASE_URL=database)
    assert "broker-password" in secret_values(app.config)


def test_a_blocked_plugin_declares_nothing(tmp_path):
    app = build_app(tmp_path / "i", tokens=False, testing=False, BLOCKED_PLUGINS=["s3", "minio"])
    assert "S3_BUCKET" not in app.config and app.config["FILESYSTEM_ROOT"] == str(tmp_path / "i" / "storage")


def test_a_backend_says_where_it_keeps_its_objects(tmp_path):
    app = build_app(tmp_path / "instance", tokens=False, testing=False)
    assert location_of(current_storage(app)) == f"at {tmp_path / 'instance' / 'storage'}"

    class Bucketed:
        bucket = "archive"

    assert location_of(Bucketed()) == "bucket archive"


def test_the_broker_settings_are_the_rabbitmq_plugins_and_the_relays_are_ucss(tmp_path):
    """Blocked, the rabbitmq plugin takes UCS_AMQP_URL and its exchange and queues with it; nothing of UCS
    reads them (the in-server relay included), while the relay's own settings stay."""
    app = build_app(
        tmp_path / "instance",
        tokens=False,
        check_schema=True,
        BLOCKED_PLUGINS=["rabbitmq"],
        EVENTS_RELAY_IN_SERVER=True,
    )
    broker = {
        "AMQP_URL",
        "EVENTS_EXCHANGE",
        "EVENTS_QUEUE",
        "EVENTS_DEAD_LETTER_EXCHANGE",
        "EVENTS_DEAD_LETTER_QUEUE",
    }
    assert not broker & set(app.config)
    assert app.config["EVENTS_RELAY_BATCH_SIZE"] == 100 and app.config["EVENTS_RETRY_MAX_DELAY"] == 30.0
    assert app.test_client().get("/health").status_code == 200
