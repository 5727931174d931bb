from django.db import connection
from rest_framework import serializers
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.api.serializers import ModelSerializer
from apps.identity.access import openable_areas, role_profile
from apps.identity.authentication import TENANT_CLAIM, assert_token_tenant
from apps.identity.models import User


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    """Username + password → access and refresh tokens that carry the tenant's schema."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[TENANT_CLAIM] = connection.schema_name
        return token


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    """Rotate a refresh token, refusing one issued by another tenant."""

    def validate(self, attrs):
        assert_token_tenant(RefreshToken(attrs["refresh"], verify=True))
        return super().validate(attrs)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class MeSerializer(ModelSerializer):
    """The signed-in user: who, in which organisation, with which roles, apps and permissions."""

    tenant = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    apps = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "username", "email", "first_name", "last_name", "is_superuser", "last_login",
            "tenant", "roles", "apps", "permissions",
        ]  # fmt: skip
        read_only_fields = fields

    def get_tenant(self, user) -> str:
        return connection.schema_name

    def get_roles(self, user) -> list[str]:
        return list(role_profile(user).roles)

    def get_apps(self, user) -> list[str]:
        """The app areas this user may open now (licensed and granted)."""
        return [area.key for area in openable_areas(user)]

    def get_permissions(self, user) -> list[str]:
        """Permission codenames ("app_label.codename"); ["*"] for a super admin."""
        return ["*"] if user.is_superuser else sorted(user.get_all_permissions())
