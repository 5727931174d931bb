"""The dashboard's selectors: the 12-month series behind the charts, exactly."""

from datetime import date
from decimal import Decimal

from apps.isp import selectors
from apps.isp.models import Service
from tests.isp.pages_data import (
    make_customer,
    make_invoice,
    make_payment,
    make_plan,
    make_service,
    queries_of,
)

AS_OF = date(2026, 6, 15)


def month(board, year, number):
    return next(p for p in board.months if p.month == date(year, number, 1)).values


def test_the_series_covers_twelve_months_ending_with_the_current_one(in_tenant_a):
    board = selectors.dashboard(as_of=AS_OF)

    assert [p.month for p in board.months][0] == date(2025, 7, 1)
    assert [p.month for p in board.months][-1] == date(2026, 6, 1)
    assert len(board.months) == 12


def test_mrr_by_month_counts_the_services_live_at_each_months_end(in_tenant_a):
    plan = make_plan(price="30.00")
    quarterly = make_plan(price="90.00", billing_period="quarterly")
    make_service(make_customer("Ann Lee"), plan, activated_on=date(2026, 3, 10))
    make_service(
        make_customer("Bob Ray"),
        quarterly,
        status=Service.Status.TERMINATED,
        activated_on=date(2026, 1, 5),
        terminated_on=date(2026, 4, 20),
    )

    board = selectors.dashboard(as_of=AS_OF)

    assert month(board, 2025, 12)["mrr"] == Decimal("0.00")
    assert month(board, 2026, 1)["mrr"] == Decimal("30.00")  # Bob: 90 a quarter
    assert month(board, 2026, 3)["mrr"] == Decimal("60.00")
    assert month(board, 2026, 4)["mrr"] == Decimal("30.00")  # Bob gone on 20 April
    assert board.mrr == Decimal("30.00")


def test_new_and_churned_subscribers_by_month_and_churn_over_30_days(in_tenant_a):
    plan = make_plan()
    ann, bob, cy = make_customer("Ann Lee"), make_customer("Bob Ray"), make_customer("Cy Moss")
    make_service(ann, plan, activated_on=date(2026, 2, 1))
    make_service(ann, plan, activated_on=date(2026, 5, 1))  # a second service: not new again
    make_service(bob, plan, activated_on=date(2026, 2, 20))
    make_service(
        cy, plan, status=Service.Status.TERMINATED, activated_on=date(2026, 3, 3),
        terminated_on=date(2026, 6, 1),
    )  # fmt: skip

    board = selectors.dashboard(as_of=AS_OF)

    assert month(board, 2026, 2)["new"] == 2
    assert month(board, 2026, 3)["new"] == 1
    assert month(board, 2026, 5)["new"] == 0
    assert month(board, 2026, 6)["churned"] == 1
    assert board.active_subscribers == 2
    assert board.churned_30d == 1
    assert board.churn_rate == Decimal("33.3")


def test_revenue_collected_and_invoice_outcomes_by_month(in_tenant_a):
    ann = make_customer("Ann Lee")
    make_invoice(ann, issue_date=date(2026, 4, 2), paid=True)  # 36.00, paid
    make_invoice(ann, issue_date=date(2026, 5, 2))  # overdue by 15 June
    make_invoice(ann, issue_date=date(2026, 6, 10))  # open, not yet due
    make_payment(ann, "10.00", received_on=date(2026, 6, 12))

    board = selectors.dashboard(as_of=AS_OF)

    april = month(board, 2026, 4)
    assert (april["invoiced"], april["paid"], april["overdue"]) == (Decimal("36.00"), 1, 0)
    assert month(board, 2026, 5)["overdue"] == 1
    assert month(board, 2026, 6)["pending"] == 1
    assert month(board, 2026, 4)["collected"] == Decimal("36.00")
    assert month(board, 2026, 6)["collected"] == Decimal("10.00")
    assert board.overdue_amount == Decimal("36.00")
    assert board.open_amount == Decimal("72.00")


def test_plans_and_billing_runs_pages_cost_the_same_queries_whatever_their_length(
    client_a, in_tenant_a
):
    from apps.isp.models import BillingRun

    staff = client_a.sign_in()
    plan = make_plan()
    make_service(make_customer("Ann Lee"), plan)
    BillingRun.objects.create(as_of=AS_OF)
    before = {path: queries_of(staff, path) for path in ("/isp/plans/", "/isp/billing-runs/")}
    for n in range(6):
        make_service(make_customer(f"P{n} Q"), make_plan(f"Plan {n}"))
        BillingRun.objects.create(as_of=AS_OF, errors=["x"])

    assert {path: queries_of(staff, path) for path in before} == before
