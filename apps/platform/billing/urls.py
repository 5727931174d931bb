from django.urls import path

from apps.platform.billing.views import (
    AppCancelPage,
    AppExportPage,
    AppResubscribePage,
    BillingHome,
    InvoicePage,
    InvoicePdf,
    UsagePage,
)

app_name = "billing"
urlpatterns = [
    path("", BillingHome.as_view(), name="home"),
    path("usage/", UsagePage.as_view(), name="usage"),
    path("invoices/<int:pk>/", InvoicePage.as_view(), name="invoice"),
    path("invoices/<int:pk>.pdf", InvoicePdf.as_view(), name="invoice-pdf"),
    path("apps/<slug:app_key>/cancel/", AppCancelPage.as_view(), name="app-cancel"),
    path("apps/<slug:app_key>/resubscribe/", AppResubscribePage.as_view(), name="app-resubscribe"),
    path("apps/<slug:app_key>/export/", AppExportPage.as_view(), name="app-export"),
]
