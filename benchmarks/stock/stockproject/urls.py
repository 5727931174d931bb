from catalog.views import ItemViewSet
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenObtainPairView

router = DefaultRouter()
router.register("items", ItemViewSet)

urlpatterns = [
    path("health/live", lambda request: JsonResponse({"ok": True})),
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/", include(router.urls)),
]
