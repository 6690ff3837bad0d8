"""`patron clv fit` end to end: the CDNOW sample loaded as orders (a customer per CDNOW
id), the summary built in SQL, the published estimates and the holdout totals; and the
errors a user can meet."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patron.analytics import clv
from patron.analytics.clv_data import summary_from_orders
from patron.analytics.clv_fit import ClvFitError, fit_and_evaluate
from patron.cli import COMMANDS
from patron.commerce.models import Order
from patron.customers.models import Customer

SAMPLE = Path(__file__).parent / "data" / "CDNOW_sample.txt"
CAL, HOLD = "1997-10-01", "1998-07-01"


def load_orders(rows, *, status=Order.Status.COMPLETED):
    """(cdnow id, date, value) rows as orders at noon UTC, a customer per CDNOW id.
    Returns {cdnow id: customer}."""
    ids = sorted({r[0] for r in rows})
    known = {c.source: c for c in Customer.objects.filter(source__startswith="cdnow:")}
    new = [
        Customer(kind=Customer.Kind.PERSON, display_name=f"CDNOW {i}", source=f"cdnow:{i}")
        for i in ids
        if f"cdnow:{i}" not in known
    ]
    Customer.objects.bulk_create(new, batch_size=1000)
    customers = {
        int(c.source.split(":")[1]): c for c in Customer.objects.filter(source__startswith="cdnow:")
    }
    Order.objects.bulk_create(
        [
            Order(
                customer=customers[cid],
                placed_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
                currency="USD",
                total_amount=Decimal(f"{value:.2f}"),
                status=status,
            )
            for cid, day, value in rows
        ],
        batch_size=2000,
    )
    return customers


def cdnow_rows():
    # customer id, id within the sample, date (YYYYMMDD), number of CDs, dollar value
    data = np.loadtxt(SAMPLE, dtype=np.float64)
    rows = []
    for cid, _sid, date, _cds, value in data:
        d = int(date)
        rows.append((int(cid), dt.date(d // 10000, d // 100 % 100, d % 100), float(value)))
    return rows


def run_json(*args):
    out = []

    class Capture:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("clv", "fit", *args, "--json", stdout=Capture())
    return json.loads("".join(out))


@pytest.mark.django_db
def test_clv_fit_on_the_cdnow_sample_through_the_database(capsys):
    rows = cdnow_rows()
    assert len(rows) == 6919
    customers = load_orders(rows)
    assert len(customers) == 2357
    # Orders that never count: cancelled and returned, new days in both periods
    first = customers[rows[0][0]]
    noise = [
        Order(customer=first, placed_at=dt.datetime(y, m, 3, tzinfo=dt.UTC), currency="USD",
              total_amount=Decimal("999.00"), status=status)
        for (y, m) in ((1997, 5), (1997, 11), (1998, 2))
        for status in (Order.Status.CANCELLED, Order.Status.RETURNED)
    ]  # fmt: skip
    Order.objects.bulk_create(noise)

    # The SQL summary is the numpy one of the same transactions, customer for customer
    summary = summary_from_orders(
        calibration_end=dt.date(1997, 10, 1), holdout_end=dt.date(1998, 7, 1)
    )
    by_id = {c.pk: cid for cid, c in customers.items()}
    reference = clv.summary_from_transactions(
        rows, calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    assert [by_id[pk] for pk in summary.customer_ids] == list(reference.customer_ids)
    np.testing.assert_array_equal(summary.x, reference.x)
    np.testing.assert_allclose(summary.t_x, reference.t_x)
    np.testing.assert_allclose(summary.T, reference.T)
    np.testing.assert_allclose(summary.monetary, reference.monetary, rtol=1e-9)
    np.testing.assert_array_equal(summary.holdout, reference.holdout)
    assert summary.holdout_length == reference.holdout_length == 39.0

    result = run_json("--calibration-end", CAL, "--holdout-end", HOLD)
    bg, gg = result["bgnbd"], result["gamma_gamma"]
    # Fader, Hardie & Lee (2005), to the published digits
    assert bg["r"] == pytest.approx(0.243, abs=5e-4)
    assert bg["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert bg["a"] == pytest.approx(0.793, abs=5e-4)
    assert bg["b"] == pytest.approx(2.426, abs=5e-4)
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    # Fader & Hardie (2013) on the 946 repeat customers
    assert (gg["p"], gg["q"], gg["v"]) == pytest.approx((6.25, 3.74, 15.44), abs=5e-3)
    assert gg["customers"] == 946
    assert result["customers"] == 2357 and result["repeat_customers"] == 946
    assert result["calibration_end"] == CAL and result["holdout_end"] == HOLD
    holdout = result["holdout"]
    assert holdout["weeks"] == 39.0
    assert holdout["actual_total"] == 1882
    assert holdout["bgnbd"]["total"] == pytest.approx(1653.4, abs=0.5)
    assert holdout["zero"]["total"] == 0
    # per customer, BG/NBD beats carrying the calibration pace forward, and zero
    mae = {k: holdout[k]["mean_absolute_error"] for k in ("bgnbd", "naive", "zero")}
    assert mae["bgnbd"] < mae["zero"] < mae["naive"]
    assert mae["zero"] == pytest.approx(1882 / 2357)
    assert result["seconds"]["fit"] >= 0

    # Without a holdout: the same fit, no holdout block; the text report
    assert run_json("--calibration-end", CAL)["holdout"] is None
    call_command("clv", "fit", "--calibration-end", CAL, "--holdout-end", HOLD)
    text = capsys.readouterr().out
    assert "BG/NBD       r=0.2426" in text and "1,882" in text and "1,653.4" in text
    assert "naive" in text and "zero" in text


@pytest.mark.django_db
def test_default_calibration_end_takes_every_order_up_to_today():
    today = dt.datetime.now(dt.UTC).date()
    shift = today - dt.date(1998, 6, 30)  # the sample, moved to end today
    load_orders([(cid, day + shift, value) for cid, day, value in cdnow_rows()])
    result = run_json()
    assert result["calibration_end"] == (today + dt.timedelta(days=1)).isoformat()
    assert result["customers"] == 2357 and result["holdout"] is None


@pytest.mark.django_db
def test_clear_errors():
    with pytest.raises(CommandError, match=r"expected a date as YYYY-MM-DD, not “1997/10/01”"):
        call_command("clv", "fit", "--calibration-end", "1997/10/01")
    with pytest.raises(CommandError, match="expected a date"):
        call_command("clv", "fit", "--calibration-end", CAL, "--holdout-end", "July")
    with pytest.raises(CommandError, match=r"holdout end \(1997-10-01\) must be after"):
        call_command("clv", "fit", "--calibration-end", CAL, "--holdout-end", CAL)
    # nobody yet
    with pytest.raises(CommandError, match="no orders before 1997-10-01: nothing to fit"):
        call_command("clv", "fit", "--calibration-end", CAL)
    # orders, but only cancelled ones or later ones
    load_orders([(1, dt.date(1997, 3, 1), 5.0)], status=Order.Status.CANCELLED)
    load_orders([(2, dt.date(1997, 12, 1), 5.0)])
    with pytest.raises(CommandError, match="no orders before 1997-10-01: nothing to fit"):
        call_command("clv", "fit", "--calibration-end", CAL)
    # customers, but none bought twice: BG/NBD has nothing to fit
    load_orders([(i, dt.date(1997, 1, 1) + dt.timedelta(days=i), 5.0) for i in range(3, 50)])
    with pytest.raises(CommandError, match="BG/NBD: nobody made a repeat purchase"):
        call_command("clv", "fit", "--calibration-end", CAL)
    with pytest.raises(ClvFitError, match="nobody made a repeat purchase"):
        fit_and_evaluate(calibration_end=dt.date(1997, 10, 1))


@pytest.mark.django_db
def test_a_fit_without_a_finite_maximum_is_an_error():
    # Buyers who never drop out, all at much the same pace: BG/NBD's a and b run off to
    # infinity (a dropout probability that does not vary across customers).
    rows = [
        (i, dt.date(1997, 1, 1) + dt.timedelta(days=i % 60 + k * (5 + i % 11)), 20.0)
        for i in range(200)
        for k in range(1 + i % 4)
    ]
    load_orders(rows)
    with pytest.raises(CommandError, match=r"BG/NBD: the likelihood has no maximum .*a → "):
        call_command("clv", "fit", "--calibration-end", CAL)


@pytest.mark.django_db
def test_gamma_gamma_without_a_finite_maximum_is_an_error():
    # CDNOW's purchases, every one worth 20: the spend has no spread across purchases,
    # so Gamma-Gamma's p runs off to infinity.
    load_orders([(cid, day, 20.0) for cid, day, _value in cdnow_rows()])
    with pytest.raises(CommandError, match=r"Gamma-Gamma: the likelihood has no maximum .*p → "):
        call_command("clv", "fit", "--calibration-end", CAL)


def test_the_command_is_on_the_patron_command_line():
    assert COMMANDS["clv"][0] == "clv"
