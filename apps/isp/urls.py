"""Pages of the ISP app: the staff's and the portal's, each mounted at its area's prefix (/isp/,
/portal/: apps/isp/apps.py) with the prefix as namespace."""

from django.urls import path

from apps.isp.views import customers, nas, network, portal, radius, staff

staff_patterns = [
    path("", staff.Dashboard.as_view(), name="dashboard"),
    path("customers/", customers.CustomerList.as_view(), name="customers"),
    path("customers/new/", customers.CustomerFormPage.as_view(), name="customer-create"),
    path("customers/<int:pk>/", customers.CustomerDetail.as_view(), name="customer-detail"),
    path("customers/<int:pk>/edit/", customers.CustomerFormPage.as_view(), name="customer-edit"),
    path("customers/<int:pk>/notes/", customers.CustomerNote.as_view(), name="customer-note"),
    path("customers/<int:pk>/status/", customers.CustomerStatus.as_view(),
         name="customer-status"),
    path("customers/<int:pk>/portal-access/", customers.PortalAccess.as_view(),
         name="portal-access"),
    path("customers/<int:pk>/contacts/", customers.ContactAdd.as_view(), name="contact-add"),
    path("customers/<int:pk>/contacts/<int:contact_pk>/delete/",
         customers.ContactDelete.as_view(), name="contact-delete"),
    path("customers/<int:pk>/payments/", customers.PaymentRecord.as_view(),
         name="payment-record"),
    path("customers/<int:pk>/statement/", customers.CustomerStatement.as_view(),
         name="customer-statement"),
    path("customers/<int:pk>/services/new/", staff.ServiceCreate.as_view(),
         name="service-create"),
    path("services/<int:pk>/", nas.ServiceDetail.as_view(), name="service-detail"),
    path("services/<int:pk>/top-up/", nas.ServiceTopUp.as_view(), name="service-top-up"),
    path("services/<int:pk>/change-plan/", staff.ServiceChangePlan.as_view(),
         name="service-change-plan"),
    path("services/<int:pk>/<slug:action>/", staff.ServiceAction.as_view(),
         name="service-action"),
    path("invoices/", staff.InvoiceList.as_view(), name="invoices"),
    path("invoices/<int:pk>/", staff.InvoiceDetail.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/print/", staff.InvoicePrint.as_view(), name="invoice-print"),
    path("invoices/<int:pk>/pdf/", staff.InvoicePdf.as_view(), name="invoice-pdf"),
    path("plans/", staff.PlanList.as_view(), name="plans"),
    path("billing-runs/", staff.BillingRunList.as_view(), name="billing-runs"),
    path("billing-runs/run/", staff.BillingRunNow.as_view(), name="billing-run-now"),
    path("network/", network.PrefixList.as_view(), name="prefixes"),
    path("network/prefixes/<int:pk>/", network.PrefixDetail.as_view(), name="prefix-detail"),
    path("network/prefixes/<int:pk>/allocate/", network.PrefixAllocate.as_view(),
         name="prefix-allocate"),
    path("network/addresses/", network.AddressList.as_view(), name="ip-addresses"),
    path("network/devices/", network.DeviceList.as_view(), name="devices"),
    path("network/devices/import/", network.DeviceImport.as_view(), name="device-import"),
    path("network/devices/import/devices.csv", network.DeviceImportTemplate.as_view(),
         name="device-import-template"),
    path("network/devices/<int:pk>/", network.DeviceDetail.as_view(), name="device-detail"),
    path("network/sites/", network.SiteList.as_view(), name="sites"),
    path("network/nas/", nas.NasList.as_view(), name="nas-list"),
    path("network/nas/<int:pk>/", nas.NasDetail.as_view(), name="nas-detail"),
    path("network/sessions/", nas.SessionList.as_view(), name="radius-sessions"),
    path("network/radius/changes/", radius.ChangeList.as_view(), name="radius-changes"),
    path("network/radius/changes/<int:pk>/retry/", radius.ChangeRetry.as_view(),
         name="radius-change-retry"),
]  # fmt: skip

portal_patterns = [
    path("", portal.Overview.as_view(), name="overview"),
    path("invoices/", portal.InvoiceList.as_view(), name="invoices"),
    path("invoices/<int:pk>/", portal.InvoiceDetail.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/pdf/", portal.InvoicePdf.as_view(), name="invoice-pdf"),
    path("invoices/<int:pk>/pay/", portal.InvoicePay.as_view(), name="invoice-pay"),
    path("services/<int:pk>/", portal.ServiceDetail.as_view(), name="service-detail"),
    path("services/<int:pk>/top-up/", portal.ServiceTopUp.as_view(), name="service-top-up"),
    path("payments/", portal.PaymentList.as_view(), name="payments"),
    path("contact/", portal.ContactDetails.as_view(), name="contact"),
]

#: area → its pages (apps.core.kit.urls mounts them at the area's prefix).
by_area = {"isp": staff_patterns, "isp.portal": portal_patterns}
