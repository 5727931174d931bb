"""An order's invoice as a PDF, drawn with reportlab like the ISP's invoices
(apps/isp/documents.py: the same library, pure Python, no system fonts): the shop, the
customer and the address shipped to, the lines with their tax rates, discount, shipping, tax,
total, and what was refunded."""

import io
from xml.sax.saxutils import escape

from django.db import connection
from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from apps.commerce.models import Order


def _money(value) -> str:
    return f"{value:,.2f}"


def invoice_pdf(order: Order) -> bytes:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#667085"))
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=20, alignment=0)
    shop = getattr(getattr(connection, "tenant", None), "name", "") or "Shop"
    currency = order.currency
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm,
                            title=f"Invoice {order.number}", author=shop)  # fmt: skip
    customer = order.customer.get_full_name() if order.customer else ""
    bill_to = [customer or order.email, *order.shipping_address.splitlines()]
    story = [
        Table([[Paragraph(f"<b>{escape(shop)}</b>", body),
                Paragraph(f"INVOICE<br/><b>{escape(order.number)}</b>", right)]],
              colWidths=["60%", "40%"]),
        Spacer(1, 6 * mm),
        Paragraph(f"Invoice {escape(order.number)}", title),
        HRFlowable(width="100%", color=colors.HexColor("#3559e0"), thickness=1.2,
                   spaceAfter=4 * mm),
        Paragraph("BILL TO", small),
        Paragraph("<br/>".join(escape(line) for line in bill_to if line), body),
        Paragraph(f"Ordered {order.created_at:%d %b %Y} · {escape(order.get_status_display())}",
                  small),
        Spacer(1, 6 * mm),
    ]  # fmt: skip
    rows = [["Item", "SKU", "Qty", "Unit", "Tax %", "Net"]]
    for line in order.lines.all():
        rows.append(
            [Paragraph(escape(line.name), body), line.sku, str(line.quantity),
             _money(line.unit_price), f"{line.tax_rate:.2f}", _money(line.total)]
        )  # fmt: skip
    table = Table(rows, colWidths=["38%", "18%", "8%", "12%", "10%", "14%"], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#e4e7ec")),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))  # fmt: skip
    totals = [["Subtotal (net)", f"{_money(order.subtotal)} {currency}"]]
    if order.discount_total:
        totals.append([f"Discount {order.discount_code}", f"-{_money(order.discount_total)} "
                       f"{currency}"])  # fmt: skip
    totals += [["Shipping", f"{_money(order.shipping_total)} {currency}"],
               ["Tax", f"{_money(order.tax_total)} {currency}"],
               ["Total", f"{_money(order.total)} {currency}"]]  # fmt: skip
    if order.refunded_total:
        totals.append(["Refunded", f"-{_money(order.refunded_total)} {currency}"])
    totals_style = TableStyle(
        [("ALIGN", (1, 0), (1, -1), "RIGHT"), ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10)]
    )
    summary = Table(totals, colWidths=[55 * mm, 35 * mm], hAlign="RIGHT", style=totals_style)
    story += [table, Spacer(1, 5 * mm), summary]
    pdf.build(story)
    return buffer.getvalue()


def pdf_response(order: Order) -> HttpResponse:
    response = HttpResponse(invoice_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{order.number}.pdf"'
    return response
