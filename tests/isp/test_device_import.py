"""CSV import of network devices (API and page): every row through device_create, all rows or
none, each row's errors with its line; no device limit (the plan's counts probed devices); the
file's bounds; another tenant's sites and devices unknown; who may import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.identity import services as identity
from apps.identity.models import Role
from apps.isp.constants import DEVICE_IMPORT_MAX_BYTES, DEVICE_IMPORT_MAX_ROWS
from apps.isp.models import Device, IPAddress
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.conftest import PASSWORD, TENANTS, HostClient, host_of, obtain_tokens
from tests.isp.factories import ServiceFactory
from tests.isp.network_factories import DeviceFactory, IPAddressFactory, SiteFactory
from tests.isp.pages_data import make_user, sign_in

pytestmark = pytest.mark.django_db
IMPORT = "/api/v1/isp/devices/import/"
PAGE = "/isp/network/devices/import/"

GOOD = """name,role,vendor,model,serial,mac,site,parent,status,management_ip,description
core-1,router,MikroTik,CCR2004,MT0001,00:1a:2b:3c:4d:01,Leeds POP,,active,10.9.0.1,Core
olt-1,OLT,Huawei,MA5800,HW0001,,Leeds POP,core-1,planned,,Street cabinet 3
ont-1,cpe,Huawei,HG8245,HW0002,00:1a:2b:3c:4d:02,,olt-1,,,
"""


def names(tenant) -> list[str]:
    with schema_context(tenant.schema_name):
        return sorted(Device.objects.values_list("name", flat=True))


def by_row(response) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for detail in response.json()["error"]["details"]:
        rows.setdefault(detail["field"], []).append(detail["message"])
    return rows


@pytest.fixture
def network_a(tenant_a):
    """Tenant A's Leeds POP and the management address of core-1 in IPAM."""
    with schema_context(tenant_a.schema_name):
        site = SiteFactory(name="Leeds POP")
        address = IPAddressFactory(address="10.9.0.1")
    return site, address


def limit_devices(tenant, limit: int, capture) -> None:
    with capture(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
            limits={"isp.max_devices": limit}, actor="test",
        )  # fmt: skip


# --- API ---------------------------------------------------------------------------------------


def test_a_valid_file_imports_every_device_with_its_site_uplink_and_address(
    api_a, tenant_a, network_a
):
    site, address = network_a

    response = api_a.post_json(IMPORT, {"csv": GOOD})

    assert response.status_code == 200, response.content
    result = response.json()["data"]["attributes"]
    assert (result["kind"], result["rows"], result["created"], result["ok"]) == (
        "devices", 3, 3, True
    )  # fmt: skip
    assert result["errors"] == []
    with schema_context(tenant_a.schema_name):
        core = Device.objects.get(name="core-1")
        olt = Device.objects.get(name="olt-1")
        ont = Device.objects.get(name="ont-1")
        assert (core.site, core.management_ip, core.parent, str(core.mac)) == (
            site, address, None, "00:1a:2b:3c:4d:01"
        )  # fmt: skip
        assert IPAddress.objects.get(pk=address.pk).device == core
        assert (olt.role, olt.status, olt.parent, olt.description) == (
            "olt", "planned", core, "Street cabinet 3"
        )  # fmt: skip
        assert (ont.role, ont.status, ont.parent, ont.site) == ("cpe", "active", olt, None)
        audited = AuditEntry.objects.filter(action="create", object_type="isp.device")
        assert sorted(audited.values_list("object_id", flat=True)) == sorted(
            str(d.pk) for d in (core, olt, ont)
        )


def test_a_dry_run_checks_every_row_through_the_service_and_writes_nothing(
    api_a, tenant_a, network_a
):
    response = api_a.post_json(IMPORT, {"csv": GOOD, "dry_run": True})

    assert response.status_code == 200, response.content
    result = response.json()["data"]["attributes"]
    assert (result["rows"], result["created"], result["ok"]) == (3, 0, True)
    assert names(tenant_a) == []
    with schema_context(tenant_a.schema_name):
        assert not AuditEntry.objects.filter(object_type="isp.device").exists()


def test_each_bad_rows_errors_are_told_with_its_line_and_nothing_is_written(
    api_a, tenant_a, network_a
):
    with schema_context(tenant_a.schema_name):
        DeviceFactory(name="existing")
        served = IPAddressFactory(address="10.9.0.7", service=ServiceFactory())
    text = (
        "name,role,site,parent,management_ip,mac,status\n"
        "ok-1,router,Leeds POP,existing,10.9.0.1,,\n"  # line 2: fine
        "bad-role,toaster,,,,,\n"  # line 3
        "no-site,switch,Atlantis,,,,\n"  # line 4
        "no-uplink,switch,,ghost,,,\n"  # line 5
        "no-address,switch,,,10.9.9.9,,\n"  # line 6
        f"stolen,switch,,,{served.address},,\n"  # line 7
        "bad-mac,switch,,,,not-a-mac,\n"  # line 8
        "existing,switch,,,,,\n"  # line 9: the name is taken
        "ok-1,switch,,,,,\n"  # line 10: twice in the file
        "later,switch,,ok-2,,,\n"  # line 11: its uplink comes after it
        "ok-2,switch,,,,,sleeping\n"  # line 12
        "not-an-ip,switch,,,10.9.0.300,,\n"  # line 13
    )

    response = api_a.post_json(IMPORT, {"csv": text})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "nothing was imported" in error["message"]
    rows = by_row(response)
    assert set(rows) == {f"row {n}" for n in range(3, 14)}, rows
    assert any(m.startswith("role:") for m in rows["row 3"])
    assert rows["row 4"] == ["site: no site named 'Atlantis'."]
    assert rows["row 5"] == ["parent: no device named 'ghost'."]
    assert rows["row 6"] == ["management_ip: 10.9.9.9 is not in IPAM: add the address first."]
    assert rows["row 7"] == [
        f"management_ip: {served.address} is assigned to a subscriber's service."
    ]
    assert [m.split(":")[0] for m in rows["row 8"]] == ["mac"]
    assert [m.split(":")[0] for m in rows["row 9"]] == ["name"]
    assert rows["row 10"] == ["name: ok-1 appears twice in the file (line 2)."]
    assert "later line (12)" in rows["row 11"][0]
    assert [m.split(":")[0] for m in rows["row 12"]] == ["status"]
    assert rows["row 13"] == ["management_ip: '10.9.0.300' is not an IP address."]
    assert names(tenant_a) == ["existing"]


def test_one_bad_row_of_four_and_none_is_imported(api_a, tenant_a, network_a):
    text = "name,role\nr-1,router\nr-2,router\nr-3,toaster\nr-4,router\n"

    response = api_a.post_json(IMPORT, {"csv": text})

    assert response.status_code == 400
    assert list(by_row(response)) == ["row 4"]
    assert names(tenant_a) == []
    with schema_context(tenant_a.schema_name):
        assert not AuditEntry.objects.filter(object_type="isp.device").exists()


def test_an_uplink_whose_row_is_refused_is_named_on_the_rows_behind_it(api_a, tenant_a):
    text = "name,role,parent\ncore,toaster,\nedge,switch,core\n"

    response = api_a.post_json(IMPORT, {"csv": text, "dry_run": True})

    assert response.status_code == 200
    errors = response.json()["data"]["attributes"]["errors"]
    assert errors[1] == {
        "field": "row 3", "message": "parent: core (line 2) is not imported: fix its errors first."
    }  # fmt: skip
    assert names(tenant_a) == []


def test_the_plans_device_limit_counts_probed_devices_so_an_import_is_not_limited(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    """`isp.max_devices` counts the devices monitoring probes: an inventory import adds no
    probed device, so a file larger than the limit is imported whole."""
    limit_devices(tenant_a, 3, django_capture_on_commit_callbacks)
    with schema_context(tenant_a.schema_name):
        DeviceFactory(name="existing")
    text = "name,role,status\nr-1,router,\nr-2,router,\nr-3,router,\nr-4,router,retired\n"

    imported = api_a.post_json(IMPORT, {"csv": text})

    assert imported.status_code == 200, imported.content
    assert names(tenant_a) == ["existing", "r-1", "r-2", "r-3", "r-4"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name,role\n" + "r,router\n" * 200_000, "larger than 1 MB"),
        ("name,role\n" + "".join(f"r-{n},router\n" for n in range(DEVICE_IMPORT_MAX_ROWS + 1)),
         f"At most {DEVICE_IMPORT_MAX_ROWS} rows"),
        ("name,role\n", "no rows"),
        ("name,role,colour\nr-1,router,red\n", "Unknown columns: colour"),
    ],
    ids=["too-large", "too-many-rows", "no-rows", "unknown-column"],
)  # fmt: skip
def test_a_file_out_of_bounds_or_not_csv_is_a_400_naming_the_problem(
    api_a, tenant_a, text, problem
):
    assert len(text.encode()) < 3 * 1024 * 1024  # under the request's own limit (413)

    response = api_a.post_json(IMPORT, {"csv": text})

    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == "file"
    assert problem in error["details"][0]["message"]
    assert names(tenant_a) == []


def test_nul_bytes_are_refused_by_the_api_and_the_page(api_a, client_a, tenant_a):
    text = "name,role\nr-1,rou\x00ter\n"

    api = api_a.post_json(IMPORT, {"csv": text})
    page = upload(client_a.sign_in(), text)

    assert api.status_code == 400
    assert api.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.json()["error"]["details"][0]["field"] == "csv"  # DRF refuses NUL in any text
    assert page.status_code == 400
    assert "The file is not CSV text (it holds NUL characters)." in page.content.decode()
    assert names(tenant_a) == []


def test_the_page_refuses_a_file_past_its_size_bound(client_a, tenant_a):
    text = "name,role\n" + "r,router\n" * (DEVICE_IMPORT_MAX_BYTES // 9 + 1)

    page = upload(client_a.sign_in(), text)

    assert page.status_code == 400
    assert "The file is larger than 1 MB." in page.content.decode()


def test_another_tenants_sites_and_devices_are_not_found(api_a, tenant_a, tenant_b):
    with schema_context(tenant_b.schema_name):
        SiteFactory(name="Bradford POP")
        DeviceFactory(name="b-core")
        IPAddressFactory(address="10.77.0.1")
    text = "name,role,site,parent,management_ip\nedge,switch,Bradford POP,b-core,10.77.0.1\n"

    response = api_a.post_json(IMPORT, {"csv": text})

    assert response.status_code == 400
    assert by_row(response) == {"row 2": [
        "site: no site named 'Bradford POP'.",
        "parent: no device named 'b-core'.",
        "management_ip: 10.77.0.1 is not in IPAM: add the address first.",
    ]}  # fmt: skip
    assert names(tenant_a) == []
    assert names(tenant_b) == ["b-core"]


@pytest.fixture
def field_tech_a(tenant_a):
    """Tenant A's user whose only role (Field Tech) does not open the ISP staff area, where
    devices are added."""
    with schema_context(tenant_a.schema_name):
        user = identity.user_create(username="tom", password=PASSWORD)
        identity.role_grant(user=user, role=Role.objects.get(name="Field Tech"))
    return user


def test_a_user_who_may_not_add_devices_may_not_import_them(client_a, tenant_a, field_tech_a):
    api = HostClient(host_of(TENANTS["a"]))
    api.authenticate(obtain_tokens(api, "tom", PASSWORD)["access"])
    page = sign_in(HostClient(host_of(TENANTS["a"])), "tom")

    create = api.post_json("/api/v1/isp/devices/", {"name": "r-1", "role": "router"})
    refused = api.post_json(IMPORT, {"csv": "name,role\nr-1,router\n"})
    upload = page.post(PAGE, {"file": SimpleUploadedFile("d.csv", b"name,role\nr-1,router\n")})
    anonymous = client_a.post_json(IMPORT, {"csv": "name,role\nr-1,router\n"})

    assert create.status_code == 403
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
    assert upload.status_code == 403
    assert page.get(PAGE).status_code == 403
    assert anonymous.status_code == 401
    assert names(tenant_a) == []


def test_a_tenant_without_isp_gets_app_not_subscribed(client_c):
    api = client_c.authenticate(obtain_tokens(client_c)["access"])

    response = api.post_json(IMPORT, {"csv": "name,role\nr-1,router\n"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"


# --- Page --------------------------------------------------------------------------------------


@pytest.fixture
def staff_a(client_a):
    return client_a.sign_in()


def upload(client, text: str):
    return client.post(PAGE, {"file": SimpleUploadedFile("devices.csv", text.encode())})


def test_the_device_list_links_to_the_import_and_its_template(staff_a, tenant_a):
    listed = staff_a.get("/isp/network/devices/").content.decode()
    form = staff_a.get(PAGE)
    template = staff_a.get("/isp/network/devices/import/devices.csv")

    assert f'href="{PAGE}"' in listed
    assert form.status_code == 200
    assert 'href="/isp/network/devices/import/devices.csv"' in form.content.decode()
    assert template["Content-Type"].startswith("text/csv")
    header = template.content.decode().splitlines()[0]
    assert (
        header == "name,role,vendor,model,serial,mac,site,parent,status,management_ip,description"
    )


def test_the_page_previews_then_imports_on_confirmation(staff_a, tenant_a, network_a):
    preview = upload(staff_a, GOOD)
    after_preview = names(tenant_a)
    confirm = staff_a.post(PAGE, {"confirm": "1"})

    assert preview.status_code == 200
    body = preview.content.decode()
    assert "Import 3 devices" in body
    assert "Leeds POP" in body
    assert after_preview == []
    assert confirm.status_code == 302
    assert confirm["Location"] == "/isp/network/devices/"
    assert names(tenant_a) == ["core-1", "olt-1", "ont-1"]
    with schema_context(tenant_a.schema_name):
        assert Device.objects.get(name="olt-1").parent.name == "core-1"
        assert str(Device.objects.get(name="core-1").management_ip.address) == "10.9.0.1"


def test_the_page_previews_each_rows_errors_and_imports_nothing(staff_a, tenant_a, network_a):
    text = "name,role,site\nr-1,router,Leeds POP\nr-2,router,Atlantis\nr-3,toaster,\nr-4,router,\n"

    preview = upload(staff_a, text)
    confirm = staff_a.post(PAGE, {"confirm": "1"})

    assert preview.status_code == 400
    body = preview.content.decode()
    assert "2 problem(s) found: nothing will be imported" in body
    assert "site: no site named &#x27;Atlantis&#x27;." in body
    assert "role: Value &#x27;toaster&#x27; is not a valid choice." in body
    assert "Import 4 devices" not in body  # no confirm button
    assert confirm.status_code == 302  # nothing pending: back to the upload form
    assert confirm["Location"] == PAGE
    assert names(tenant_a) == []


def test_the_page_refuses_a_file_that_is_not_text(staff_a, tenant_a):
    binary = staff_a.post(PAGE, {"file": SimpleUploadedFile("d.csv", b"\xff\xfe\x00bin")})

    assert binary.status_code == 400
    assert "The file is not UTF-8 text." in binary.content.decode()
    assert names(tenant_a) == []


def test_the_page_answers_a_user_without_an_isp_role_403(client_a, in_tenant_a):
    make_user("mike", "Sales Rep")

    response = sign_in(client_a, "mike").get(PAGE)

    assert response.status_code == 403
