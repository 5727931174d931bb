"""JWT authentication bound to a tenant: a token works only on the host of the schema it was
issued in (DESIGN.md §9)."""

from django.db import connection
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

TENANT_CLAIM = "tenant"


def assert_token_tenant(token) -> None:
    """Refuse a token issued by another schema (same signing key, different user table)."""
    if token.get(TENANT_CLAIM) != connection.schema_name:
        raise InvalidToken("Token was not issued for this organisation")


class TenantJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        assert_token_tenant(token)
        return token
