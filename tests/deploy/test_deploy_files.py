"""The deployment files under docker/ agree with the code they deploy.

No Docker engine and no cluster: the files are read and every path, module, management
command, probe, variable and timeout they name is checked against the project. Only the probe
round trip (and the migrate step's shell snippet) touches PostgreSQL and Redis.
"""

import importlib
import importlib.util
import io
import ipaddress
import json
import os
import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.core.management import call_command, get_commands
from django.test import Client

from apps.core import metrics
from apps.core.middleware import OperationsMiddleware
from apps.isp.radius.freeradius import freeradius_binary

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
K8S = DOCKER / "k8s"
DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"
COMPOSE = DOCKER / "compose.yaml"
# What a kubelet sends: the pod IP, which is no tenant's host.
POD_HOST = "10.0.0.7"
NAMESPACE = "dotmac"
APP_ROLES = ("web", "worker", "beat", "migrate")
# Variables read by the interpreter or the image itself rather than by our settings.
RUNTIME_VARIABLES = {
    "PATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PYTHONPATH",
    "DJANGO_SETTINGS_MODULE",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_CACHE_DIR",
}


# --- Reading the files ------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted([*DOCKER.rglob("*.yaml"), *DOCKER.rglob("*.yml")])


@cache
def k8s_objects() -> tuple[dict, ...]:
    objects = []
    for path in sorted(K8S.rglob("*.yaml")):
        objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return tuple(objects)


def k8s_object(kind: str, name: str) -> dict:
    matches = [
        obj for obj in k8s_objects() if obj["kind"] == kind and obj["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected exactly one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def workload(role: str) -> dict:
    return k8s_object("Job" if role == "migrate" else "Deployment", f"dotmac-{role}")


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def the_container(obj: dict) -> dict:
    (container,) = pod_spec(obj)["containers"]
    return container


def workloads() -> list[dict]:
    return [obj for obj in k8s_objects() if obj["kind"] in {"Deployment", "Job"}]


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def compose_service(name: str) -> dict:
    return compose()["services"][name]


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) for each logical line, continuations joined."""
    instructions, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    return tuple(instructions)


def final_stage() -> list[tuple[str, str]]:
    instructions = list(dockerfile_instructions())
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def without_flags(arguments: str) -> list[str]:
    return [token for token in shlex.split(arguments) if not token.startswith("--")]


def dockerfile_cmd() -> list[str]:
    (cmd,) = [args for keyword, args in final_stage() if keyword == "CMD"]
    return exec_form(cmd)


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in final_stage():
        if keyword == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(arguments))
    return env


def split_shell(argv: list[str]) -> list[list[str]]:
    """`sh -c "a && b"` (or a RUN line `a && b`) → [a, b], variable assignments dropped."""
    tokens = shlex.split(argv[2]) if argv[:2] in (["sh", "-c"], ["/bin/sh", "-c"]) else argv
    commands, current = [], []
    for token in [*tokens, "&&"]:
        if token in {"&&", ";", "||"}:
            commands.append(current)
            current = []
        elif current or not re.fullmatch(r"\w+=\S*", token):
            current.append(token)
    return [command for command in commands if command]


def as_argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def deployed_commands() -> list[tuple[str, list[str]]]:
    """(where, argv) for every command the deployment files run, shell scripts split up."""
    found = [("Dockerfile CMD", dockerfile_cmd())]
    found += [
        ("Dockerfile RUN", shlex.split(arguments))
        for keyword, arguments in dockerfile_instructions()
        if keyword == "RUN"
    ]
    for name, service in compose()["services"].items():
        if "command" in service:
            found.append((f"compose {name}", as_argv(service["command"])))
    for obj in workloads():
        for container in pod_spec(obj)["containers"]:
            argv = [*container.get("command", []), *container.get("args", [])]
            if argv:
                found.append((f"k8s {obj['metadata']['name']}", argv))
    return [(where, part) for where, argv in found for part in split_shell(argv)]


def manage_py_calls() -> list[tuple[str, list[str]]]:
    """(where, arguments after manage.py) for every `manage.py <command>` deployed."""
    return [
        (where, argv[argv.index("manage.py") + 1 :])
        for where, argv in deployed_commands()
        if "manage.py" in argv
    ]


def module_file(dotted: str) -> Path:
    base = REPO.joinpath(*dotted.split("."))
    return base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"


def container_port(container: dict, port) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return number


def gunicorn_settings(monkeypatch, tmp_path, env: dict):
    """dotmac/gunicorn_conf.py as gunicorn would load it with `env` (no side effects kept)."""
    # Set, so that the module does not create (and export) a metrics directory of its own.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for key in [key for key in os.environ if key.startswith("GUNICORN_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    spec = importlib.util.spec_from_file_location(
        "_deployed_gunicorn_conf", REPO / "dotmac" / "gunicorn_conf.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compose_default(value: str) -> str:
    """`${NAME:-default}` → default (the value compose uses when NAME is unset)."""
    match = re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(value))
    return match.group(1) if match else str(value)


def seconds(duration: str) -> int:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", str(duration))
    assert match, f"unsupported compose duration {duration!r}"
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def probe_paths_in_healthchecks() -> set[str]:
    texts = [args for keyword, args in final_stage() if keyword == "HEALTHCHECK"]
    texts += [json.dumps(s.get("healthcheck", {})) for s in compose()["services"].values()]
    return {path for text in texts for path in re.findall(r"/health(?:/\w+)?", text)}


# --- Every file parses ------------------------------------------------------------------------


def test_every_yaml_file_parses_and_every_k8s_object_is_named():
    assert COMPOSE in yaml_files()
    for path in yaml_files():
        docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
        assert docs, f"{path} is empty"
        if K8S in path.parents:
            for doc in docs:
                assert doc.get("apiVersion"), f"{path}: an object without apiVersion"
                assert doc.get("kind"), f"{path}: an object without kind"
                assert doc.get("metadata", {}).get("name"), f"{path}: an object without a name"


def test_k8s_objects_live_in_the_dotmac_namespace():
    k8s_object("Namespace", NAMESPACE)
    for obj in k8s_objects():
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == NAMESPACE, obj["metadata"]["name"]


def test_k8s_references_resolve_to_objects_that_exist():
    for obj in workloads():
        spec = pod_spec(obj)
        if "selector" in obj["spec"]:
            labels = obj["spec"]["template"]["metadata"]["labels"]
            assert obj["spec"]["selector"]["matchLabels"].items() <= labels.items()
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    k8s_object("ConfigMap", source["configMapRef"]["name"])
                if "secretRef" in source:
                    k8s_object("Secret", source["secretRef"]["name"])
            volumes = {volume["name"] for volume in spec.get("volumes", [])}
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{obj['metadata']['name']}: {mount['name']}"

    web, service = workload("web"), k8s_object("Service", "dotmac-web")
    assert (
        service["spec"]["selector"].items() <= web["spec"]["template"]["metadata"]["labels"].items()
    )
    (service_port,) = service["spec"]["ports"]
    assert container_port(the_container(web), service_port["targetPort"]) in {
        port["containerPort"] for port in the_container(web)["ports"]
    }
    for obj in k8s_objects():
        if obj["kind"] == "Ingress":
            for rule in obj["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    backend = path["backend"]["service"]
                    assert backend["name"] == service["metadata"]["name"]
                    port = backend["port"]
                    assert port.get("name") == service_port["name"] or (
                        port.get("number") == service_port["port"]
                    )


# --- Probes -----------------------------------------------------------------------------------


def test_web_probes_point_at_real_health_paths_on_the_container_port():
    container = the_container(workload("web"))
    # The web pod's readiness leaves out the workers check: a stalled Celery worker must not
    # take every web pod out of the Service (the workers' own probe reports it).
    expected = {
        "livenessProbe": "/health/live",
        "readinessProbe": "/health/ready?skip=workers",
        "startupProbe": "/health/startup",
    }
    for probe, path in expected.items():
        http_get = container[probe]["httpGet"]
        assert http_get["path"] == path, probe
        assert http_get["path"].partition("?")[0] in OperationsMiddleware.PROBES, probe
        assert container_port(container, http_get["port"]) == 8000, probe
    assert container["ports"][0]["containerPort"] == 8000
    assert probe_paths_in_healthchecks() <= set(OperationsMiddleware.PROBES)


def test_startup_probe_waits_about_five_minutes_for_migrations():
    startup = the_container(workload("web"))["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300


@pytest.mark.django_db
def test_every_deployed_probe_path_answers_200_on_a_pod_ip_host():
    container = the_container(workload("web"))
    port = container["ports"][0]["containerPort"]
    paths = {container[probe]["httpGet"]["path"] for probe in ("livenessProbe", "readinessProbe")}
    paths |= {container["startupProbe"]["httpGet"]["path"]} | probe_paths_in_healthchecks()
    client = Client()
    for path in sorted(paths):
        response = client.get(path, HTTP_HOST=f"{POD_HOST}:{port}")
        assert response.status_code == 200, (path, response.content)


def test_prometheus_scraping_a_pod_from_the_configured_networks_gets_metrics(settings):
    web = workload("web")
    annotations = web["spec"]["template"]["metadata"]["annotations"]
    container = the_container(web)
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == container["ports"][0]["containerPort"]
    networks = k8s_object("ConfigMap", "dotmac-config")["data"]["METRICS_ALLOWED_NETWORKS"]
    settings.METRICS_ALLOWED_NETWORKS = networks.split(",")
    metrics._allowed_networks.cache_clear()
    try:
        scraper = next(ipaddress.ip_network(networks.split(",")[-1]).hosts())
        response = Client().get(
            annotations["prometheus.io/path"],
            HTTP_HOST=f"{POD_HOST}:{annotations['prometheus.io/port']}",
            REMOTE_ADDR=str(scraper),
        )
    finally:
        metrics._allowed_networks.cache_clear()
    assert response.status_code == 200
    assert b"# TYPE" in response.content


# --- Shutdown ---------------------------------------------------------------------------------


def test_web_pod_grace_period_outlasts_pre_stop_sleep_and_gunicorn_graceful_timeout(
    monkeypatch, tmp_path
):
    web = workload("web")
    config = k8s_object("ConfigMap", "dotmac-config")["data"]
    gunicorn = gunicorn_settings(
        monkeypatch, tmp_path, {k: v for k, v in config.items() if k.startswith("GUNICORN_")}
    )
    pre_stop = the_container(web)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    grace = pod_spec(web)["terminationGracePeriodSeconds"]
    assert grace > gunicorn.graceful_timeout
    assert grace > int(pre_stop[1]) + gunicorn.graceful_timeout


def test_compose_web_stop_grace_period_outlasts_gunicorn_graceful_timeout(monkeypatch, tmp_path):
    web = compose_service("web")
    env = {
        key: compose_default(value)
        for key, value in web["environment"].items()
        if key.startswith("GUNICORN_")
    }
    gunicorn = gunicorn_settings(monkeypatch, tmp_path, env)
    assert seconds(web["stop_grace_period"]) > gunicorn.graceful_timeout


def test_beat_runs_once_even_during_a_rollout():
    beat = workload("beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "deploy" not in compose_service("beat") or (
        compose_service("beat")["deploy"].get("replicas", 1) == 1
    )


# --- Image ------------------------------------------------------------------------------------


def test_image_runs_as_a_numeric_non_root_user_that_the_pods_enforce():
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the runtime stage never leaves root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "a numeric uid lets Kubernetes verify runAsNonRoot"
    assert int(uid) != 0
    image = the_container(workload("web"))["image"]
    for obj in workloads():
        if the_container(obj)["image"] != image:  # pgbouncer: its image's own user
            assert pod_spec(obj)["securityContext"]["runAsNonRoot"] is True
            continue
        security = pod_spec(obj)["securityContext"]
        assert security["runAsNonRoot"] is True, obj["metadata"]["name"]
        assert security["runAsUser"] == int(uid), obj["metadata"]["name"]


def test_read_only_pods_mount_every_path_the_app_writes():
    env = dockerfile_env()
    assert env["CELERY_BEAT_SCHEDULE_FILENAME"].startswith("/tmp/")
    assert env["STATIC_ROOT"].startswith("/app/"), "static files are collected into the image"
    for obj in workloads():
        for container in pod_spec(obj)["containers"]:
            if not container.get("securityContext", {}).get("readOnlyRootFilesystem"):
                continue
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, obj["metadata"]["name"]
            if obj["metadata"]["name"] in {"dotmac-web", "dotmac-worker"}:
                assert env["MEDIA_ROOT"] in mounts, obj["metadata"]["name"]


def test_dockerfile_copies_only_paths_that_exist_and_are_not_ignored():
    ignored = [
        line.strip().removeprefix("**/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = []
    for keyword, arguments in dockerfile_instructions():
        if keyword in {"COPY", "ADD"} and "--from=" not in arguments:
            sources += without_flags(arguments)[:-1]
    assert "manage.py" in sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such path in the repository"
        for pattern in ignored:
            assert source != pattern, f"COPY {source} is excluded by {DOCKERIGNORE.name}"
            assert not source.startswith(pattern + "/"), f"COPY {source} is excluded"
    for secret_or_bulk in (".venv", ".data", ".git", ".env", "__pycache__"):
        assert secret_or_bulk in ignored


def test_dockerfile_installs_prod_requirements_with_every_file_they_include():
    copied = {
        Path(source).name: REPO / source
        for keyword, arguments in dockerfile_instructions()
        if keyword == "COPY" and "--from=" not in arguments
        for source in without_flags(arguments)[:-1]
        if source.startswith("requirements/")
    }
    installed = [
        Path(match).name
        for keyword, arguments in dockerfile_instructions()
        if keyword == "RUN"
        for match in re.findall(r"-r\s+(\S+)", arguments)
    ]
    assert installed == ["prod.txt"]
    pending = list(installed)
    while pending:
        name = pending.pop()
        assert name in copied, f"{name} is installed (or included) but never copied"
        assert copied[name].exists()
        pending += re.findall(r"^-r\s+(\S+)", copied[name].read_text(), flags=re.MULTILINE)


def test_image_command_serves_the_project_wsgi_app_with_its_gunicorn_config():
    cmd = dockerfile_cmd()
    assert cmd[0] == "gunicorn"
    config = cmd[cmd.index("-c") + 1]
    assert config == "python:dotmac.gunicorn_conf"
    config_module = config.removeprefix("python:")
    wsgi_module = cmd[-1].split(":")[0]
    assert wsgi_module == "dotmac.wsgi"
    assert (REPO / "dotmac" / "gunicorn_conf.py").is_file()
    assert (REPO / "dotmac" / "wsgi.py").is_file()
    for module in (config_module, wsgi_module):
        assert module_file(module).is_file(), module
        assert importlib.util.find_spec(module) is not None, module
    assert callable(importlib.import_module(wsgi_module).application)
    assert not [args for keyword, args in final_stage() if keyword == "ENTRYPOINT"]


def test_all_roles_run_the_same_image():
    assert len({the_container(workload(role))["image"] for role in APP_ROLES}) == 1
    assert len({compose_service(role)["image"] for role in APP_ROLES}) == 1


# --- Commands and configuration ---------------------------------------------------------------


def test_compose_runs_every_role_after_migrations_on_healthy_data_stores():
    services = compose()["services"]
    assert {"web", "worker", "beat", "migrate", "postgres", "redis"} <= services.keys()
    for role in APP_ROLES:
        build = services[role]["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == REPO
        assert (REPO / build["dockerfile"]).resolve() == DOCKERFILE
    for role in ("web", "worker", "beat"):
        depends = services[role]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", role
        assert depends["postgres"]["condition"] == "service_healthy", role
        assert depends["redis"]["condition"] == "service_healthy", role
    assert "pg_isready" in json.dumps(services["postgres"]["healthcheck"])
    assert "ping" in json.dumps(services["redis"]["healthcheck"])
    assert "/health/ready" in json.dumps(services["web"]["healthcheck"])
    assert "command" not in services["web"], "web runs the image's gunicorn CMD"


def test_compose_connection_urls_point_at_the_compose_data_stores():
    env = compose_service("web")["environment"]
    services = compose()["services"]
    # The app through pgbouncer in transaction mode, pgbouncer and the migrations to PostgreSQL.
    assert urlsplit(env["DATABASE_URL"]).hostname == "pgbouncer"
    assert env["DATABASE_POOLER"] == "pgbouncer"
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    migrate = services["migrate"]["environment"]
    assert migrate["DATABASE_POOLER"] == ""
    for url in (services["pgbouncer"]["environment"]["DATABASE_URL"], migrate["DATABASE_URL"]):
        assert urlsplit(url)._replace(netloc="") == urlsplit(env["DATABASE_URL"])._replace(
            netloc=""
        )
    database = urlsplit(services["pgbouncer"]["environment"]["DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert database.hostname == "postgres"
    assert urlsplit(migrate["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(env["DATABASE_URL"]).username == database.username
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "never a default secret key"


def test_celery_commands_load_the_project_celery_app():
    celery_calls = [argv for _, argv in deployed_commands() if argv[0] == "celery"]
    subcommands = {argv[argv.index("-A") + 2] for argv in celery_calls}
    assert {"worker", "beat"} <= subcommands
    assert (REPO / "dotmac" / "celery.py").is_file()
    for argv in celery_calls:
        app_module = argv[argv.index("-A") + 1]
        assert isinstance(find_app(app_module), Celery), app_module
        assert find_app(app_module).main == "dotmac"


def test_every_manage_py_command_deployed_is_a_real_management_command():
    calls = manage_py_calls()
    used = {arguments[0] for _, arguments in calls}
    assert {"migrate_schemas", "collectstatic"} <= used
    available = get_commands()
    for where, arguments in calls:
        assert arguments[0] in available, f"{where}: manage.py {arguments[0]} does not exist"


@pytest.mark.django_db
def test_migrations_alone_create_the_public_tenant_the_platform_host_needs():
    """The deployed migrate step is only migrate_schemas: its data migration must suffice."""
    import importlib

    from django.apps import apps

    from apps.platform.tenants.models import Tenant

    migration = importlib.import_module("apps.platform.tenants.migrations.0002_public_tenant")
    Tenant.objects.filter(schema_name="public").delete()

    migration.create_public_tenant(apps, None)

    assert Tenant.objects.filter(schema_name="public", status="active").exists()


def test_every_configured_variable_is_read_by_the_project():
    read_by = "".join(
        (REPO / "dotmac" / name).read_text() for name in ("settings.py", "gunicorn_conf.py")
    )
    configured = {
        "Dockerfile ENV": dockerfile_env().keys() - RUNTIME_VARIABLES,
        "compose": compose_service("web")["environment"].keys(),
        "configmap": k8s_object("ConfigMap", "dotmac-config")["data"].keys(),
        "secret": k8s_object("Secret", "dotmac-secrets")["stringData"].keys(),
    }
    for where, names in configured.items():
        for name in names:
            assert re.search(rf"[\"']{name}[\"']", read_by), f"{where}: {name} is never read"


# --- Backups: WAL archiving (point-in-time recovery) and scheduled base backups ----------------

POSTGRES_IMAGE_DIR = DOCKER / "postgres"
WAL_G = "/usr/local/bin/dotmac-wal-g"


def server_settings(argv: list[str]) -> dict[str, str]:
    """The `-c name=value` settings of a postgres command line."""
    found = {}
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == "-c":
            name, _, setting = value.partition("=")
            found[name] = setting
    return found


def postgres_command_lines() -> dict[str, list[str]]:
    statefulset = k8s_object("StatefulSet", "dotmac-postgres")
    (server,) = [c for c in pod_spec(statefulset)["containers"] if c["name"] == "postgres"]
    return {
        "compose": as_argv(compose_service("postgres")["command"]),
        "k8s": [*server.get("command", []), *server["args"]],
    }


def postgres_image_copies() -> dict[str, str]:
    """destination → source of the COPY lines of docker/postgres/Dockerfile."""
    copies = {}
    for line in (POSTGRES_IMAGE_DIR / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            source, destination = without_flags(line.removeprefix("COPY "))
            copies[destination] = source
    return copies


def test_postgres_archives_every_wal_segment_with_wal_g_within_a_minute():
    for where, argv in postgres_command_lines().items():
        found = server_settings(argv)
        assert found.get("wal_level") in {"replica", "logical"}, where
        assert found.get("archive_mode") in {"on", "always"}, where
        assert found.get("archive_command", "").split() == [WAL_G, "wal-push", "%p"], where
        # RPO: a segment is closed and archived at least this often, however quiet the database.
        assert 0 < int(found["archive_timeout"]) <= 60, where
        assert found.get("restore_command", "").split() == [WAL_G, "wal-fetch", "%f", "%p"], where
    copies = postgres_image_copies()
    assert WAL_G in copies
    wrapper = (POSTGRES_IMAGE_DIR / copies[WAL_G]).read_text()
    assert 'exec wal-g "$@"' in wrapper
    assert "releases/download/${WALG_VERSION}/wal-g-pg-" in (
        (POSTGRES_IMAGE_DIR / "Dockerfile").read_text()
    )


def test_compose_builds_postgres_with_wal_g_and_keeps_its_archive_on_a_volume_of_its_own():
    postgres = compose_service("postgres")
    assert (COMPOSE.parent / postgres["build"]["context"]).resolve() == POSTGRES_IMAGE_DIR
    for source in postgres_image_copies().values():
        assert (POSTGRES_IMAGE_DIR / source).is_file(), source
    env = postgres["environment"]
    assert compose_default(env["WALG_FILE_PREFIX"]) == "/var/lib/wal-g"
    assert "WALG_S3_PREFIX" in env, "an object store can be set without editing the file"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in postgres["volumes"]}
    assert mounts["/var/lib/wal-g"] != mounts["/var/lib/postgresql/data"]


def test_base_backups_are_scheduled_at_least_daily_and_old_ones_pruned():
    script = POSTGRES_IMAGE_DIR / postgres_image_copies()["/usr/local/bin/dotmac-base-backups"]
    text = script.read_text()
    assert "dotmac-wal-g backup-push" in text
    assert "delete retain FULL" in text
    assert 'sleep "$interval"' in text

    postgres, backups = compose_service("postgres"), compose_service("postgres-backup")
    assert as_argv(backups["command"]) == ["dotmac-base-backups"]
    assert backups["image"] == postgres["image"]
    assert backups["build"] == postgres["build"], "built like postgres, never pulled"
    assert backups["user"] == "postgres"
    env = backups["environment"]
    assert 0 < int(compose_default(env["WALG_BASE_BACKUP_INTERVAL"])) <= 86400
    assert int(compose_default(env["WALG_RETAIN_FULL"])) >= 1
    assert env["PGHOST"] == "postgres"
    # The same storage as the archive_command's, and the server's data directory.
    for name, value in postgres["environment"].items():
        if name.startswith(("WALG_", "AWS_")):
            assert env[name] == value, name
    assert "pgdata:/var/lib/postgresql/data:ro" in backups["volumes"]
    assert backups["depends_on"]["postgres"]["condition"] == "service_healthy"

    statefulset = k8s_object("StatefulSet", "dotmac-postgres")
    containers = {c["name"]: c for c in pod_spec(statefulset)["containers"]}
    sidecar = containers["base-backups"]
    assert sidecar["command"] == ["dotmac-base-backups"]
    assert sidecar["image"] == containers["postgres"]["image"]
    data = {m["name"]: m for m in sidecar["volumeMounts"]}["data"]
    assert data["readOnly"] is True
    assert (
        data["mountPath"]
        == {m["name"]: m for m in containers["postgres"]["volumeMounts"]}["data"]["mountPath"]
    )
    config = k8s_object("ConfigMap", "dotmac-postgres-config")["data"]
    assert 0 < int(config["WALG_BASE_BACKUP_INTERVAL"]) <= 86400
    assert int(config["WALG_RETAIN_FULL"]) >= 1
    for container in containers.values():
        sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
        assert sources == {"dotmac-postgres-config", "dotmac-postgres-wal-g"}
    secret = k8s_object("Secret", "dotmac-postgres-wal-g")["stringData"]
    assert secret["WALG_S3_PREFIX"].startswith("s3://")
    assert statefulset["spec"]["replicas"] == 1


def test_the_tenant_backup_commands_named_in_the_docs_exist():
    available = get_commands()
    readme = (DOCKER / "README.md").read_text()
    for command in ("tenant_backup", "tenant_restore"):
        assert command in available
        assert f"manage.py {command}" in readme


# --- RADIUS: FreeRADIUS (radius) asking DotMac's threaded radius-api ---------------------------

RADIUS_DOCKERFILE = DOCKER / "radius" / "Dockerfile"


def test_compose_radius_publishes_the_radius_ports_and_builds_freeradius_on_the_app_image():
    radius = compose_service("radius")
    assert {"1812/udp", "1813/udp"} <= {str(port).split(":")[-1] for port in radius["ports"]}
    build = radius["build"]
    assert (COMPOSE.parent / build["context"] / "Dockerfile").resolve() == RADIUS_DOCKERFILE
    assert build["additional_contexts"] == {"app": "service:web"}
    instructions = RADIUS_DOCKERFILE.read_text()
    assert re.search(r"(?m)^FROM app$", instructions)
    assert "freeradius freeradius-rest" in instructions
    assert re.search(r"(?m)^USER 10001:10001$", instructions), "not root at run time"
    assert radius["depends_on"]["radius-api"]["condition"] == "service_healthy"


def test_compose_radius_api_serves_freeradius_from_threaded_workers(monkeypatch, tmp_path):
    """rlm_rest keeps its connections open: a sync worker would be held by each of them."""
    api = compose_service("radius-api")
    assert api["image"] == compose_service("web")["image"]
    assert "command" not in api, "radius-api runs the image's gunicorn CMD"
    assert "/health/ready" in json.dumps(api["healthcheck"])
    env = {
        key: compose_default(value)
        for key, value in api["environment"].items()
        if key.startswith("GUNICORN_")
    }
    gunicorn = gunicorn_settings(monkeypatch, tmp_path, env)
    assert gunicorn.worker_class == "gthread"
    assert gunicorn.threads >= 8
    assert seconds(api["stop_grace_period"]) > gunicorn.graceful_timeout
    for role in ("radius", "radius-api", "web"):
        url = urlsplit(compose_service(role)["environment"]["RADIUS_API_URL"])
        assert (url.hostname, url.port) == ("radius-api", 8000), role
        # One value for both sides (or both derive it from the one SECRET_KEY).
        assert compose_service(role)["environment"]["RADIUS_API_TOKEN"] == "${RADIUS_API_TOKEN:-}"


def test_compose_radius_command_writes_a_config_freeradius_loads_listening_on_every_address(
    tmp_path, settings
):
    (write, run) = split_shell(as_argv(compose_service("radius")["command"]))
    arguments = write[write.index("manage.py") + 1 :]
    assert arguments[0] == "radius_config"
    directory = arguments[arguments.index("--directory") + 1]
    assert run[:2] == ["exec", "freeradius"]
    assert run[run.index("-d") + 1] == directory
    settings.RADIUS_API_URL = compose_service("radius")["environment"]["RADIUS_API_URL"]
    arguments[arguments.index("--directory") + 1] = str(tmp_path)

    call_command(*arguments, stdout=io.StringIO())

    conf = (tmp_path / "radiusd.conf").read_text()
    assert 'connect_uri = "http://radius-api:8000/_radius"' in conf
    assert conf.count("ipaddr = *") == 2  # auth and acct, on the container's every address
    binary = freeradius_binary()
    if binary is None:
        pytest.skip("FreeRADIUS is not installed: the configuration was not loaded")
    argv = [binary, *(str(tmp_path) if arg == directory else arg for arg in run[2:]), "-C"]
    checked = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
