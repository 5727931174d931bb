"""Personal data encrypted at rest (apps.core.encryption): what the columns hold, the round trip
through the ORM, the API and the admin, key rotation with `reencrypt_fields`, the wrong key,
blind-index search where lists searched before, blank values, the plaintext length limit, the
audit trail, and the settings that refuse to start without keys."""

import json
import os
import subprocess
import sys
from io import StringIO
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from apps.commerce.models import ShopperAddress
from apps.core.encryption import (
    BlindIndexField,
    DecryptionError,
    blind_index,
    encrypted_fields,
    is_token,
)
from apps.core.models import AuditEntry
from apps.crm.models import Account, Contact, Lead
from apps.identity.models import User
from apps.isp.models import (
    BillingSettings,
    Customer,
    CustomerContact,
    Device,
    Monitor,
    Nas,
    RadiusLogin,
    Service,
)
from apps.platform.billing.models import BillingAccount
from apps.platform.tenants.models import Tenant
from tests.commerce import factories as commerce_factories
from tests.conftest import HostClient, obtain_tokens
from tests.crm.conftest import People
from tests.isp.api_factories import ContactFactory, CustomerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

PHONE = "+44 20 7946 0958"
DIGITS = "442079460958"
KEY_B = Fernet.generate_key().decode()
KEY_C = Fernet.generate_key().decode()


def raw(model, pk, column):
    """The column as stored, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "{column}" FROM "{model._meta.db_table}" WHERE "{model._meta.pk.column}" = %s',
            [pk],
        )
        return cursor.fetchone()[0]


def assert_hidden(model, pk, column, plaintext):
    stored = raw(model, pk, column)
    assert is_token(stored), f"{model.__name__}.{column} is not a Fernet token: {stored!r}"
    assert plaintext not in stored
    digits = "".join(ch for ch in plaintext if ch.isdigit())
    if len(digits) >= 3:
        assert digits not in stored


def owner():
    return User.objects.get(username="owner")


def every_encrypted_record():
    """One record of every model with encrypted fields, each encrypted field set to a value of
    its own (made through the services or the ORM)."""
    values = {}

    def fill(model, prefix):
        return {
            f.name: f"{prefix} {f.name[:3]} 7946 0958"[: f.max_length]
            for f in encrypted_fields(model)
        }

    customer_values = fill(Customer, "Cust")
    customer_values["phone"] = "+44 20 7946 1111"
    customer = CustomerFactory(**customer_values)
    values[customer] = customer_values
    contact = ContactFactory(customer=customer, phone="+44 20 7946 2222")
    values[contact] = {"phone": "+44 20 7946 2222"}
    service_values = {**fill(Service, "Serv"), "install_postcode": "LS1 4AB"}
    service = ServiceFactory(customer=customer, **service_values)
    values[service] = service_values
    settings_row = BillingSettings.objects.get(id=1)
    settings_row.company_tax_id = "GB 123 4567 89"
    settings_row.save()
    values[settings_row] = {"company_tax_id": "GB 123 4567 89"}
    account_values = {**fill(Account, "Acct"), "phone": "+1 555 0100"}
    account = Account.objects.create(owner=owner(), name="Acme", **account_values)
    values[account] = account_values
    contact_values = {**fill(Contact, "Pers"), "phone": "+1 555 0111"}
    person = Contact.objects.create(
        owner=owner(), account=account, last_name="Lee", **contact_values
    )
    values[person] = contact_values
    lead = Lead.objects.create(owner=owner(), last_name="Ng", phone="+1 555 0122")
    values[lead] = {"phone": "+1 555 0122"}
    nas = Nas.objects.create(name="BNG", address="192.0.2.1", secret="nas secret 7946 0958")
    values[nas] = {"secret": "nas secret 7946 0958"}
    login = RadiusLogin.objects.create(service=service, username="ann", password="pw 7946 0958")
    values[login] = {"password": "pw 7946 0958"}
    order = commerce_factories.order()
    order.shipping_address = "7946 Shop Street, Leeds LS1 0958"
    order.save(update_fields=["shipping_address"])
    values[order] = {"shipping_address": "7946 Shop Street, Leeds LS1 0958"}
    saved = ShopperAddress.objects.create(
        customer=User.objects.create(username="shopper-7946"), address="7946 Saved Road, York"
    )
    values[saved] = {"address": "7946 Saved Road, York"}
    billing = {"address": "7946 Billing Road, Leeds", "tax_id": "GB 7946 0958",
               "payment_token": "4242 7946 0958 4242"}  # fmt: skip
    tenant = Tenant.objects.get(schema_name=connection.schema_name)
    account, _ = BillingAccount.objects.update_or_create(tenant=tenant, defaults=billing)
    values[account] = billing
    monitor = Monitor.objects.create(device=Device.objects.create(name="snmp-7946", role="router"),
                                     snmp_community="community 7946 0958")  # fmt: skip
    values[monitor] = {"snmp_community": "community 7946 0958"}
    return values


def test_every_encrypted_column_holds_a_token_without_the_plaintext_or_its_digits(in_tenant_a):
    records = every_encrypted_record()
    covered = {type(record) for record in records}
    assert covered == {model for model in apps.get_models() if encrypted_fields(model)}

    for record, values in records.items():
        model = type(record)
        assert set(values) == {f.name for f in encrypted_fields(model)}
        for name, plaintext in values.items():
            assert_hidden(model, record.pk, model._meta.get_field(name).column, plaintext)
        fresh = model.objects.get(pk=record.pk)
        assert {name: getattr(fresh, name) for name in values} == values


def test_the_blind_index_is_a_keyed_hash_of_the_normalised_value(in_tenant_a):
    customer = CustomerFactory(phone=PHONE)

    stored = raw(Customer, customer.pk, "phone_hash")
    assert stored == blind_index("0044 (20) 7946-0958", "phone")
    assert DIGITS not in stored
    assert len(stored) == 64
    with override_settings(FIELD_HASH_KEY="another-hash-key-of-at-least-32-characters"):
        assert blind_index(PHONE, "phone") != stored
    assert list(Customer.objects.filter(phone__in=["+1 555 0100", DIGITS])) == [customer]
    assert not Customer.objects.filter(phone__in=["letters only"]).exists()


def test_blank_stays_blank_and_null_stays_null(in_tenant_a):
    customer = CustomerFactory(phone="", service_street="", service_city="")

    assert raw(Customer, customer.pk, "phone") == ""
    assert raw(Customer, customer.pk, "phone_hash") == ""
    assert raw(Customer, customer.pk, "service_street") == ""
    assert Customer.objects.get(pk=customer.pk).phone == ""
    assert Customer.objects.filter(pk=customer.pk, phone="").exists()
    assert not Customer.objects.filter(pk=customer.pk, phone__isnull=True).exists()


def test_the_api_round_trip_stores_tokens_and_answers_plaintext(api_a, tenant_a):
    response = api_a.post_json(
        "/api/v1/isp/customers/",
        {"name": "Ada", "email": "ada@example.com", "phone": PHONE,
         "service_street": "12 Analytical Row", "billing_postcode": "NW1 6XE"},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    data = response.json()["data"]

    assert (
        api_a.get(f"/api/v1/isp/customers/{data['id']}/").json()["data"]["attributes"]["phone"]
        == PHONE
    )
    with schema_context(tenant_a.schema_name):
        assert_hidden(Customer, data["id"], "phone", PHONE)
        assert_hidden(Customer, data["id"], "service_street", "12 Analytical Row")
        assert_hidden(Customer, data["id"], "billing_postcode", "NW1 6XE")


def test_the_plaintext_length_is_what_is_limited_and_too_long_writes_nothing(api_a, tenant_a):
    street = "x" * 200  # its token is far longer than 200 characters: the column is text
    ok = api_a.post_json(
        "/api/v1/isp/customers/",
        {"name": "Ada", "email": "a@example.com", "service_street": street},
    )
    too_long = api_a.post_json(
        "/api/v1/isp/customers/",
        {"name": "Bo", "email": "b@example.com", "service_street": street + "x"},
    )  # noqa: E501
    # fmt: skip

    assert ok.status_code == 201
    assert too_long.status_code == 400
    error = too_long.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == ["service_street"]
    with schema_context(tenant_a.schema_name):
        assert not Customer.objects.filter(email="b@example.com").exists()
        assert len(raw(Customer, ok.json()["data"]["id"], "service_street")) > 200
        assert Customer.objects.get(email="a@example.com").service_street == street


def test_the_admin_shows_plaintext_saves_a_token_and_searches_the_whole_number(tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = CustomerFactory(name="Phoebe Phone", phone=PHONE, service_city="Leeds")
    console = HostClient("tenant-a.localhost").sign_in()

    form = console.get(f"/admin/isp/customer/{customer.pk}/change/").content.decode()
    assert PHONE in form
    assert "Leeds" in form
    for query in (PHONE, DIGITS, "+44-20-7946-0958"):
        listed = console.get(f"/admin/isp/customer/?q={quote(query)}").content.decode()
        assert "Phoebe Phone" in listed, query
    assert "Phoebe Phone" not in console.get("/admin/isp/customer/?q=7946").content.decode()


def test_an_admin_save_stores_tokens_and_reads_back_what_was_typed(tenant_a):
    console = HostClient("tenant-a.localhost").sign_in()
    form = {"kind": "residential", "name": "Admin Added", "email": "added@example.com",
            "billing_day": "1", "phone": PHONE, "billing_street": "3 Console Way",
            "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"}  # fmt: skip

    response = console.post("/admin/isp/customer/add/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(tenant_a.schema_name):
        customer = Customer.objects.get(email="added@example.com")
        assert (customer.phone, customer.billing_street) == (PHONE, "3 Console Way")
        assert_hidden(Customer, customer.pk, "phone", PHONE)
        assert_hidden(Customer, customer.pk, "billing_street", "3 Console Way")
        assert raw(Customer, customer.pk, "phone_hash") == blind_index(PHONE, "phone")
    too_long = console.post(
        "/admin/isp/customer/add/",
        {**form, "email": "long@example.com", "billing_street": "x" * 201},
    )
    assert too_long.status_code == 200  # the form again, with the error
    assert "at most 200 characters" in too_long.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not Customer.objects.filter(email="long@example.com").exists()


def search_ids(client, path, query):
    response = client.get(f"{path}?search={quote(query)}")
    assert response.status_code == 200, response.json()
    return {int(row["id"]) for row in response.json()["data"]}


def test_api_search_finds_a_phone_by_its_whole_number_in_this_tenant_only(
    api_a, tenant_a, tenant_b, client_b
):
    with schema_context(tenant_a.schema_name):
        mine = CustomerFactory(phone=PHONE)
        contact = ContactFactory(customer=mine, phone="+44 113 496 0000")
        CustomerFactory(phone="+44 20 7946 0000")
    with schema_context(tenant_b.schema_name):
        theirs = CustomerFactory(phone=PHONE)
    api_b = HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])

    customers = "/api/v1/isp/customers/"
    for query in (PHONE, DIGITS, "0044 20 7946 0958"):
        assert search_ids(api_a, customers, query) == {mine.pk}, query
    assert search_ids(api_a, customers, "7946") == set()  # no substring search any more
    assert search_ids(api_a, "/api/v1/isp/customer-contacts/", "+44 113 496 0000") == {contact.pk}
    assert search_ids(api_b, customers, PHONE) == {theirs.pk}


def test_a_user_without_isp_cannot_search_customers_by_phone(tenant_a):
    with schema_context(tenant_a.schema_name):
        CustomerFactory(phone=PHONE)
    crew = People(tenant_a)
    crew.add("salesrep", "Sales Rep")

    response = crew.api("salesrep").get(f"/api/v1/isp/customers/?search={quote(PHONE)}")

    assert response.status_code == 403
    assert PHONE not in response.content.decode()


def test_the_customer_page_finds_a_phone_and_services_are_found_by_postcode(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = CustomerFactory(name="Page Person", phone=PHONE)
        service = ServiceFactory(customer=customer, install_postcode="LS1 4AB")
        ServiceFactory(install_postcode="LS1 4AC")
    console = HostClient("tenant-a.localhost").sign_in()

    page = console.get(f"/isp/customers/?q={quote(PHONE)}")
    assert page.status_code == 200
    assert "Page Person" in page.content.decode()
    assert "Page Person" not in console.get("/isp/customers/?q=0958").content.decode()
    assert search_ids(api_a, "/api/v1/isp/services/", "ls14ab") == {service.pk}


def test_crm_search_and_filters_match_phone_and_city_by_exact_value(tenant_a):
    crew = People(tenant_a)
    crew.add("rep", "Sales Rep")
    with schema_context(tenant_a.schema_name):
        account = Account.objects.create(owner=crew["rep"], name="Leeds Ltd", city="Leeds",
                                         phone="+44 113 496 0001")  # fmt: skip
        Account.objects.create(owner=crew["rep"], name="Leighton Ltd", city="Leighton")
        contact = Contact.objects.create(owner=crew["rep"], account=account, last_name="Hale",
                                         phone="+44 113 496 0002")  # fmt: skip
        lead = Lead.objects.create(owner=crew["rep"], last_name="Ng", phone="+1 555 0199")
    api = crew.api("rep")

    assert search_ids(api, "/api/v1/crm/accounts/", "leeds") == {account.pk}
    assert search_ids(api, "/api/v1/crm/accounts/", "+44 113 496 0001") == {account.pk}
    assert search_ids(api, "/api/v1/crm/contacts/", "+44 113 496 0002") == {contact.pk}
    assert search_ids(api, "/api/v1/crm/leads/", "15550199") == {lead.pk}
    filtered = api.get("/api/v1/crm/accounts/?city=LEEDS").json()["data"]
    assert [int(row["id"]) for row in filtered] == [account.pk]
    refused = api.get("/api/v1/crm/accounts/?ordering=city")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_field_without_blind_index_refuses_lookups_instead_of_matching_nothing(in_tenant_a):
    with pytest.raises(FieldError, match="isp.Customer.service_street is encrypted"):
        list(Customer.objects.filter(service_street__icontains="Row"))
    with pytest.raises(FieldError, match="Unsupported lookup 'gt' for EncryptedCharField"):
        list(Customer.objects.filter(phone__gt="1"))


def test_rotation_new_key_first_reencrypt_then_the_old_key_can_go(in_tenant_a):
    key_a = settings.FIELD_ENCRYPTION_KEYS[0]
    customer = CustomerFactory(phone=PHONE, service_street="1 Old Key Road")
    token_a = raw(Customer, customer.pk, "phone")
    hash_a = raw(Customer, customer.pk, "phone_hash")

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, key_a]):
        assert Customer.objects.get(pk=customer.pk).phone == PHONE  # read with the old key
        out = StringIO()
        call_command("reencrypt_fields", schema=[connection.schema_name], stdout=out)
        assert "isp.Customer" in out.getvalue()
        token_b = raw(Customer, customer.pk, "phone")
        assert token_b != token_a
        assert Fernet(KEY_B).decrypt(token_b.encode()).decode() == PHONE
        again = StringIO()
        call_command("reencrypt_fields", schema=[connection.schema_name], stdout=again)
        assert "Done: " in again.getvalue()
        assert " 0 rewritten, 0 values" in again.getvalue()
        assert raw(Customer, customer.pk, "phone") == token_b  # idempotent

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        fresh = Customer.objects.get(pk=customer.pk)
        assert (fresh.phone, fresh.service_street) == (PHONE, "1 Old Key Road")
        assert Customer.objects.filter(phone=DIGITS).get() == fresh  # the index did not move
        assert raw(Customer, customer.pk, "phone_hash") == hash_a


def test_a_key_that_opens_nothing_is_a_clear_error(in_tenant_a):
    customer = CustomerFactory(phone=PHONE)

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_C]):
        with pytest.raises(DecryptionError, match=r"isp\.Customer\.phone.*FIELD_ENCRYPTION_KEYS"):
            Customer.objects.get(pk=customer.pk)
        with pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS"):
            call_command("reencrypt_fields", schema=[connection.schema_name], stdout=StringIO())
    assert Customer.objects.get(pk=customer.pk).phone == PHONE  # nothing was rewritten


def test_reencrypt_fields_encrypts_plaintext_left_from_before_and_fills_the_index(in_tenant_a):
    """What the data migrations do to the rows they find: the same code."""
    customer = CustomerFactory()
    contact = ContactFactory(customer=customer)
    with connection.cursor() as cursor:  # rows as they were before the columns were encrypted
        cursor.execute(
            "UPDATE isp_customer SET phone = %s, phone_hash = '', service_city = 'Leeds' "
            "WHERE id = %s", [PHONE, customer.pk],
        )  # fmt: skip
        cursor.execute("UPDATE isp_customercontact SET phone = '+1 555 0100' WHERE id = %s",
                       [contact.pk])  # fmt: skip

    out = StringIO()
    call_command("reencrypt_fields", schema=[connection.schema_name], batch_size=1, stdout=out)

    assert_hidden(Customer, customer.pk, "phone", PHONE)
    assert_hidden(Customer, customer.pk, "service_city", "Leeds")
    assert_hidden(CustomerContact, contact.pk, "phone", "+1 555 0100")
    assert Customer.objects.filter(phone=PHONE).get().service_city == "Leeds"
    assert CustomerContact.objects.get(pk=contact.pk).phone == "+1 555 0100"


def test_reencrypt_fields_refuses_an_unknown_schema():
    with pytest.raises(CommandError, match="No such schema: nowhere"):
        call_command("reencrypt_fields", schema=["nowhere"], stdout=StringIO())


def test_the_audit_trail_records_that_personal_fields_changed_never_their_values(api_a, tenant_a):
    created = api_a.post_json(
        "/api/v1/isp/customers/", {"name": "Ada", "email": "ada@example.com", "phone": PHONE}
    )
    customer_id = created.json()["data"]["id"]
    api_a.patch(f"/api/v1/isp/customers/{customer_id}/", {"phone": "+44 20 7946 0001"},
                content_type="application/json")  # fmt: skip

    with schema_context(tenant_a.schema_name):
        entries = AuditEntry.objects.filter(object_type="isp.customer", object_id=customer_id)
        changes = [entry.changes for entry in entries]
        assert any(change.get("phone") == [None, "***"] for change in changes)
        assert any(change.get("phone") == ["***", "***"] for change in changes)
        stored = json.dumps(changes)
        assert "7946" not in stored
        assert Customer.objects.get(pk=customer_id).phone_hash not in stored
        # the index moved with the phone (record_update saves it too)
        assert Customer.objects.filter(phone="+44 20 7946 0001").get().pk == int(customer_id)


def test_saving_an_encrypted_field_without_its_index_is_refused(in_tenant_a):
    customer = CustomerFactory(phone=PHONE)
    customer.phone = "+44 20 7946 0002"

    with pytest.raises(ValueError, match="add phone_hash"):
        customer.save(update_fields=["phone"])
    customer.save(update_fields=["phone", "phone_hash"])
    assert Customer.objects.filter(phone="+44 20 7946 0002").exists()


def test_no_list_searches_filters_or_orders_by_an_encrypted_field_without_an_index():
    """Every search, filter and ordering of the API, the admin and the pages that names an
    encrypted field goes through its blind index (a FieldError otherwise, at request time)."""
    from django.contrib import admin
    from django.urls import get_resolver

    from apps.core.encryption import _final_field
    from apps.core.kit.pages import ListPage

    def check(model, names, where, *, orderable=False):
        for name in names or ():
            field = _final_field(model, name.lstrip("^=@$-"))
            if getattr(field, "encrypted", False):
                assert not orderable, f"{where} orders by encrypted {name}"
                assert field.blind_index_field is not None, f"{where}: {name} has no index"

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield getattr(pattern.callback, "cls", None) or getattr(
                    pattern.callback, "view_class", None
                )

    seen = 0
    for view in {v for v in views(get_resolver("dotmac.urls_tenant").url_patterns) if v}:
        queryset = getattr(view, "queryset", None)
        if queryset is None:
            continue
        model = queryset.model
        check(model, getattr(view, "search_fields", ()), view.__name__)
        check(model, getattr(view, "ordering_fields", ()), view.__name__, orderable=True)
        check(model, getattr(view, "ordering", ()), view.__name__, orderable=True)
        filterset = getattr(view, "filterset_class", None)
        if filterset is not None:
            check(model, [f.field_name for f in filterset.base_filters.values()], view.__name__)
        seen += 1
    assert seen > 20
    for model, model_admin in admin.site._registry.items():
        check(model, model_admin.search_fields, type(model_admin).__name__)
        check(model, model_admin.ordering, type(model_admin).__name__, orderable=True)
    from apps.crm.views.base import KINDS
    from apps.isp.views.customers import CustomerList

    for kind in KINDS.values():
        check(kind.model, kind.search, f"CRM {kind.key} page")
    assert issubclass(CustomerList, ListPage)
    check(Customer, CustomerList.search_fields, "ISP customer page")
    for model in apps.get_models():
        check(model, model._meta.ordering, model._meta.label, orderable=True)
        for index in model._meta.indexes:
            check(model, index.fields, f"{model._meta.label} index", orderable=True)
        for f in encrypted_fields(model):
            assert not f.unique, f"{model._meta.label}.{f.name} unique"
            assert not f.db_index, f"{model._meta.label}.{f.name} indexed"
        for f in model._meta.concrete_fields:
            if isinstance(f, BlindIndexField):
                assert getattr(model._meta.get_field(f.source), "encrypted", False)


# --- Settings: refuse to start without keys --------------------------------------------------

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.FIELD_ENCRYPTION_KEYS, s.FIELD_HASH_KEY]))"
)
OURS = ("DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY")


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    return subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dotmac.settings", "SECRET_KEY": "x" * 50, **env},
    )  # fmt: skip


def test_production_refuses_to_start_without_encryption_keys():
    result = load_settings(FIELD_HASH_KEY="h" * 40)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr
    assert "Fernet.generate_key()" in result.stderr


def test_production_refuses_to_start_without_a_hash_key():
    result = load_settings(FIELD_ENCRYPTION_KEYS=KEY_B)
    assert result.returncode != 0
    assert "FIELD_HASH_KEY must be set" in result.stderr


def test_a_value_that_is_no_fernet_key_refuses_to_start():
    result = load_settings(FIELD_ENCRYPTION_KEYS=f"{KEY_B},not-a-key", FIELD_HASH_KEY="h" * 40)
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


def test_keys_are_a_comma_separated_list_and_debug_derives_stable_development_keys():
    given = load_settings(FIELD_ENCRYPTION_KEYS=f"{KEY_B},{KEY_C}", FIELD_HASH_KEY="h" * 40)
    assert json.loads(given.stdout) == [[KEY_B, KEY_C], "h" * 40]
    first, second = (json.loads(load_settings(DEBUG="1").stdout) for _ in range(2))
    assert first == second
    Fernet(first[0][0])  # a valid key
    assert len(first[1]) >= 32


def test_the_migrations_encrypt_the_plaintext_rows_a_tenant_schema_already_has(in_tenant_a):
    """Back to before the encryption (the reverse decrypts), rows written as plaintext, then
    forward again: the data migration encrypts and indexes them; inside the test transaction."""
    from django.db.migrations.executor import MigrationExecutor

    customer = CustomerFactory(phone=PHONE, service_street="7 Plain Street")
    account = Account.objects.create(owner=owner(), name="Plain Ltd", city="Leeds")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending triggers before DDL
    executor = MigrationExecutor(connection)
    before = [("isp", "0002_organisation_currency"), ("crm", "0003_party_links")]
    executor.migrate(before)

    assert raw(Customer, customer.pk, "phone") == PHONE  # decrypted back
    assert raw(Account, account.pk, "city") == "Leeds"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE isp_customer SET service_city = 'Old Town' WHERE id = %s",
                       [customer.pk])  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(
        [key for key in executor.loader.graph.leaf_nodes() if key[0] in ("isp", "crm")]
    )

    assert_hidden(Customer, customer.pk, "phone", PHONE)
    assert_hidden(Customer, customer.pk, "service_city", "Old Town")
    assert_hidden(Customer, customer.pk, "service_street", "7 Plain Street")
    assert_hidden(Account, account.pk, "city", "Leeds")
    assert Customer.objects.filter(phone=DIGITS).get().service_city == "Old Town"
    assert Account.objects.filter(city="leeds").get() == account


def test_the_party_directories_find_a_record_by_its_whole_phone_number(in_tenant_a):
    """Linking a CRM account to an ISP customer (and back) can start from a phone number."""
    from apps.crm.parties import CrmAccounts
    from apps.isp.parties import IspCustomers

    customer = CustomerFactory(name="Dial Tone", phone=PHONE)
    account = Account.objects.create(owner=owner(), name="Ring Ltd", phone="+1 555 0177")

    assert [f.ref for f in IspCustomers().search("+44 (0)20 7946 0958")] == []  # another number
    assert [f.ref for f in IspCustomers().search(DIGITS)] == [str(customer.pk)]
    assert [f.ref for f in CrmAccounts().search("+1 555 0177")] == [str(account.pk)]


def test_reencrypt_fields_visits_every_tenant_schema_by_default(in_tenant_a, tenant_b):
    CustomerFactory(phone=PHONE)
    with schema_context(tenant_b.schema_name):
        CustomerFactory(phone=PHONE)
    out = StringIO()

    call_command("reencrypt_fields", stdout=out)

    lines = out.getvalue().splitlines()
    visited = {line.split()[0] for line in lines if "isp.Customer " in line}
    assert {in_tenant_a.schema_name, tenant_b.schema_name} <= visited
    assert "public" not in visited  # a tenant app's tables live in tenant schemas only
    assert lines[-1].startswith("Done: ")


def test_an_encrypted_text_field_keeps_a_text_column_and_blank(in_tenant_a):
    from apps.core.encryption import EncryptedTextField

    field = EncryptedTextField(blank=True)
    assert field.db_type(connection) == "text"
    token = field.get_db_prep_save("a RADIUS shared secret", connection)
    assert is_token(token)
    assert field.from_db_value(token, None, connection) == "a RADIUS shared secret"
    assert field.get_db_prep_save("", connection) == ""
