"""The app factory's settings: defaults, UCS_* environment variables, the mapping, and their documentation."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.apps import build_app
from ucs import create_app
from ucs.api.drs.settings import DRS_SETTINGS
from ucs.app import declared_settings
from ucs.auth.settings import AUTH_SETTINGS
from ucs.config import ConfigError
from ucs.events.relay import RELAY_SETTINGS
from ucs.plugins import make_plugin_manager
from ucs.settings import CLIENT_VARIABLES, Setting, Settings, parse_setting
from ucs.validation.settings import VALIDATION_SETTINGS
from ucs_plugins import rabbitmq
from upload_client.cli import main as client

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
# UCS's own settings and those the built-in plugins declare: the page documents both.
SETTINGS = declared_settings(make_plugin_manager(load_entry_points=False)).defaults()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Settings of the environment the tests run in must not leak into the tests that read os.environ."""
    for name in os.environ:
        if name.startswith("UCS_"):
            monkeypatch.delenv(name)


def warnings(caplog) -> list[str]:
    """What start-up warned about (request log lines and the like are INFO)."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def make(tmp_path, config=None, environ=None):
    return build_app(tmp_path / "instance", tokens=False, testing=False, environ=environ, **(config or {}))


def test_defaults(tmp_path):
    app = make(tmp_path, {"VALIDATION": "builtin"})  # test apps default to external
    for key, default in SETTINGS.items():
        if key not in ("FILESYSTEM_ROOT", "LOAD_ENTRY_POINTS", "ACCEPTED_ONLY"):
            assert app.config[key] == default, key
    # Unset, ACCEPTED_ONLY follows the mode: builtin validation serves accepted files only.
    assert app.config["VALIDATION"] == "builtin" and app.config["ACCEPTED_ONLY"] is True
    # The embedded default: SQLite database and filesystem store in the instance directory.
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/ucs.sqlite3"
    assert app.config["FILESYSTEM_ROOT"] == str(tmp_path / "instance" / "storage")
    assert app.extensions["ucs.storage"].name == "filesystem"


def test_environment_overrides_typed_like_the_default(tmp_path, monkeypatch, caplog):
    environment = {
        "UCS_DATABASE_URL": f"sqlite:///{tmp_path}/other.sqlite3",
        "UCS_PART_SIZE": " 5242880 ",
        "UCS_EVENTS_RELAY_POLL_INTERVAL": "0.25",
        "UCS_S3_CREATE_BUCKET": "yes",
        "UCS_LOAD_ENTRY_POINTS": "off",
        "UCS_BLOCKED_PLUGINS": "one, two,,",
        "UCS_OPENAPI_SWAGGER_UI_CONFIG": '{"deepLinking": true}',
        "UCS_S3_BUCKET": "archive",
        "UCS_SOMETHING_NEW": "kept as text",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/other.sqlite3"
    assert app.config["PART_SIZE"] == 5242880
    assert app.config["EVENTS_RELAY_POLL_INTERVAL"] == 0.25
    assert app.config["S3_CREATE_BUCKET"] is True and app.config["LOAD_ENTRY_POINTS"] is False
    assert app.config["BLOCKED_PLUGINS"] == ["one", "two"]
    assert app.config["OPENAPI_SWAGGER_UI_CONFIG"] == {"deepLinking": True}
    assert app.config["S3_BUCKET"] == "archive" and app.config["SOMETHING_NEW"] == "kept as text"
    # Only the variable nobody declares is warned about.
    assert warnings(caplog) == [
        "UCS_SOMETHING_NEW is not a setting UCS or a plugin declares: docs/configuration.md lists the settings"
    ]


def test_a_misspelt_variable_gets_a_warning_naming_the_closest_setting(tmp_path, caplog):
    app = make(tmp_path, environ={"UCS_PARTSIZE": "5", "UCS_S3_BUCKETS": "archive"})
    assert sorted(warnings(caplog)) == [
        "UCS_PARTSIZE is not a setting UCS or a plugin declares: did you mean UCS_PART_SIZE?",
        "UCS_S3_BUCKETS is not a setting UCS or a plugin declares: did you mean UCS_S3_BUCKET?",
    ]
    assert app.config["PART_SIZE"] == 16 * 1024 * 1024 and app.config["S3_BUCKET"] == "ucs"


def test_a_blocked_plugins_settings_are_warned_about_like_any_undeclared_variable(tmp_path, caplog):
    make(tmp_path, {"BLOCKED_PLUGINS": ["s3", "minio"]}, {"UCS_S3_BUCKET": "archive"})
    assert warnings(caplog) == [
        "UCS_S3_BUCKET is not a setting UCS or a plugin declares: docs/configuration.md lists the settings"
    ]


def test_the_clients_variables_get_no_warning_and_stay_out_of_the_config(tmp_path, caplog):
    client = {"UCS_TOKEN": "eyJ.secret.token", "UCS_TOKEN_FILE": "/run/token", "UCS_API_URL": "http://x"}
    app = make(tmp_path, environ={**client, "UCS_INSTANCE_PATH": str(tmp_path / "elsewhere")})
    assert warnings(caplog) == []
    assert not {"TOKEN", "TOKEN_FILE", "API_URL", "INSTANCE_PATH"} & set(app.config)
    assert "eyJ.secret.token" not in repr(dict(app.config))


def test_the_client_variables_ucs_ignores_are_all_the_client_reads():
    """upload-client's options read these variables: the list in ucs/settings.py must name each."""
    read = {
        option.envvar
        for command in client.commands.values()
        for option in command.params
        if getattr(option, "envvar", None)
    }
    assert read == CLIENT_VARIABLES


def test_the_mapping_overrides_the_environment(tmp_path):
    environ = {"UCS_PART_SIZE": "5242880", "UCS_S3_BUCKET": "from-env"}
    app = make(tmp_path, {"PART_SIZE": 8 * 1024 * 1024}, environ)
    assert app.config["PART_SIZE"] == 8 * 1024 * 1024 and app.config["S3_BUCKET"] == "from-env"


def test_the_instance_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("UCS_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app({"LOAD_ENTRY_POINTS": False})
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert "INSTANCE_PATH" not in app.config


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("UCS_PART_SIZE", "16MiB", "UCS_PART_SIZE must be a whole number (default 16777216), not '16MiB'"),
        ("UCS_PRESIGNED_URL_EXPIRY", "1.5", "UCS_PRESIGNED_URL_EXPIRY must be a whole number"),
        ("UCS_EVENTS_RETRY_MAX_DELAY", "soon", "UCS_EVENTS_RETRY_MAX_DELAY must be a number (default 30.0)"),
        ("UCS_LOAD_ENTRY_POINTS", "maybe", "UCS_LOAD_ENTRY_POINTS must be true or false"),
        ("UCS_S3_CREATE_BUCKET", "maybe", "UCS_S3_CREATE_BUCKET must be true or false"),
        ("UCS_OPENAPI_SWAGGER_UI_CONFIG", "[1]", "UCS_OPENAPI_SWAGGER_UI_CONFIG must be a JSON object"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_clear_error(tmp_path, name, text, message):
    environ = {"UCS_LOAD_ENTRY_POINTS": "false", name: text}
    with pytest.raises(ConfigError) as refused:
        create_app(instance_path=str(tmp_path / "instance"), environ=environ)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("UCS_PART_SIZE", "0", "UCS_PART_SIZE must be a whole number of bytes from 1 to 5368709120, not 0"),
        ("UCS_PART_SIZE", "5368709121", "UCS_PART_SIZE must be a whole number of bytes from 1 to"),
        (
            "UCS_PRESIGNED_URL_EXPIRY",
            "0",
            "UCS_PRESIGNED_URL_EXPIRY must be a whole number of seconds from 1",
        ),
        ("UCS_PRESIGNED_URL_EXPIRY", "604801", "(7 days, SigV4's limit), not 604801"),
        (
            "UCS_MAX_JSON_BODY_SIZE",
            "1000000",
            "UCS_MAX_JSON_BODY_SIZE must be a whole number of bytes of at least 2097152 "
            "(room for a completion of 10,000 parts), not 1000000",
        ),
        ("UCS_LOG_FORMAT", "xml", "UCS_LOG_FORMAT must be json or text, not 'xml'"),
        ("UCS_LOG_LEVEL", "info", "UCS_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'info'"),
    ],
)
def test_a_value_no_store_can_use_is_a_clear_error(tmp_path, name, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make(tmp_path, environ={name: text})


@pytest.mark.parametrize(
    "url", ["nonsense://x", "not a url", "postgresql://u:s3cret-pw@db.example:port/ucs", "::s3cret-pw::"]
)
def test_a_database_url_sqlalchemy_cannot_use_is_a_clear_error(tmp_path, url):
    with pytest.raises(ConfigError, match="UCS_DATABASE_URL is not a database URL UCS can use") as refused:
        make(tmp_path, {"DATABASE_URL": url})
    assert "s3cret-pw" not in str(refused.value)  # the URL may hold the database's password


@pytest.mark.parametrize(
    "command",
    [
        ["ucs", "run", "--port", "0"],
        ["ucs", "db", "current"],
        ["gunicorn", "--bind", "127.0.0.1:0", "ucs.wsgi:app"],
        ["ucs", "serve", "--bind", "127.0.0.1:0"],
    ],
    ids=["ucs run", "ucs db", "gunicorn", "ucs serve"],
)
def test_the_command_line_reports_a_bad_value_in_one_line(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCS_")}
    env |= {"UCS_PART_SIZE": "abc", "UCS_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / command[0]), *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "UCS_PART_SIZE must be a whole number (default 16777216), not 'abc'" in result.stderr


def test_parse_setting_leaves_text_settings_alone():
    assert parse_setting("UCS_S3_REGION", " eu-west-1 ", "us-east-1") == " eu-west-1 "
    assert parse_setting("UCS_S3_ENDPOINT_URL", "http://127.0.0.1:9000", None) == "http://127.0.0.1:9000"


def documented_rows() -> dict[str, tuple[str, str]]:
    """The page's table rows: variable name -> (default cell, meaning cell)."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`UCS_(\w+)`", cells[0]) if len(cells) == 3 else None
        if match:
            rows[match.group(1)] = (cells[1], cells[2])
    return rows


def shown_default(default) -> str:
    """How the page writes a default: as the environment variable's text."""
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, list):
        return ", ".join(default) or "empty"
    if isinstance(default, dict):
        return f"`{json.dumps(default)}`"
    return f"`{default}`"


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_every_setting_is_documented_with_its_default(key):
    rows = documented_rows()
    assert key in rows, f"docs/configuration.md has no row for UCS_{key}"
    default_cell, meaning = rows[key]
    assert default_cell.startswith(shown_default(SETTINGS[key])), (key, default_cell)
    assert len(meaning) > 20, f"UCS_{key} needs a meaning"


def test_the_page_documents_no_setting_that_does_not_exist():
    assert set(documented_rows()) <= set(SETTINGS)


def renamed_rows() -> dict[str, str]:
    """The page's table of renamed settings: old variable -> new variable."""
    section = DOC.read_text().split("Renamed settings keep working", 1)[1].split("\n\n", 2)[1]
    return dict(re.findall(r"^\| `(UCS_\w+)` \| `(UCS_\w+)` \|$", section, flags=re.MULTILINE))


def test_the_page_lists_every_renamed_setting():
    declared = declared_settings(make_plugin_manager(load_entry_points=False))
    renamed = {f"UCS_{old}": setting.variable for setting in declared for old in setting.old_keys}
    assert renamed and renamed_rows() == renamed


def test_the_filesystem_stores_old_names_still_work_with_a_warning_naming_the_new_one(tmp_path, caplog):
    environ = {"UCS_STORAGE_ROOT": str(tmp_path / "old-root"), "UCS_PUBLIC_URL": "http://old.example"}
    app = make(tmp_path, environ=environ)
    assert app.config["FILESYSTEM_ROOT"] == str(tmp_path / "old-root")
    assert app.config["FILESYSTEM_PUBLIC_URL"] == "http://old.example"
    assert app.extensions["ucs.storage"].root == tmp_path / "old-root"
    assert sorted(warnings(caplog)) == [
        "UCS_PUBLIC_URL is deprecated: use UCS_FILESYSTEM_PUBLIC_URL (docs/configuration.md)",
        "UCS_STORAGE_ROOT is deprecated: use UCS_FILESYSTEM_ROOT (docs/configuration.md)",
    ]
    assert not {"STORAGE_ROOT", "PUBLIC_URL"} & set(app.config)


def test_the_filesystem_stores_new_names_win_and_need_no_warning(tmp_path, caplog):
    environ = {
        "UCS_FILESYSTEM_ROOT": str(tmp_path / "root"),
        "UCS_FILESYSTEM_PUBLIC_URL": "http://new.example",
    }
    app = make(tmp_path, environ=environ)
    assert app.config["FILESYSTEM_ROOT"] == str(tmp_path / "root")
    assert app.config["FILESYSTEM_PUBLIC_URL"] == "http://new.example"
    assert warnings(caplog) == []
    # An embedding application's mapping may still use the old key, with the same warning.
    app = make(tmp_path, {"STORAGE_ROOT": str(tmp_path / "mapped")})
    assert app.config["FILESYSTEM_ROOT"] == str(tmp_path / "mapped")
    assert "UCS_STORAGE_ROOT is deprecated: use UCS_FILESYSTEM_ROOT (docs/configuration.md)" in warnings(
        caplog
    )


def test_exported_variables_change_no_test_app(tmp_path, monkeypatch, caplog):
    """The test factory passes create_app an empty environment: a developer's shell cannot reach a test."""
    monkeypatch.setenv("UCS_AUTH_DISABLED", "true")
    monkeypatch.setenv("UCS_PART_SIZE", "5")
    monkeypatch.setenv("UCS_FILESYSTEM_ROOT", str(tmp_path / "exported"))
    monkeypatch.setenv("UCS_INSTANCE_PATH", str(tmp_path / "exported-instance"))
    app = build_app(tmp_path / "instance")
    assert app.config["AUTH_DISABLED"] is False and app.config["PART_SIZE"] == 16 * 1024 * 1024
    assert app.config["FILESYSTEM_ROOT"] == str(tmp_path / "instance" / "storage")
    assert app.test_client().get("/files/F1").status_code == 401  # access control is on
    assert warnings(caplog) == []
    # The same variables do reach an app built for production, which reads os.environ.
    production = create_app({"LOAD_ENTRY_POINTS": False})
    assert production.config["AUTH_DISABLED"] is True and production.config["PART_SIZE"] == 5
    assert production.instance_path == str(tmp_path / "exported-instance")


def documented_tables() -> list[set[str]]:
    """The settings of each table of the page, table by table."""
    tables: list[set[str]] = [set()]
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            tables.append(set())
        elif match := re.match(r"\| `UCS_(\w+)` \|", line):
            tables[-1].add(match.group(1))
    return [table for table in tables if table]


@pytest.mark.parametrize(
    "declared",
    [AUTH_SETTINGS, RELAY_SETTINGS, DRS_SETTINGS, VALIDATION_SETTINGS, rabbitmq.SETTINGS],
    ids=["access control", "relay", "DRS", "validation", "rabbitmq plugin"],
)
def test_each_owners_settings_have_a_table_of_their_own(declared):
    """Who declares a setting shows on the page: the relay's apart from the broker plugin's, say."""
    assert {setting.key for setting in declared} in documented_tables()


@pytest.mark.parametrize(
    ("settings", "accepted_only"),
    [
        ({"VALIDATION": "builtin"}, True),
        ({"VALIDATION": "external"}, False),
        ({"VALIDATION": "none"}, False),
        ({"VALIDATION": "builtin", "ACCEPTED_ONLY": "false"}, False),
        ({"VALIDATION": "external", "ACCEPTED_ONLY": "yes"}, True),
        # The older name still works, for downloads too now.
        ({"VALIDATION": "external", "DRS_ACCEPTED_ONLY": True}, True),
        ({"VALIDATION": "builtin", "DRS_ACCEPTED_ONLY": "off"}, False),
    ],
)
def test_accepted_only_follows_the_validation_mode_unless_set(tmp_path, settings, accepted_only):
    assert make(tmp_path, settings).config["ACCEPTED_ONLY"] is accepted_only


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"VALIDATION": "sometimes"},
            "UCS_VALIDATION must be one of builtin, external, none, not 'sometimes'",
        ),
        ({"VALIDATION": "none", "ACCEPTED_ONLY": True}, "nothing would ever be accepted"),
        ({"ACCEPTED_ONLY": "maybe"}, "UCS_ACCEPTED_ONLY must be true or false"),
        # The older name is read as the new one (with a warning naming it), and checked alike.
        ({"DRS_ACCEPTED_ONLY": "maybe"}, "UCS_ACCEPTED_ONLY must be true or false"),
        ({"VALIDATION_LEASE": 0}, "UCS_VALIDATION_LEASE must be a number above 0, not 0"),
        ({"VALIDATION_READERS": -2}, "UCS_VALIDATION_READERS must be a number above 0"),
    ],
)
def test_validation_settings_ucs_cannot_use_are_refused_naming_them(tmp_path, settings, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make(tmp_path, settings)


def test_a_bad_value_under_the_older_name_is_refused_naming_the_variable_set(tmp_path):
    with pytest.raises(ConfigError) as refused:
        make(tmp_path, environ={"UCS_DRS_ACCEPTED_ONLY": "maybe"})
    assert str(refused.value).startswith(
        "UCS_DRS_ACCEPTED_ONLY, the older name of UCS_ACCEPTED_ONLY: UCS_ACCEPTED_ONLY must be true or false"
    )


@pytest.mark.parametrize("default", [0, 0.5, False])
def test_a_secret_settings_bad_value_is_not_in_the_error(default):
    settings = Settings([Setting("VAULT_PIN", default, secret=True)])
    with pytest.raises(ConfigError) as refused:
        settings.read({}, {"UCS_VAULT_PIN": "hunter2-s3cret"}, "/nowhere")
    assert str(refused.value).startswith("UCS_VAULT_PIN must be ")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        # Broken JSON: where it breaks, not the text.
        ('[{"issuer": "x", "jwks_url": "https://keys.example.org/jwks?token=abc"}', "line 1 column"),
        # JSON of the wrong kind: which kind, not the text.
        ('{"issuer": "x", "jwks_url": "https://keys.example.org/jwks?token=abc"}', "not a JSON object"),
    ],
)
def test_a_bad_auth_issuers_is_refused_without_its_urls(tmp_path, text, what):
    with pytest.raises(ConfigError) as refused:
        make(tmp_path, environ={"UCS_AUTH_ISSUERS": text})
    message = str(refused.value)
    assert message.startswith("UCS_AUTH_ISSUERS must be a JSON list") and what in message
    assert "token=abc" not in message and "keys.example.org" not in message
