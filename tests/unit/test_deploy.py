"""The deployment recipe under deploy/, checked without a Docker engine.

The compose file is validated against the Compose specification (compose-spec), then against UCS
itself: every UCS_* it sets is a setting, every command line it runs parses, every health check and
scrape target points at a port some process listens on, and every alert asks for a metric UCS exports.
tests/e2e/test_stack.py runs the same topology as real processes.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml
from compose_spec import PyOptions
from flask.cli import ScriptInfo

from ucs import create_app
from ucs.cli.main import main
from ucs.config import DefaultConfig

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE_TEXT = (DEPLOY / "compose.yaml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
UCS_IMAGE = "ucs:latest"
ONE_SHOT = {"migrate"}


@pytest.fixture(autouse=True)
def instance_path(tmp_path, monkeypatch):
    """Apps built here (to find commands and settings) keep their instance directory in the test's."""
    monkeypatch.setenv("UCS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("UCS_LOAD_ENTRY_POINTS", "false")


def dockerfile_instruction(name: str) -> list[str]:
    """The JSON-array form of the last such instruction, as Docker reads it."""
    [*_, line] = re.findall(rf"^{name} (\[.*\])$", DOCKERFILE, flags=re.MULTILINE)
    return json.loads(line)


def argv(service: dict) -> list[str]:
    """What the container runs: entrypoint and command, the image's where the service sets none."""
    entrypoint = service.get("entrypoint", dockerfile_instruction("ENTRYPOINT"))
    command = service.get("command", dockerfile_instruction("CMD") if "entrypoint" not in service else [])
    return [*entrypoint, *command]


def ucs_command_lines(service: dict) -> list[list[str]]:
    """Each `ucs ...` a service runs, also from inside a `sh -c` loop."""
    line = argv(service)
    if line[:2] == ["sh", "-c"]:
        return [shlex.split(part.strip()) for part in re.findall(r"(ucs [^;&|]+)", line[2])]
    return [line] if line[0] == "ucs" else []


def parse_ucs_command(words: list[str]) -> click.Context:
    """Parse a `ucs` command line as the ucs CLI would, without running it: a bad option raises."""
    assert words[0] == "ucs"
    command: click.Command = main
    # The ucs group finds `db` (Flask-Migrate's) in the app, which it builds from this.
    parent = click.Context(main, info_name="ucs", obj=ScriptInfo(create_app=main.create_app))
    opened = [parent]
    arguments = words[1:]
    try:
        while isinstance(command, click.Group):
            parent = click.Context(command, info_name=command.name, parent=parent)
            opened.append(parent)
            name, *arguments = arguments
            command = command.get_command(parent, name)
            assert command is not None, f"no command {name!r} in {' '.join(words)}"
        return command.make_context(command.name, arguments, parent=parent)
    finally:
        # FlaskGroup.get_command pushes the app's context onto these contexts: pop it, or later tests
        # (the CLI's with_appcontext) would find this app instead of their own.
        for context in reversed(opened):
            context.close()


def known_settings() -> set[str]:
    """UCS's settings: its defaults, plus whatever a built app's plugins add to the configuration."""
    app = create_app()
    return {key for key in dir(DefaultConfig) if key.isupper()} | set(app.config)


def test_the_compose_file_follows_the_compose_specification():
    compose = PyOptions(apply_merge=True).from_yaml(COMPOSE_TEXT)
    compose.validate()  # every network, volume, config and secret a service names is defined
    assert compose.service_names() == list(SERVICES)


def test_the_compose_file_has_every_part_of_a_deployment_each_with_a_health_check():
    parts = {"minio", "postgres", "rabbitmq", "ucs", "relay", "consumer", "cleanup", "prometheus"}
    assert set(SERVICES) == parts | ONE_SHOT
    for name, service in SERVICES.items():
        assert service.get("image"), f"{name} has no image"
        if name in ONE_SHOT:
            assert service["restart"] == "no" and service["healthcheck"] == {"disable": True}
            continue
        assert service["restart"] == "unless-stopped", name
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: health check {test}"
    for name, service in SERVICES.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in SERVICES, f"{name} depends on an unknown service {dependency}"
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert condition["condition"] == expected, (name, dependency)


def test_every_ucs_setting_in_the_compose_file_exists():
    known = known_settings()
    for name, service in SERVICES.items():
        for variable in service.get("environment", {}):
            if variable.startswith("UCS_"):
                assert variable[len("UCS_") :] in known, f"{name} sets {variable}, which UCS does not read"


@pytest.mark.parametrize("name", [n for n, s in SERVICES.items() if s["image"] == UCS_IMAGE])
def test_every_ucs_process_of_the_compose_file_runs_a_command_line_ucs_accepts(name):
    lines = ucs_command_lines(SERVICES[name])
    assert lines, f"{name} runs no ucs command"
    for words in lines:
        parse_ucs_command(words)


def test_health_checks_and_scrape_targets_name_the_ports_the_processes_listen_on():
    def metrics_port(service: str) -> str:
        context = parse_ucs_command(argv(SERVICES[service]))
        assert context.params["metrics_host"] == "0.0.0.0"  # reachable from Prometheus's container
        return str(context.params["metrics_port"])

    serve = parse_ucs_command(argv(SERVICES["ucs"]))
    assert serve.info_name == "serve" and serve.params["bind"] == "0.0.0.0:8000"
    ports = {"ucs": "8000", "relay": metrics_port("relay"), "consumer": metrics_port("consumer")}
    paths = {"ucs": "/health", "relay": "/metrics", "consumer": "/metrics"}
    for service, port in ports.items():
        assert f"http://127.0.0.1:{port}{paths[service]}" in " ".join(
            SERVICES[service]["healthcheck"]["test"]
        )

    prometheus = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    targets = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert targets == {f"{service}:{port}" for service, port in ports.items()}
    mounted = {
        volume.split(":")[1] for volume in SERVICES["prometheus"]["volumes"] if volume.startswith("./")
    }
    assert {"/etc/prometheus/prometheus.yml", *prometheus["rule_files"]} <= mounted


def test_every_alert_asks_for_metrics_ucs_exports():
    app = create_app(check_schema=True)  # the embedded default, migrated
    exposition = app.test_client().get("/metrics").get_data(as_text=True)
    # Text format 0.0.4 names counters with their _total already; OpenMetrics without it.
    suffixes = {"counter": ["", "_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
    exported = {
        name + suffix
        for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, flags=re.MULTILINE)
        for suffix in suffixes[kind]
    }
    rules = [
        r for group in yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"] for r in group["rules"]
    ]
    assert {"UcsOutboxBacklog", "UcsStoreErrors", "UcsServerErrors"} <= {rule["alert"] for rule in rules}
    for rule in rules:
        asked = set(re.findall(r"\bucs_\w+", rule["expr"]))
        assert asked and asked <= exported, f"{rule['alert']} asks for {asked - exported}"


def test_the_image_is_slim_runs_unprivileged_and_serves_with_ucs_serve():
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert bases and all(base.startswith("python:3.11-slim") for base in bases)
    [user] = re.findall(r"^USER (\S+)$", DOCKERFILE, flags=re.MULTILINE)
    assert user.split(":")[0] not in ("root", "0")
    assert dockerfile_instruction("ENTRYPOINT") == ["ucs", "serve"]
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[", DOCKERFILE, flags=re.MULTILINE)
    repository = DEPLOY.parent
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, flags=re.MULTILINE):
        for path in source.split():
            assert (repository / path).exists(), f"the Dockerfile copies {path}, which does not exist"
