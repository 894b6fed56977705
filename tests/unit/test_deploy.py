"""The deployment recipe under deploy/, checked without a Docker engine.

The compose file is interpolated with each env file, as Compose would (tests/support/compose_env.py): a
deployment's deploy/.env, filled in from .env.example, and the trial's .env.trial. Each result is
validated against the Compose specification (compose-spec), then against UCS itself: every UCS_* it sets
is a setting, every command line it runs parses, every health check and scrape target points at a port
some process listens on, and every alert asks for a metric UCS exports. A deployment must name its token
issuers; only the trial makes UCS its own. tests/e2e/test_stack.py runs the same topology as processes.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from compose_spec import PyOptions

from tests.support.apps import build_app
from tests.support.compose_env import UnsupportedSyntax, interpolate, read_env_file, referenced
from ucs import create_app
from ucs.app import declared_settings
from ucs.auth.settings import AUTH_SETTINGS
from ucs.cli.main import main
from ucs.plugins import make_plugin_manager
from ucs.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
OPERATIONS_MD = DEPLOY.parent / "docs" / "operations.md"
# The file as written, ${...} and all.
COMPOSE_SOURCE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
EXAMPLE_ENV = read_env_file(DEPLOY / ".env.example")
TRIAL_ENV = read_env_file(DEPLOY / ".env.trial")
# deploy/.env as an operator fills it in from .env.example.
ISSUER = {
    "issuer": "https://login.example.org/realms/archive",
    "jwks_url": "https://login.example.org/realms/archive/protocol/openid-connect/certs",
}
DEPLOYMENT_ENV = {
    **EXAMPLE_ENV,
    "POSTGRES_PASSWORD": "a-postgres-password",
    "RABBITMQ_PASSWORD": "a-rabbitmq-password",
    "MINIO_ROOT_PASSWORD": "a-minio-password",
    "UCS_AUTH_ISSUERS": json.dumps([ISSUER]),
}
MODES = {"deployment": DEPLOYMENT_ENV, "trial": TRIAL_ENV}
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
UCS_IMAGE = "ucs:latest"
ONE_SHOT = {"migrate"}


def recipe(mode: str) -> dict:
    """The compose file as Compose reads it with that mode's env file."""
    interpolation = interpolate(COMPOSE_SOURCE, MODES[mode])
    assert not interpolation.missing, f"the {mode} leaves required variables empty: {interpolation.missing}"
    return interpolation.document


COMPOSE = recipe("deployment")
SERVICES = COMPOSE["services"]


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
    parent = click.Context(main, info_name="ucs")
    arguments = words[1:]
    while isinstance(command, click.Group):
        parent = click.Context(command, info_name=command.name, parent=parent)
        name, *arguments = arguments
        command = command.get_command(parent, name)
        assert command is not None, f"no command {name!r} in {' '.join(words)}"
    return command.make_context(command.name, arguments, parent=parent)


def known_settings() -> set[str]:
    """UCS's settings: its own and those its built-in plugins declare."""
    return set(declared_settings(make_plugin_manager(load_entry_points=False)).defaults())


@pytest.mark.parametrize("mode", MODES)
def test_the_compose_file_follows_the_compose_specification(mode):
    compose = PyOptions(apply_merge=True).from_yaml(yaml.safe_dump(recipe(mode), sort_keys=False))
    compose.validate()  # every network, volume, config and secret a service names is defined
    assert compose.service_names() == list(SERVICES)


def test_the_compose_file_has_every_part_of_a_deployment_each_with_a_health_check():
    parts = {
        "minio",
        "postgres",
        "rabbitmq",
        "ucs",
        "relay",
        "consumer",
        "validator",
        "cleanup",
        "prometheus",
    }
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
    ports = {"ucs": "8000", **{name: metrics_port(name) for name in ("relay", "consumer", "validator")}}
    paths = {"ucs": "/health", "relay": "/metrics", "consumer": "/metrics", "validator": "/metrics"}
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


def test_these_checks_interpolate_as_compose_does_and_refuse_forms_they_do_not_know():
    # Compose's rules: an empty value counts as unset for :- and :?, and $$ is a literal $.
    read = interpolate({"a": ["$${A} ${A:-d} ${B:-d} ${C:?need C} ${D}"]}, {"A": "", "B": "b", "C": ""})
    assert read.document == {"a": ["${A} d b  "]}
    assert read.missing == {"C": "need C"}
    for form in ("$A", "${A-d}", "${A:+x}", "${A:-${B}}"):
        with pytest.raises(UnsupportedSyntax):
            interpolate({"a": form}, {})


def test_every_image_is_a_release_never_latest():
    for name, service in COMPOSE_SOURCE["services"].items():
        image = service["image"]
        if "build" in service:
            assert image == UCS_IMAGE, name  # built here, from this checkout
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and tag != "latest" and re.search(r"\d", tag), f"{name} runs {image}: pin a release"


def test_both_env_files_set_every_variable_the_recipe_requires():
    required = {name for name, operator in referenced(COMPOSE_SOURCE).items() if operator != ":-"}
    assert "UCS_AUTH_ISSUERS" in required
    assert required <= set(EXAMPLE_ENV), ".env.example leaves out a variable compose requires"
    assert required <= set(TRIAL_ENV), ".env.trial leaves out a variable compose requires"


def test_a_deployment_that_names_no_token_issuer_is_refused_and_told_of_the_trial():
    # .env.example filled in but for the issuers, copied unchanged, or no env file at all.
    unnamed = interpolate(
        COMPOSE_SOURCE, {**DEPLOYMENT_ENV, "UCS_AUTH_ISSUERS": EXAMPLE_ENV["UCS_AUTH_ISSUERS"]}
    )
    assert list(unnamed.missing) == ["UCS_AUTH_ISSUERS"]
    assert "--env-file deploy/.env.trial" in unnamed.missing["UCS_AUTH_ISSUERS"]
    unchanged = interpolate(COMPOSE_SOURCE, EXAMPLE_ENV).missing
    assert {"UCS_AUTH_ISSUERS", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "MINIO_ROOT_PASSWORD"} <= set(
        unchanged
    )
    assert "UCS_AUTH_ISSUERS" in interpolate(COMPOSE_SOURCE, {}).missing
    # Filled in, UCS trusts exactly the named issuer.
    environment = SERVICES["ucs"]["environment"]
    assert Settings(AUTH_SETTINGS).value("AUTH_ISSUERS", {}, environment, "/instance") == [ISSUER]


def test_the_trial_publishes_on_loopback_only_and_keeps_its_own_volumes():
    trial = recipe("trial")
    published = {name: s["ports"] for name, s in trial["services"].items() if "ports" in s}
    assert (
        published.keys()
        == {name for name, s in SERVICES.items() if "ports" in s}
        == {"ucs", "minio", "prometheus"}
    )
    for name, ports in published.items():
        assert all(port.startswith("127.0.0.1:") for port in ports), f"the trial's {name} publishes {ports}"
    assert all(port.startswith("0.0.0.0:") for s in SERVICES.values() for port in s.get("ports", []))
    # Volumes are named after the project: the trial's data never mixes with a deployment's.
    assert trial["name"] != COMPOSE["name"] == "ucs"


def documented_trial_token_command() -> list[str]:
    """The `ucs tokens issue ...` docs/operations.md runs in the trial's ucs container."""
    [command] = re.findall(r"exec -T ucs (ucs tokens issue [^)]+)\)", OPERATIONS_MD.read_text())
    return shlex.split(command)


def test_the_trial_mints_tokens_in_its_ucs_container_that_its_ucs_accepts(monkeypatch, tmp_path):
    # The ucs container's token settings; the instance directory is the test's (the autouse fixture).
    environment = recipe("trial")["services"]["ucs"]["environment"]
    auth = {variable: value for variable, value in environment.items() if variable.startswith("UCS_AUTH_")}
    for variable, value in auth.items():
        monkeypatch.setenv(variable, value)
    words = documented_trial_token_command()
    assert "files:register" in words[words.index("--scope") + 1]
    minted = CliRunner().invoke(main, words[1:])
    assert minted.exit_code == 0, minted.output
    token = minted.stdout.strip()

    app = build_app(tmp_path / "instance", tokens=False, check_schema=True, environ=auth)
    registered = app.test_client().put(
        "/files/F1", json={"size": 3}, headers={"Authorization": f"Bearer {token}"}
    )
    assert registered.status_code == 201, registered.get_json()


def test_a_deployment_cannot_mint_tokens_with_the_builtin_issuer(monkeypatch):
    monkeypatch.setenv("UCS_AUTH_ISSUERS", SERVICES["ucs"]["environment"]["UCS_AUTH_ISSUERS"])
    refused = CliRunner().invoke(main, documented_trial_token_command()[1:])
    assert refused.exit_code == 1
    assert "UCS trusts the issuers in UCS_AUTH_ISSUERS, not its built-in one" in refused.output


def docker_compose(*arguments: str) -> subprocess.CompletedProcess:
    command = ["docker", "compose", "--file", str(DEPLOY / "compose.yaml"), *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def compose_installed() -> bool:
    return (
        bool(shutil.which("docker"))
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    )


@pytest.mark.skipif(
    not compose_installed(),
    reason="the docker compose command is not installed (the tests above read the recipe themselves)",
)
def test_docker_compose_reads_the_recipe_as_these_tests_do(tmp_path):
    trial = docker_compose("--env-file", str(DEPLOY / ".env.trial"), "config", "--format", "json")
    assert trial.returncode == 0, trial.stderr
    read = json.loads(trial.stdout)
    assert read["name"] == recipe("trial")["name"]
    assert read["services"]["ucs"]["environment"] == recipe("trial")["services"]["ucs"]["environment"]
    assert {port["host_ip"] for s in read["services"].values() for port in s.get("ports", [])} == {
        "127.0.0.1"
    }

    without_issuer = tmp_path / "deployment.env"
    filled = {**DEPLOYMENT_ENV, "UCS_AUTH_ISSUERS": ""}
    without_issuer.write_text("".join(f"{name}={value}\n" for name, value in filled.items()))
    refused = docker_compose("--env-file", str(without_issuer), "config")
    assert refused.returncode != 0 and "UCS_AUTH_ISSUERS" in refused.stderr
