"""An invoice as a document: printable HTML (a template) and PDF (reportlab, pure Python).

Both show the same facts: the tenant's company details (BillingSettings), the customer's
billing address, the lines with their tax rates, the tax summary per rate, totals, what has
been paid and what remains due, in the invoice's currency.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.template.loader import render_to_string

from apps.isp import selectors
from apps.isp.models import BillingSettings, Customer, Invoice
from apps.isp.services.setup import billing_settings


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice
    company: BillingSettings
    customer: Customer
    lines: list
    taxes: list
    paid: Decimal

    @property
    def company_lines(self) -> list[str]:
        return [line for line in self.company.company_address.splitlines() if line.strip()]

    @property
    def billing_address(self) -> list[str]:
        c = self.customer
        street = c.billing_street or c.service_street
        city = c.billing_city or c.service_city
        postcode = c.billing_postcode or c.service_postcode
        country = c.billing_country or c.service_country
        city_line = " ".join(part for part in (postcode, city) if part)
        return [part for part in (street, city_line, country) if part]

    @property
    def company_name(self) -> str:
        from django.db import connection

        tenant = getattr(connection, "tenant", None)
        return self.company.company_name or getattr(tenant, "name", "") or "Your ISP"


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    lines = selectors.document_lines(invoice.lines.all())
    return InvoiceDocument(
        invoice=invoice,
        company=billing_settings(),
        customer=invoice.customer,
        lines=lines,
        taxes=selectors.invoice_tax_summary(lines),
        paid=invoice.total - invoice.amount_due,
    )


def invoice_html(invoice: Invoice) -> str:
    return render_to_string("isp/documents/invoice.html", {"doc": invoice_document(invoice)})


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import HRFlowable

    doc = invoice_document(invoice)
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#667085"))
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=20, alignment=0, spaceAfter=2)
    ink = colors.HexColor("#1d2433")
    brand = colors.HexColor("#3559e0")
    line_colour = colors.HexColor("#e4e7ec")
    currency = invoice.currency

    def para(text, style=body):
        return Paragraph(escape(str(text)), style)

    def lines_of(items, style=body):
        return Paragraph("<br/>".join(escape(str(item)) for item in items), style)

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Invoice {invoice.number}",
        author=doc.company_name,
        subject=f"Invoice {invoice.number} for {doc.customer.name}",
    )
    company = [doc.company_name, *doc.company_lines]
    if doc.company.company_tax_id:
        company.append(f"Tax id: {doc.company.company_tax_id}")
    story = [
        Table(
            [
                [
                    Paragraph(f"<b>{escape(doc.company_name)}</b>", body),
                    Paragraph(f"INVOICE<br/><b>{escape(invoice.number)}</b>", right),
                ],
                [lines_of(company[1:], small), ""],
            ],
            colWidths=["60%", "40%"],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        ),
        Spacer(1, 6 * mm),
        Paragraph(f"Invoice {escape(invoice.number)}", title),
        HRFlowable(width="100%", color=brand, thickness=1.2, spaceAfter=4 * mm),
    ]
    bill_to = [doc.customer.name, *doc.billing_address]
    if doc.customer.company_registration:
        bill_to.append(f"Reg. {doc.customer.company_registration}")
    facts = [
        ["Account", doc.customer.account_number],
        ["Issued", f"{invoice.issue_date:%d %b %Y}"],
        ["Due", f"{invoice.due_date:%d %b %Y}"],
        ["Status", invoice.get_status_display()],
        ["Currency", currency],
    ]
    story.append(
        Table(
            [
                [
                    [para("BILL TO", small), lines_of(bill_to)],
                    Table(facts, colWidths=[25 * mm, 40 * mm], style=_facts_style(colors)),
                ]
            ],
            colWidths=["55%", "45%"],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        )
    )
    story.append(Spacer(1, 6 * mm))
    rows = [["Description", "Period", "Net", "Tax %", "Tax", "Total"]]
    for line in doc.lines:
        period = (
            f"{line.period_start:%d %b %Y} – {line.period_end:%d %b %Y}"
            if line.period_start and line.period_end
            else ""
        )
        rows.append(
            [
                para(line.description),
                para(period, small),
                _money(line.amount),
                f"{line.tax_rate:.2f}",
                _money(line.tax_amount),
                _money(line.amount + line.tax_amount),
            ]
        )
    table = Table(rows, colWidths=["38%", "22%", "11%", "8%", "10%", "11%"], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("TEXTCOLOR", (0, 0), (-1, -1), ink),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, line_colour),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 5 * mm)]
    totals = [["Subtotal (net)", f"{_money(invoice.subtotal)} {currency}"]]
    for tax in doc.taxes:
        label = f"Tax {tax.rate:.2f}% on {_money(tax.net)}"
        totals.append([label, f"{_money(tax.tax)} {currency}"])
    totals += [
        ["Total", f"{_money(invoice.total)} {currency}"],
        ["Paid and credited", f"{_money(doc.paid)} {currency}"],
        ["Amount due", f"{_money(invoice.amount_due)} {currency}"],
    ]
    story.append(
        Table(
            totals,
            colWidths=[55 * mm, 35 * mm],
            hAlign="RIGHT",
            style=TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("FONT", (0, -3), (-1, -3), "Helvetica-Bold", 10),
                    ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 11),
                    ("TEXTCOLOR", (0, -1), (-1, -1), brand),
                    ("LINEABOVE", (0, -3), (-1, -3), 0.8, ink),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, ink),
                ]
            ),
        )
    )
    story += [
        Spacer(1, 10 * mm),
        para(
            f"Please pay {_money(invoice.amount_due)} {currency} by {invoice.due_date:%d %b %Y}, "
            f"quoting {invoice.number}."
            if invoice.amount_due > 0
            else "This invoice is settled. Thank you.",
        ),
    ]
    pdf.build(story)
    return buffer.getvalue()


def _facts_style(colors):
    from reportlab.platypus import TableStyle

    return TableStyle(
        [
            ("FONT", (0, 0), (0, -1), "Helvetica", 8.5),
            ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#667085")),
            ("FONT", (1, 0), (1, -1), "Helvetica-Bold", 9),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
        ]
    )


def pdf_response(invoice: Invoice, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{invoice.number}.pdf"'
    return response
