from django.urls import path

from apps.platform.partners.views import PartnerLogin, PayoutCsv, PortalHome

app_name = "partners"
urlpatterns = [
    path("", PortalHome.as_view(), name="home"),
    path("login/", PartnerLogin.as_view(), name="login"),
    path("payouts/<int:pk>.csv", PayoutCsv.as_view(), name="payout-csv"),
]
