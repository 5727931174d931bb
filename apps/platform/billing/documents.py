"""A platform invoice as a PDF, drawn with reportlab as the ISP's and the shop's are
(apps/isp/documents.py, apps/commerce/documents.py): DotMac to the tenant, its billing email,
address and tax id, the lines with their periods, credit applied, tax, total, what was paid
and refunded."""

import io
from xml.sax.saxutils import escape

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from apps.platform.billing.models import Invoice

ISSUER = "DotMac platform"


def _money(value) -> str:
    return f"{value:,.2f}"


def invoice_pdf(invoice: Invoice) -> bytes:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#667085"))
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=20, alignment=0)
    account, number, currency = invoice.account, invoice.display_number, invoice.currency
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm,
                            title=f"Invoice {number}", author=ISSUER)  # fmt: skip
    bill_to = [account.tenant.name, account.email, *account.address.splitlines()]
    if account.tax_id:
        bill_to.append(f"Tax id {account.tax_id}")
    story = [
        Table([[Paragraph(f"<b>{ISSUER}</b>", body),
                Paragraph(f"INVOICE<br/><b>{escape(number)}</b>", right)]],
              colWidths=["60%", "40%"]),
        Spacer(1, 6 * mm),
        Paragraph(f"Invoice {escape(number)}", title),
        HRFlowable(width="100%", color=colors.HexColor("#3559e0"), thickness=1.2,
                   spaceAfter=4 * mm),
        Paragraph("BILL TO", small),
        Paragraph("<br/>".join(escape(line) for line in bill_to if line), body),
        Paragraph(f"Period {invoice.period_start:%d %b %Y} – {invoice.period_end:%d %b %Y} · "
                  f"issued {invoice.issued_on:%d %b %Y} · due {invoice.due_on:%d %b %Y} · "
                  f"{escape(invoice.get_status_display())}", small),
        Spacer(1, 6 * mm),
    ]  # fmt: skip
    rows = [["Description", "From", "To", "Qty", "Amount"]]
    for line in invoice.lines.order_by("pk"):
        rows.append(
            [
                Paragraph(escape(line.description), body),
                f"{line.period_start:%d %b %Y}",
                f"{line.period_end:%d %b %Y}",
                str(line.quantity),
                _money(line.amount),
            ]
        )
    table = Table(rows, colWidths=["46%", "15%", "15%", "8%", "16%"], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#e4e7ec")),
        ("ALIGN", (3, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))  # fmt: skip
    totals = [["Subtotal", f"{_money(invoice.subtotal)} {currency}"]]
    if invoice.credit_applied:
        totals.append(["Credit applied", f"-{_money(invoice.credit_applied)} {currency}"])
    totals += [[f"Tax {invoice.tax_rate:.2f} %", f"{_money(invoice.tax)} {currency}"],
               ["Total", f"{_money(invoice.total)} {currency}"]]  # fmt: skip
    total_row = len(totals) - 1
    if invoice.amount_paid:
        totals.append(["Paid", f"-{_money(invoice.amount_paid)} {currency}"])
    if invoice.amount_refunded:
        totals.append(["Refunded", f"{_money(invoice.amount_refunded)} {currency}"])
    bold = ("FONT", (0, total_row), (-1, total_row), "Helvetica-Bold", 10)
    totals_style = TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT"), bold])
    summary = Table(totals, colWidths=[55 * mm, 35 * mm], hAlign="RIGHT", style=totals_style)
    story += [table, Spacer(1, 5 * mm), summary]
    pdf.build(story)
    return buffer.getvalue()


def pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.display_number}.pdf"'
    return response
