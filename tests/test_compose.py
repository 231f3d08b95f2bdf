"""temporal-compose.yml and the Dockerfile, checked without a Docker engine: every image
pinned, the Temporal cluster on its PostgreSQL with the search attributes the workflows
need, and the careerflow processes (setup, workers, projection runners, API) configured
only by environment variables that the code actually reads, pointing at the compose
PostgreSQL and Temporal, from an image that installs what pyproject.toml declares.

The set of variables is not a list kept here: it is scanned from the source (every
`os.environ`/`os.getenv` read, config.py's `_env`/`_flag` and typer's `envvar=`), so a
misspelled or a no-longer-read variable in the compose file fails this test."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from careerflow.cli import app
from careerflow.embedded import MAX_CONNECTIONS
from careerflow.temporal_server import CAREERFLOW_SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "temporal-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"

# What every careerflow process must be given to reach the event store and Temporal.
REQUIRED = {
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DBNAME",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_TASK_QUEUE",
}
REQUIRED_BY_THE_API = {"CAREERFLOW_API_HOST", "CAREERFLOW_API_PORT"}
LONG_RUNNING = ("careerflow-worker", "careerflow-projections", "careerflow-api")


@cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text())


def careerflow_services() -> dict[str, dict[str, Any]]:
    """The services running the image built from this repository."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image", "").partition(":")[0] == "careerflow"
    }


_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: object, env: dict[str, str] | None = None) -> str:
    """Compose's `${NAME:-default}`: the value the variable has in `env`, else the default."""
    given = env or {}
    return _INTERPOLATION.sub(lambda m: given.get(m.group(1)) or m.group(2) or "", str(value))


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment", {})
    if isinstance(raw, list):  # the `- NAME=value` form
        raw = dict(item.partition("=")[::2] for item in raw)
    return {str(k): interpolate(v) for k, v in raw.items()}


# -- what the code reads -------------------------------------------------------------------
SOURCE_DIRS = ("careerflow", "workflows", "activities", "aggregates", "projections")


def source_files() -> Iterator[Path]:
    yield ROOT / "worker.py"
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _names(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [n for elt in node.elts for n in _names(elt)]
    return []


def variables_read_by(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            first = node.args[0] if node.args else None
            if isinstance(func, ast.Name) and func.id in {"_env", "_flag", "getenv"}:
                found.update(_names(first))  # config.py's helpers
            elif isinstance(func, ast.Attribute) and (
                (func.attr in {"get", "setdefault", "pop"} and _is_environ(func.value))
                or func.attr == "getenv"
            ):
                found.update(_names(first))
            for keyword in node.keywords:  # typer.Option(envvar=...)
                if keyword.arg == "envvar":
                    found.update(_names(keyword.value))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            found.update(_names(node.slice))
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            found.update(_names(node.left))  # "NAME" in os.environ
    return {name for name in found if re.fullmatch(r"[A-Z][A-Z0-9_]*", name)}


@cache
def variables_the_code_reads() -> frozenset[str]:
    names: set[str] = set()
    for path in source_files():
        names |= variables_read_by(ast.parse(path.read_text(), str(path)))
    return frozenset(names)


def test_the_scan_finds_every_kind_of_read() -> None:
    found = variables_the_code_reads()
    # config.py's helpers, delivery.py's os.environ.get, cli.py's typer envvar
    assert found >= REQUIRED | REQUIRED_BY_THE_API
    assert {"CAREERFLOW_CIPHER_KEY", "CAREERFLOW_ENSURE_SCHEDULES", "CAREERFLOW_VAR_DIR"} <= found
    assert {"CAREERFLOW_SMTP_HOST", "CAREERFLOW_WEBHOOK_URL", "CAREERFLOW_TOKEN"} <= found
    # and nothing that merely looks like one
    sample = ast.parse(
        "import os\n"
        "os.environ.get('A_READ')\nos.environ['B_READ']\nos.getenv('C_READ')\n"
        "'D_READ' in os.environ\n_env('E_READ', 'x')\nOption(envvar='F_READ')\n"
        "other.get('NOT_READ')\nprint('ALSO_NOT')\n"
    )
    assert variables_read_by(sample) == {f"{c}_READ" for c in "ABCDEF"}


# -- the file ------------------------------------------------------------------------------
def test_every_image_is_pinned() -> None:
    version = pyproject()["project"]["version"]
    for name, service in compose()["services"].items():
        assert "image" in service, f"{name}: name its image (and pin it)"
        image, _, tag = service["image"].partition(":")
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: pin {image}"
        assert "@" not in image or "sha256:" in service["image"]
        if image == "careerflow":
            # Built here: tagged with the version it was built from.
            assert tag == version, f"{name}: tag careerflow:{version} (pyproject's version)"
            assert service["build"]["context"] == "."
            assert (ROOT / service["build"].get("dockerfile", "Dockerfile")).exists()


def test_temporal_runs_on_the_compose_postgresql() -> None:
    services = compose()["services"]
    temporal = services["temporal"]
    assert temporal["environment"]["POSTGRES_SEEDS"] == "temporal-postgresql"
    assert temporal["depends_on"]["temporal-postgresql"]["condition"] == "service_healthy"
    db = services["temporal-postgresql"]["environment"]
    assert temporal["environment"]["POSTGRES_USER"] == db["POSTGRES_USER"]
    assert temporal["environment"]["POSTGRES_PWD"] == db["POSTGRES_PASSWORD"]
    assert "7233:7233" in temporal["ports"]
    assert "temporal:7233" in " ".join(temporal["healthcheck"]["test"])
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_the_search_attributes_the_workflows_upsert_are_registered() -> None:
    command = " ".join(compose()["services"]["temporal-search-attributes"]["command"])
    for name, kind in CAREERFLOW_SEARCH_ATTRIBUTES.items():
        assert f"--name {name} --type {kind}" in command


def test_the_careerflow_processes_are_all_there() -> None:
    services = careerflow_services()
    assert set(LONG_RUNNING) | {"careerflow-setup"} <= set(services)
    commands = {name: s["command"] for name, s in services.items()}
    assert commands["careerflow-worker"] == ["worker"]
    assert commands["careerflow-projections"] == ["projections", "run"]
    assert commands["careerflow-api"] == ["api"]
    assert commands["careerflow-setup"][:2] == ["policy", "seed"]
    # Scale-out: several workers share the task queue, a projection runner stands by.
    assert services["careerflow-worker"]["deploy"]["replicas"] >= 2
    assert services["careerflow-projections"]["deploy"]["replicas"] >= 2
    assert "container_name" not in services["careerflow-worker"]  # would forbid replicas


@pytest.mark.parametrize("name", sorted(careerflow_services()))
def test_each_command_is_a_careerflow_command(name: str) -> None:
    command = careerflow_services()[name]["command"]
    words = [w for w in command if not w.startswith("-")]
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, f"{name}: `careerflow {' '.join(command)}`: {result.output}"


@pytest.mark.parametrize("name", sorted(careerflow_services()))
def test_each_service_sets_only_variables_the_code_reads(name: str) -> None:
    env = environment(careerflow_services()[name])
    unknown = set(env) - variables_the_code_reads()
    assert not unknown, f"{name}: the code reads no {sorted(unknown)} (misspelled?)"
    missing = REQUIRED - set(env)
    assert not missing, f"{name}: set {sorted(missing)}"


def test_the_processes_point_at_the_compose_postgresql_and_temporal() -> None:
    services = compose()["services"]
    temporal_env = services["temporal"]["environment"]
    for name, service in careerflow_services().items():
        env = environment(service)
        db_service = services[env["POSTGRES_HOST"]]
        assert env["POSTGRES_HOST"] != "temporal-postgresql", f"{name}: its own PostgreSQL"
        assert db_service["image"].startswith("postgres:")
        db = environment(db_service)
        assert env["POSTGRES_PORT"] == "5432"
        assert env["POSTGRES_DBNAME"] == db["POSTGRES_DB"], name
        assert env["POSTGRES_USER"] == db["POSTGRES_USER"], name
        assert env["POSTGRES_PASSWORD"] == db["POSTGRES_PASSWORD"], name
        host, _, port = env["TEMPORAL_ADDRESS"].partition(":")
        assert host == "temporal" and port == "7233", name
        assert env["TEMPORAL_NAMESPACE"] == temporal_env["DEFAULT_NAMESPACE"], name
        assert env["TEMPORAL_TASK_QUEUE"] == "careerflow", name
        # Every process waits for its database; the setup job waits for nothing else.
        assert service["depends_on"][env["POSTGRES_HOST"]]["condition"] == "service_healthy"
    command = " ".join(services["temporal-search-attributes"]["command"])
    assert f"--namespace {temporal_env['DEFAULT_NAMESPACE']}" in command


def test_the_long_running_processes_start_after_setup_and_temporal() -> None:
    services = careerflow_services()
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["temporal"]["condition"] == "service_healthy", name
        completed = "service_completed_successfully"
        assert depends["temporal-search-attributes"]["condition"] == completed, name
        # The workers create the cycle schedules from the seeded policies at start.
        assert depends["careerflow-setup"]["condition"] == completed, name
        assert services[name]["restart"] == "unless-stopped", name
    assert services["careerflow-setup"]["restart"] == "no"


def test_the_api_listens_on_its_published_port() -> None:
    api = careerflow_services()["careerflow-api"]
    env = environment(api)
    assert set(env) >= REQUIRED_BY_THE_API
    assert env["CAREERFLOW_API_HOST"] == "0.0.0.0"  # reachable from outside the container
    assert f"{env['CAREERFLOW_API_PORT']}:{env['CAREERFLOW_API_PORT']}" in api["ports"]


def test_the_healthchecks_are_valid_python() -> None:
    for name in ("careerflow-worker", "careerflow-api"):
        test = careerflow_services()[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"], name
        compile(test[3], f"{name} healthcheck", "exec")


def test_the_event_store_postgresql_allows_the_embedded_connection_count() -> None:
    service = compose()["services"]["careerflow-postgresql"]
    assert f"max_connections={MAX_CONNECTIONS}" in service["command"]
    assert "careerflow-db:/var/lib/postgresql" in service["volumes"]  # PostgreSQL 18's volume
    assert service["image"].split(":")[1].split(".")[0] == "18"  # as the tests' embedded one


# -- the image -----------------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_is_a_pinned_python_the_project_supports() -> None:
    froms = [arg for op, arg in dockerfile_instructions() if op == "FROM"]
    assert len(froms) == 1
    image, _, tag = froms[0].partition(":")
    assert image == "python"
    match = re.fullmatch(r"(3)\.(\d+)\.(\d+)-slim(-\w+)?", tag)
    assert match, f"pin the patch release: python:{tag}"
    minimum = re.search(r">=\s*3\.(\d+)", pyproject()["project"]["requires-python"])
    assert minimum and int(match.group(2)) >= int(minimum.group(1))
    assert match.group(2) == "11"  # the Python the tests and stack notes run on


def test_the_image_installs_what_pyproject_declares() -> None:
    project = pyproject()
    setuptools = project["tool"]["setuptools"]
    copied: set[str] = set()
    for op, arg in dockerfile_instructions():
        if op == "COPY":
            copied.update(p.rstrip("/") for p in arg.split()[:-1])
    expected = {"pyproject.toml", project["project"]["readme"]}
    expected |= {f"{module}.py" for module in setuptools["py-modules"]}
    expected |= {p.rstrip("*") for p in setuptools["packages"]["find"]["include"]}
    assert expected <= copied, f"COPY {sorted(expected - copied)}"
    runs = " ".join(arg for op, arg in dockerfile_instructions() if op == "RUN")
    install = re.search(r"pip install ([^&;]*)", runs)
    assert install, "install the project with pip"
    args = install.group(1).split()
    assert "." in args, "install the project itself (its dependencies come from pyproject)"
    assert "-e" not in args and "--editable" not in args
    assert not any("[" in a for a in args), "runtime dependencies only, no dev extras"
    # Nothing the image needs is left out of the build context.
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert not (expected & ignored)
    assert {".venv", "var", ".git"} <= ignored


def test_the_entrypoint_is_the_project_script() -> None:
    scripts = pyproject()["project"]["scripts"]
    entry = [arg for op, arg in dockerfile_instructions() if op == "ENTRYPOINT"]
    assert len(entry) == 1
    assert yaml.safe_load(entry[0]) == ["careerflow"] and "careerflow" in scripts
    users = [arg for op, arg in dockerfile_instructions() if op == "USER"]
    assert users and users[-1] not in ("root", "0")
