from django.urls import path

from apps.platform.billing.views import BillingHome, InvoicePage

app_name = "billing"
urlpatterns = [
    path("", BillingHome.as_view(), name="home"),
    path("invoices/<int:pk>/", InvoicePage.as_view(), name="invoice"),
]
