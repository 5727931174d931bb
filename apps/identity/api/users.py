"""The tenant's users, for its super admins: list, invite, disable/enable, set roles."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission

from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import BaseViewSet
from apps.identity import services
from apps.identity.models import Role, User


class IsTenantSuperAdmin(BasePermission):
    message = "Only the organisation's super admins manage users."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


class UserSerializer(ModelSerializer):
    roles = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_active",
                  "is_superuser", "last_login", "date_joined", "roles"]  # fmt: skip
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    roles = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Role.objects.all(), required=False
    )


class RolesSerializer(serializers.Serializer):
    roles = serializers.SlugRelatedField(slug_field="name", many=True, queryset=Role.objects.all())


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    queryset = User.objects.prefetch_related("roles").order_by("username")
    serializer_class = UserSerializer
    permission_classes = [IsTenantSuperAdmin]
    resource_type = "user"
    filterset_fields = ["is_active", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]

    @extend_schema(request=InviteSerializer, responses={201: UserSerializer})
    @action(detail=False, methods=["post"])
    def invite(self, request):
        """Create a user who chooses their password from an emailed link."""
        data = self.validated(InviteSerializer)
        user = services.user_invite(
            email=data["email"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            roles=data.get("roles", []),
            invited_by=request.user.get_username(),
            base_url=request.build_absolute_uri("/").rstrip("/"),
            organisation=request.tenant.name,
        )
        return self.respond(user, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        """Disable the user: every session and token of theirs stops working at once."""
        return self.respond(services.user_set_active(user=self.get_object(), active=False))

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        return self.respond(services.user_set_active(user=self.get_object(), active=True))

    @extend_schema(request=RolesSerializer, responses=UserSerializer)
    @action(detail=True, methods=["put"])
    def roles(self, request, pk=None):
        """Replace the user's roles (by name)."""
        roles = self.validated(RolesSerializer)["roles"]
        user = services.user_set_roles(
            user=self.get_object(), roles=roles, granted_by=request.user.get_username()
        )
        return self.respond(user)
