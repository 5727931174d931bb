from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from apps.core.api.exceptions import DotMacAPIException
from apps.core.errors import ErrorCode
from apps.core.throttling import AccountLocked, LoginRateThrottle
from apps.identity.api.serializers import LogoutSerializer, MeSerializer
from apps.identity.authentication import assert_token_tenant


class TokenObtainView(TokenObtainPairView):
    """Sign in for tokens: LOGIN_RATE_PER_MINUTE per IP (shared with the sign-in page), and
    axes' lock-out of an account after repeated failures, both 429 RATE_LIMITED."""

    resource_type = "token"
    throttle_classes = [LoginRateThrottle]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # axes flags the (DRF) request it saw in authenticate(); its middleware only sees
            # the Django request, so the lock-out is answered here.
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked(request.data.get("username")) from None
            raise


class TokenRefreshView(TokenRefreshView):
    resource_type = "token"


class InvalidRefreshToken(DotMacAPIException):
    error_code = ErrorCode.NOT_AUTHENTICATED
    status_code = 401


class LogoutView(APIView):
    """Blacklist a refresh token: it can no longer be refreshed, here or anywhere."""

    permission_classes = [AllowAny]
    resource_type = "logout"

    @extend_schema(request=LogoutSerializer, responses={204: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
            assert_token_tenant(token)
            token.blacklist()
        except TokenError as exc:
            raise InvalidRefreshToken(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveAPIView):
    """The signed-in user."""

    serializer_class = MeSerializer
    resource_type = "user"

    def get_object(self):
        return self.request.user
