"""Report figures as API rows and as server-drawn charts (inline SVG, no scripts or CDN)."""

from apps.crm import selectors


def pipeline_rows(user) -> list[dict]:
    return [{"id": bar.label, "stage": bar.label, "value": str(bar.value), "note": bar.extra}
            for bar in selectors.pipeline_by_stage(user)]  # fmt: skip


def forecast_rows(user) -> list[dict]:
    return [{"id": bar.label, "month": bar.label, "weighted": str(bar.value), "note": bar.extra}
            for bar in selectors.weighted_forecast(user)]  # fmt: skip


def win_rate_row(user) -> dict:
    figures = selectors.win_rate(user)
    return {**figures, "won_amount": str(figures["won_amount"]),
            "lost_amount": str(figures["lost_amount"])}  # fmt: skip


def conversion_rows(user) -> list[dict]:
    return [{"id": row["source"], **row} for row in selectors.conversion_by_source(user)]
