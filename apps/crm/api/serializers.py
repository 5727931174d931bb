"""API representations of CRM records. Writes go through apps.crm.services (see views)."""

from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, DateField, ModelSerializer
from apps.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, StageChange
from apps.crm.models.base import normalise_tags
from apps.identity.models import User

OWNED_FIELDS = ["owner", "owner_name", "tags", "created_at", "updated_at"]


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


class CrmRecordSerializer(ModelSerializer):
    """Owner (writable by id; blank: the requesting user) and tags, for every owned record.
    The services check that the requester may give it and sees the records it names."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    owner_name = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)

    def get_owner_name(self, obj) -> str:
        return _name(obj.owner)

    def validate_tags(self, value):
        return normalise_tags(value)


class PartyLinkSerializer(serializers.Serializer):
    app = serializers.CharField(help_text="The other app's key, e.g. isp.")
    ref = serializers.CharField(help_text="The linked record's id in that app.")


class AccountSerializer(CrmRecordSerializer):
    contact_count = serializers.IntegerField(read_only=True)
    links = PartyLinkSerializer(
        source="party_links", many=True, read_only=True,
        help_text="The records of other apps that are this account (link-party).",
    )  # fmt: skip

    class Meta:
        model = Account
        fields = ["id", "name", "domain", "website", "industry", "email", "phone", "street",
                  "city", "postal_code", "region", "country", "description", "links",
                  "contact_count", *OWNED_FIELDS]  # fmt: skip


class ContactSerializer(CrmRecordSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "account", "account_name", "first_name", "last_name", "full_name",
                  "title", "email", "phone", "street", "city", "postal_code", "region",
                  "country", "notes", *OWNED_FIELDS]  # fmt: skip


class LeadSerializer(CrmRecordSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "first_name", "last_name", "full_name", "company", "title", "email",
                  "phone", "website", "source", "status", "score", "notes", "converted_at",
                  "converted_account", "converted_contact", "converted_opportunity",
                  *OWNED_FIELDS]  # fmt: skip
        read_only_fields = ["converted_at", "converted_account", "converted_contact",
                            "converted_opportunity"]  # fmt: skip


class OpportunitySerializer(CrmRecordSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    probability = serializers.IntegerField(source="stage.probability", read_only=True)
    weighted_amount = serializers.SerializerMethodField()
    currency = CurrencyField(help_text="Currency of the amounts (the organisation's).")
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), required=False, help_text="Blank: the first open stage."
    )

    class Meta:
        model = Opportunity
        fields = ["id", "name", "account", "account_name", "contact", "stage", "stage_name",
                  "probability", "amount", "weighted_amount", "currency", "expected_close_date",
                  "lost_reason", "closed_at", "lead", "description", *OWNED_FIELDS]  # fmt: skip
        read_only_fields = ["closed_at", "lead"]

    def get_weighted_amount(self, obj) -> str:
        return f"{obj.amount * obj.stage.probability / 100:.2f}"


class ActivitySerializer(CrmRecordSerializer):
    class Meta:
        model = Activity
        fields = ["id", "kind", "subject", "body", "due_at", "done", "done_at", "account",
                  "contact", "lead", "opportunity", *OWNED_FIELDS]  # fmt: skip
        read_only_fields = ["done_at"]


class StageSerializer(ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "position", "probability", "kind"]


class StageChangeSerializer(ModelSerializer):
    changed_by = serializers.SerializerMethodField()

    class Meta:
        model = StageChange
        fields = ["id", "from_name", "to_name", "amount", "changed_by", "changed_at"]

    def get_changed_by(self, obj) -> str:
        return _name(obj.changed_by) if obj.changed_by else ""


# --- Inputs of named actions -------------------------------------------------------------------


class ConvertInput(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False)
    create_new = serializers.BooleanField(default=False)
    create_opportunity = serializers.BooleanField(default=True)
    opportunity_name = serializers.CharField(required=False, default="", allow_blank=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    expected_close_date = DateField(required=False)
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), required=False, help_text="An open stage."
    )


class MoveInput(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    lost_reason = serializers.CharField(required=False, default="", allow_blank=True)


class StartProjectInput(serializers.Serializer):
    template = serializers.IntegerField(min_value=1, help_text="A Project Management template.")
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True,
                                 help_text="Default: the opportunity's name.")  # fmt: skip


class StartedProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="The project's page.")


class ReassignInput(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    cascade = serializers.BooleanField(default=False)


class ShareInput(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class LinkPartyInput(serializers.Serializer):
    app = serializers.CharField(max_length=20, help_text="The other app's key, e.g. isp.")
    ref = serializers.CharField(allow_blank=True, max_length=64, help_text="Blank: unlink.")


# --- Report rows (read only; documented in the OpenAPI schema) ---------------------------------


class PipelineRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The stage's name.")
    stage = serializers.CharField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2)
    note = serializers.CharField()


class ForecastRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The month's label.")
    month = serializers.CharField(help_text='e.g. "Mar 2027"')
    weighted = serializers.DecimalField(max_digits=16, decimal_places=2)
    note = serializers.CharField()


class WinRateSerializer(serializers.Serializer):
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="% of closed deals won")
    won_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    lost_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    amount_rate = serializers.FloatField(allow_null=True)


class ConversionRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The lead source.")
    source = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    converted = serializers.IntegerField()
    rate = serializers.FloatField()


class DuplicateSerializer(serializers.Serializer):
    """An existing account or contact a lead matches (apps.crm.selectors.lead_duplicates)."""

    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["account", "contact"])
    name = serializers.CharField()
    domain = serializers.CharField(required=False, help_text="An account's domain.")
    email = serializers.CharField(required=False, help_text="A contact's email.")
    account = serializers.IntegerField(
        required=False, allow_null=True, help_text="A contact's account."
    )
