"""The tenant super admin's console for users and roles."""

import pytest
from django_tenants.utils import schema_context

from apps.identity import services
from apps.identity.models import Role, RoleAssignment, User, UserSession
from tests.conftest import HostClient

pytestmark = pytest.mark.django_db
HOST = "tenant-a.localhost"


@pytest.fixture
def console(db):
    return HostClient(HOST).sign_in()


def test_users_list_shows_roles(console, tenant_a):
    with schema_context(tenant_a.schema_name):
        sam = services.user_create(username="sam", password="sam-password-1")
        services.role_grant(user=sam, role=Role.objects.get(name="Field Tech"))

    page = console.get("/admin/identity/user/").content.decode()

    assert "sam" in page
    assert "Field Tech" in page


def test_granting_a_role_in_the_user_page_goes_through_the_service(console, tenant_a):
    with schema_context(tenant_a.schema_name):
        sam = services.user_create(username="sam", password="sam-password-1")
        crm_admin = Role.objects.get(name="CRM Admin")
    page = console.get(f"/admin/identity/user/{sam.pk}/change/")
    form = page.context["adminform"].form
    data = {
        **{name: value for name, value in form.initial.items() if value is not None},
        "username": "sam",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "is_active": "on",
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-0-role": str(crm_admin.pk),
        "role_assignments-0-user": str(sam.pk),
        "browser_sessions-TOTAL_FORMS": "0",
        "browser_sessions-INITIAL_FORMS": "0",
    }
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)

    response = console.post(f"/admin/identity/user/{sam.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(tenant_a.schema_name):
        grant = RoleAssignment.objects.get(user=sam)
    assert grant.role == crm_admin
    assert grant.granted_by == "owner"


def test_roles_admin_lists_areas_and_holders(console, tenant_a):
    page = console.get("/admin/identity/role/").content.decode()

    assert "IT Manager" in page
    assert "ISP Framework, CRM" in page


def test_role_form_offers_every_area(console):
    page = console.get("/admin/identity/role/add/").content.decode()

    for label in ("ISP Framework", "Customer portal", "Technician app", "Shop"):
        assert label in page


def test_signing_out_a_browser_from_the_console(console, tenant_a):
    with schema_context(tenant_a.schema_name):
        services.user_create(username="sam", password="sam-password-1")
    browser = HostClient(HOST)
    browser.post("/login/", {"username": "sam", "password": "sam-password-1"})
    with schema_context(tenant_a.schema_name):
        session = UserSession.objects.get(user__username="sam")
        from apps.identity.admin_roles import end_deleted_sessions

    class Form:
        instance = session

    class FormSet:
        deleted_forms = [Form()]

    with schema_context(tenant_a.schema_name):
        end_deleted_sessions(FormSet())

    assert browser.get("/").status_code == 302


def test_non_staff_member_cannot_open_the_console(tenant_a):
    with schema_context(tenant_a.schema_name):
        services.user_create(username="sam", password="sam-password-1")
    client = HostClient(HOST)
    client.post("/admin/login/", {"username": "sam", "password": "sam-password-1"})

    assert client.get("/admin/identity/user/").status_code == 302


def test_another_tenants_user_is_not_in_this_console(console, tenant_b):
    with schema_context(tenant_b.schema_name):
        stranger = services.user_create(username="stranger", password="stranger-pass-1")

    page = console.get("/admin/identity/user/").content.decode()
    detail = console.get(f"/admin/identity/user/{stranger.pk}/change/")

    assert "stranger" not in page
    assert detail.status_code in (302, 404)
    with schema_context("tenant_a"):
        assert not User.objects.filter(username="stranger").exists()


def test_adding_a_user_in_the_console_goes_through_the_service(console, tenant_a):
    response = console.post(
        "/admin/identity/user/add/",
        {"username": "newbie", "password1": "Quite-Long-Pass-91", "password2": "Quite-Long-Pass-91",
         "usable_password": "true"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:1500]
    with schema_context(tenant_a.schema_name):
        from apps.core.models import AuditEntry

        newbie = User.objects.get(username="newbie")
        assert newbie.check_password("Quite-Long-Pass-91")
        assert AuditEntry.objects.filter(
            object_type="identity.user", object_id=str(newbie.pk), action="create"
        ).exists()


def test_object_permissions_are_reviewable_and_revocable_in_the_console(console, tenant_a):
    from apps.core.models import WorkerHeartbeat
    from apps.identity import objects

    with schema_context(tenant_a.schema_name):
        rep = services.user_create(username="rep", password="rep-password-1")
        row = WorkerHeartbeat.objects.create(source="s", schema_name="-", task_id="shared-1")
        objects.object_grant(user=rep, obj=row, actions=("view",))

    page = console.get("/admin/guardian/userobjectpermission/").content.decode()

    assert "rep" in page
    assert "shared-1" in page or str(row.pk) in page
