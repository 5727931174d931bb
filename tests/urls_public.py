from django.urls import path

from dotmac.urls_public import urlpatterns as public_urlpatterns
from tests import views

urlpatterns = [path("test/slow/", views.slow), *public_urlpatterns]

handler500 = "apps.core.views.server_error"
