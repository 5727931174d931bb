"""Tenant backups (issue 16, item 7): `tenant_backup` writes one consistent file; `tenant_restore`
brings it back as a new tenant whose every table holds the same rows as the source's, and
refuses (writing nothing) a file that is damaged, truncated, from a newer DotMac, or aimed at an
existing tenant.

Backups read over a connection of their own, so the source tenant is committed: a tenant of
this module's own, filled by the apps' demo seeders, dropped at the end with its restores.
"""

import dataclasses
import gzip
import io
import json
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from apps.core.demo import DEMO_TENANTS
from apps.core.registry import registry
from apps.platform.tenants import schemas, services
from apps.platform.tenants.backup_format import media_root
from apps.platform.tenants.backups import SCRATCH_PREFIX
from apps.platform.tenants.models import Domain, Tenant
from tests import servers
from tests.committed import committed
from tests.conftest import HostClient, host_of, obtain_tokens

pytestmark = pytest.mark.slow

CUSTOMERS = "/api/v1/isp/customers/"
PASSWORD = settings.DEMO_PASSWORD


def table_fingerprints(schema: str) -> dict[str, tuple[int, str]]:
    """Every table of the schema: its row count and the md5 of its ordered rows' text. Written
    here, apart from the backup module's own checksums, so that the test checks them. On a
    connection of its own: the test's transaction must hold no lock on a schema that a restore
    (in another connection) renames or drops."""
    return committed(_table_fingerprints, schema)


def _table_fingerprints(schema: str) -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        tables = [name for (name,) in cursor.fetchall()]
        result = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text "
                f'COLLATE "C"), \'\')) FROM "{schema}"."{table}" t'
            )
            result[table] = cursor.fetchone()
    return result


def scratch_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{SCRATCH_PREFIX}%"]
        )
        return [name for (name,) in cursor.fetchall()]


def run(*args) -> str:
    out = io.StringIO()
    committed(call_command, *args, stdout=out)
    return out.getvalue()


def remove_tenant(slug: str) -> None:
    def remove():
        connection.set_schema_to_public()
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is not None:
            schemas.drop_schema(tenant.schema_name)
            tenant.delete()

    committed(remove)


@pytest.fixture(scope="module")
def source(django_db_setup, django_db_blocker, tmp_path_factory):
    """A tenant with ISP, CRM and E-commerce, seeded like abc-corp, and one uploaded file;
    backed up once."""
    slug = f"bak-{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("backups")
    demo = dataclasses.replace(DEMO_TENANTS[0], slug=slug, name="Backed Up")

    def create():
        tenant = services.tenant_create_now(
            name=demo.name, slug=slug, admin_username="john",
            admin_email=f"john@{slug}.example.com", admin_password=PASSWORD, apps=demo.apps,
        )  # fmt: skip
        with schema_context(tenant.schema_name):
            for seeder in registry.demo_seeders:
                seeder.run(tenant=tenant, demo=demo, password=PASSWORD)
        return tenant

    with django_db_blocker.unblock():
        tenant = committed(create)
        upload = media_root(tenant.schema_name) / "documents" / "contract.txt"
        upload.parent.mkdir(parents=True, exist_ok=True)
        upload.write_text("signed")
        before = table_fingerprints(tenant.schema_name)
        file = directory / "source.tenant.tar.gz"
        output = run("tenant_backup", slug, "--output", str(file))
        restored = f"{slug}-copy"
        restore_output = run("tenant_restore", slug, str(file), "--new-slug", restored)
        yield {
            "tenant": tenant, "slug": slug, "file": file, "before": before, "output": output,
            "restored": restored, "restore_output": restore_output, "dir": directory,
        }  # fmt: skip
        for name in (restored, slug):
            remove_tenant(name)
        for schema in (tenant.schema_name, restored.replace("-", "_")):
            root = media_root(schema)
            if root.is_dir():
                for path in sorted(root.rglob("*"), reverse=True):
                    path.unlink() if path.is_file() else path.rmdir()
                root.rmdir()


@pytest.fixture
def backup(source, db):
    return source


def read_manifest(file: Path) -> dict:
    with tarfile.open(file, "r:gz") as archive:
        return json.loads(archive.extractfile("manifest.json").read())


def rewrite(file: Path, target: Path, change) -> Path:
    """A copy of the backup with `change(name, bytes) -> bytes` applied to each member, as a
    well-formed gzipped tar (so that only DotMac's own checks can catch what changed)."""
    with tarfile.open(file, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for info in source:
            data = change(info.name, source.extractfile(info).read())
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def nothing_written(count_before: int) -> None:
    assert Tenant.objects.count() == count_before
    assert scratch_schemas() == []


# --- The backup and its restore ------------------------------------------------------------------


def test_every_table_of_the_restored_tenant_holds_the_same_rows_as_the_source(backup):
    source = table_fingerprints(backup["tenant"].schema_name)
    restored = table_fingerprints(backup["restored"].replace("-", "_"))

    assert set(restored) == set(source)
    assert restored == source
    # The demo seeders filled several apps: the comparison covers real rows.
    for table in ("isp_customer", "crm_account", "crm_opportunity", "isp_invoice",
                  "identity_user"):  # fmt: skip
        assert source[table][0] > 0, table
    assert sum(rows for rows, _ in source.values()) > 200


def test_the_manifest_describes_the_source_and_every_table(backup):
    manifest = read_manifest(backup["file"])
    schema = backup["tenant"].schema_name

    assert manifest["format"] == "dotmac-tenant-backup"
    assert manifest["source"] == {"slug": backup["slug"], "schema": schema, "name": "Backed Up"}
    assert manifest["migration_state"]["code_fingerprint"] == schemas.migration_fingerprint()
    assert ["isp", "0001_initial"] in manifest["migration_state"]["applied"]
    counts = {table["name"]: table["rows"] for table in manifest["tables"]}
    assert counts == {table: rows for table, (rows, _) in backup["before"].items()}
    assert {s["app"] for s in manifest["subscriptions"]} == {"isp", "crm", "commerce"}
    assert [m["member"] for m in manifest["media"]] == ["media/documents/contract.txt"]
    assert f"{len(counts)} tables" in backup["output"]
    assert backup["file"].stat().st_mode & 0o777 == 0o600, "personal data: the owner's only"
    assert "verified" in backup["restore_output"]


def test_the_source_is_unchanged_by_backup_and_restore(backup):
    assert table_fingerprints(backup["tenant"].schema_name) == backup["before"]
    assert Domain.objects.filter(tenant__slug=backup["slug"]).count() == 1


def test_the_restored_tenant_has_its_own_host_subscriptions_and_files(backup):
    restored = Tenant.objects.get(slug=backup["restored"])

    assert restored.status == Tenant.Status.ACTIVE
    assert restored.schema_name == backup["restored"].replace("-", "_")
    assert list(restored.domains.values_list("domain", flat=True)) == [host_of(backup["restored"])]
    assert set(restored.subscriptions.values_list("app__key", flat=True)) == {
        "isp", "crm", "commerce"
    }  # fmt: skip
    assert (media_root(restored.schema_name) / "documents" / "contract.txt").read_text() == (
        "signed"
    )


@pytest.mark.urls("tests.urls_tenant")
def test_the_restored_tenant_serves_the_same_customers_on_its_own_host(backup):
    def customer_ids(slug: str) -> list[str]:
        client = HostClient(host_of(slug))
        client.authenticate(obtain_tokens(client, "john", PASSWORD)["access"])
        response = client.get(CUSTOMERS, {"page_size": 100})
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["data"]]

    ids = customer_ids(backup["restored"])
    assert ids
    assert ids == customer_ids(backup["slug"])


@pytest.mark.urls("tests.urls_tenant")
def test_a_token_of_the_source_tenant_is_refused_on_the_restored_host(backup):
    source = HostClient(host_of(backup["slug"]))
    token = obtain_tokens(source, "john", PASSWORD)["access"]

    response = HostClient(host_of(backup["restored"])).authenticate(token).get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


@pytest.mark.urls("tests.urls_tenant")
def test_restored_roles_still_keep_a_sales_rep_out_of_isp(backup):
    client = HostClient(host_of(backup["restored"]))
    client.authenticate(obtain_tokens(client, "mike", PASSWORD)["access"])

    assert client.get(CUSTOMERS).status_code == 403
    assert client.get("/api/v1/crm/accounts/").status_code == 200


# --- Refusals: nothing is written -----------------------------------------------------------------


def test_restoring_over_an_existing_slug_is_refused(backup):
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match="exists"):
        run("tenant_restore", backup["slug"], str(backup["file"]))

    nothing_written(count)
    assert table_fingerprints(backup["tenant"].schema_name) == backup["before"]


def test_a_truncated_file_is_refused_and_nothing_is_written(backup):
    data = backup["file"].read_bytes()
    truncated = backup["dir"] / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match="truncated or damaged"):
        run("tenant_restore", "bak-truncated", str(truncated))

    nothing_written(count)
    assert not schema_exists("bak_truncated")


def test_a_file_whose_rows_were_altered_is_refused(backup):
    def alter(name, data):
        return data.replace(b"\t", b"\tX", 1) if name == "tables/isp_customer.copy" else data

    damaged = rewrite(backup["file"], backup["dir"] / "damaged.tar.gz", alter)
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match="isp_customer.copy is damaged"):
        run("tenant_restore", "bak-damaged", str(damaged))

    nothing_written(count)


def test_a_file_from_a_newer_migration_state_is_refused(backup):
    def newer(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migration_state"]["applied"].append(["isp", "9999_from_the_future"])
        return json.dumps(manifest).encode()

    future = rewrite(backup["file"], backup["dir"] / "future.tar.gz", newer)
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match=r"newer DotMac .*isp\.9999_from_the_future"):
        run("tenant_restore", "bak-future", str(future))

    nothing_written(count)


def test_rows_that_do_not_verify_against_the_manifest_are_rolled_back(backup):
    """The file is whole (every sha256 matches) but a table's checksum in the manifest is not
    its rows': the load happens, the verification fails, and the scratch schema goes."""

    def wrong_checksum(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        (table,) = [t for t in manifest["tables"] if t["name"] == "crm_account"]
        table["checksum"] = "0" * 32
        return json.dumps(manifest).encode()

    unverifiable = rewrite(backup["file"], backup["dir"] / "unverifiable.tar.gz", wrong_checksum)
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match="differ from the backup in crm_account"):
        run("tenant_restore", "bak-unverified", str(unverifiable))

    nothing_written(count)
    assert not schema_exists("bak_unverified")


def test_a_manifest_naming_sql_instead_of_a_table_is_refused(backup):
    def inject(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["tables"][0]["name"] = 'x"; DROP SCHEMA public; --'
        return json.dumps(manifest).encode()

    hostile = rewrite(backup["file"], backup["dir"] / "hostile.tar.gz", inject)
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match="never creates"):
        run("tenant_restore", "bak-hostile", str(hostile))

    nothing_written(count)


def test_a_manifest_without_its_source_is_refused(backup):
    def malformed(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        del manifest["source"]
        manifest["sequences"][0]["last_value"] = "many"
        return json.dumps(manifest).encode()

    broken = rewrite(backup["file"], backup["dir"] / "malformed.tar.gz", malformed)

    with pytest.raises(CommandError, match=r"malformed \(source, sequences\)"):
        run("tenant_restore", "bak-malformed", str(broken))
    assert scratch_schemas() == []


def test_new_slug_restores_only_a_backup_of_the_tenant_named(backup):
    count = Tenant.objects.count()

    with pytest.raises(CommandError, match=f"a backup of '{backup['slug']}', not of 'tenant-a'"):
        run("tenant_restore", "tenant-a", str(backup["file"]), "--new-slug", "bak-wrong-source")

    nothing_written(count)


def test_a_missing_file_or_one_that_is_not_a_backup_is_refused(backup):
    other = backup["dir"] / "other.tar.gz"
    other.write_bytes(gzip.compress(b"not a tar"))

    with pytest.raises(CommandError, match="no such file"):
        run("tenant_restore", "bak-missing", str(backup["dir"] / "nope.tar.gz"))
    with pytest.raises(CommandError, match="not a whole DotMac tenant backup"):
        run("tenant_restore", "bak-other", str(other))
    with pytest.raises(CommandError, match="No tenant"):
        run("tenant_backup", "no-such-tenant")
    assert scratch_schemas() == []


def test_check_only_reads_the_file(backup):
    count = Tenant.objects.count()

    output = run("tenant_restore", "bak-check", str(backup["file"]), "--check")

    assert "whole" in output
    nothing_written(count)


# --- Replacing a tenant's data ------------------------------------------------------------------


def test_replace_puts_the_backups_rows_back_into_an_existing_tenant(backup):
    slug = f"{backup['slug']}-again"  # a restore of its own: tests may run in any order
    schema = slug.replace("-", "_")
    run("tenant_restore", backup["slug"], str(backup["file"]), "--new-slug", slug)
    try:

        def damage():
            with connection.cursor() as cursor:
                cursor.execute(f'DELETE FROM "{schema}".crm_activity')
                cursor.execute(f"UPDATE \"{schema}\".isp_customer SET name = 'changed'")

        committed(damage)
        assert table_fingerprints(schema) != backup["before"]
        tenant_id = Tenant.objects.get(slug=slug).pk

        output = run("tenant_restore", slug, str(backup["file"]), "--replace")

        assert "verified" in output
        assert table_fingerprints(schema) == backup["before"]
        assert Tenant.objects.get(slug=slug).pk == tenant_id
        assert scratch_schemas() == []
        assert table_fingerprints(backup["tenant"].schema_name) == backup["before"]
    finally:
        remove_tenant(slug)


# --- An older backup ------------------------------------------------------------------------------


def columns(schema: str, table: str) -> set[str]:
    def read():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s",
                [schema, table],
            )
            return {name for (name,) in cursor.fetchall()}

    return committed(read)


def test_a_backup_from_an_older_migration_state_is_restored_then_migrated_forward(db, tmp_path):
    """A tenant whose last identity migration is unapplied (no user-session table yet): its
    backup restores at that state, verifies, and only then is migrated on. (Not the ISP's or
    the CRM's last migration: their reverse code runs before their column is back and fails.)"""
    slug = f"bak-old-{uuid.uuid4().hex[:6]}"
    restored = f"{slug}-new"
    tenant = committed(
        services.tenant_create_now,
        name="Older", slug=slug, admin_username="owner", admin_email=f"owner@{slug}.example.com",
        admin_password=PASSWORD, apps=("isp",),
    )  # fmt: skip
    try:
        committed(
            call_command, "migrate_schemas", "identity", "0002_roles",
            schema_name=tenant.schema_name, tenant=True, interactive=False, verbosity=0,
        )  # fmt: skip
        assert not columns(tenant.schema_name, "identity_usersession")
        file = tmp_path / "older.tenant.tar.gz"
        run("tenant_backup", slug, "--output", str(file))
        applied = read_manifest(file)["migration_state"]["applied"]
        assert ["identity", "0002_roles"] in applied
        assert ["identity", "0003_user_sessions"] not in applied

        output = run("tenant_restore", slug, str(file), "--new-slug", restored)

        schema = restored.replace("-", "_")
        assert "verified" in output
        assert "migrated to this version" in output
        assert "session_key" in columns(schema, "identity_usersession")
        assert committed(schemas.schemas_behind, [schema], settings.TENANT_APPS) == []
        before, after = table_fingerprints(tenant.schema_name), table_fingerprints(schema)
        assert after["identity_user"] == before["identity_user"]
        assert after["identity_role"] == before["identity_role"]
        assert not columns(tenant.schema_name, "identity_usersession"), "the source as it was"
    finally:
        remove_tenant(restored)
        remove_tenant(slug)


# --- Where the database is: a TCP host or a socket directory --------------------------------------

SOCKET_DIR = Path("/var/run/postgresql")


def socket_database_url() -> str | None:
    """This session's database by its Unix socket directory: the embedded PostgreSQL's own URL,
    or, for a local TCP server, the same server through its socket (None if it has none)."""
    url = servers.test_database_url()  # (imported as a module: pytest would collect it)
    parts = urlsplit(url)
    if not parts.hostname:
        return url  # already a socket directory (pgserver)
    if (
        parts.hostname not in ("127.0.0.1", "localhost")
        or not (SOCKET_DIR / f".s.PGSQL.{parts.port or 5432}").exists()
    ):
        return None
    query = urlencode({"host": str(SOCKET_DIR), "port": parts.port or 5432})
    return f"postgresql://{parts.username or ''}@{parts.path}?{query}"


def test_a_child_process_backs_up_over_a_socket_directory_url(backup, tmp_path):
    url = socket_database_url()
    if url is None:
        pytest.skip("the test database has no local socket directory")
    file = tmp_path / "over-socket.tenant.tar.gz"

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=servers.BASE_DIR,
            env=servers.child_env(DATABASE_URL=url), capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    made = manage("tenant_backup", backup["slug"], "--output", str(file))
    assert made.returncode == 0, made.stderr
    checked = manage("tenant_restore", backup["slug"], str(file), "--check")
    assert checked.returncode == 0, checked.stderr
    assert "whole" in checked.stdout
    counts = {table["name"]: table["rows"] for table in read_manifest(file)["tables"]}
    assert counts == {table: rows for table, (rows, _) in backup["before"].items()}
