"""Pages of the ISP app: the staff's and the portal's, each mounted at its area's prefix (/isp/,
/portal/: apps/isp/apps.py) with the prefix as namespace."""

from django.urls import path

from apps.isp.views import customers, portal, staff

staff_patterns = [
    path("", staff.dashboard, name="dashboard"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/new/", customers.customer_create, name="customer-create"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/notes/", customers.customer_note, name="customer-note"),
    path("customers/<int:pk>/status/", customers.customer_status, name="customer-status"),
    path("customers/<int:pk>/portal-access/", customers.portal_access, name="portal-access"),
    path("customers/<int:pk>/contacts/", customers.contact_add, name="contact-add"),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/delete/",
        customers.contact_delete,
        name="contact-delete",
    ),
    path("customers/<int:pk>/payments/", customers.payment_record, name="payment-record"),
    path("customers/<int:pk>/statement/", customers.customer_statement, name="customer-statement"),
    path("customers/<int:pk>/services/new/", staff.service_create, name="service-create"),
    path("services/<int:pk>/change-plan/", staff.service_change_plan, name="service-change-plan"),
    path("services/<int:pk>/<slug:action>/", staff.service_action, name="service-action"),
    path("invoices/", staff.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", staff.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/print/", staff.invoice_print, name="invoice-print"),
    path("invoices/<int:pk>/pdf/", staff.invoice_pdf, name="invoice-pdf"),
    path("plans/", staff.plan_list, name="plans"),
    path("billing-runs/", staff.billing_run_list, name="billing-runs"),
    path("billing-runs/run/", staff.billing_run_now, name="billing-run-now"),
]

portal_patterns = [
    path("", portal.overview, name="overview"),
    path("invoices/", portal.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", portal.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/pdf/", portal.invoice_pdf, name="invoice-pdf"),
    path("invoices/<int:pk>/pay/", portal.invoice_pay, name="invoice-pay"),
    path("payments/", portal.payment_list, name="payments"),
    path("contact/", portal.contact_edit, name="contact"),
]

#: area → its pages (apps.core.kit.urls mounts them at the area's prefix).
by_area = {"isp": staff_patterns, "isp.portal": portal_patterns}
