"""The pure returns engine: the issue's rules, one test each, and the properties that always hold."""

import datetime
from decimal import Decimal

import pytest
from djmoney.money import Money
from hypothesis import given, settings
from hypothesis import strategies as st

from capital.models import ReturnSchedule
from capital.money import split_pro_rata
from capital.returns import (
    Excess,
    HolderState,
    Holding,
    ReturnsError,
    Status,
    Terms,
    Weighting,
    cap_amount,
    compute_year,
    days_held,
    interest_for,
    pool_for,
    reinvest,
    simulate,
)

D = Decimal
JAN_1_2027 = datetime.date(2027, 1, 1)
END_2027 = datetime.date(2027, 12, 31)


def terms(**overrides) -> Terms:
    values = {"first_year_end": END_2027, "pool_percent": D("25")}
    values.update(overrides)
    return Terms(**values)


def holdings(*pairs, issued_on=JAN_1_2027) -> list[Holding]:
    return [
        Holding(ref=ref, capital=D(capital), issued_on=issued_on, register_order=index)
        for index, (ref, capital) in enumerate(pairs)
    ]


def paid(year) -> dict[str, str]:
    return {line.ref: str(line.paid) for line in year.lines}


WORKED_HOLDINGS = holdings(("A", "10000.00"), ("B", "7000.00"), ("C", "3333.00"))
WORKED_SURPLUSES = [D(s) for s in ("8000", "20000", "40000", "-5000", "80000", "90000")]


def test_worked_example_from_the_issue():
    result = simulate(
        terms=terms(grace_years=1, cap_multiple=D("1.5")),
        holdings=WORKED_HOLDINGS,
        surpluses=WORKED_SURPLUSES,
    )
    year1, year2, year3, year4, year5, year6 = result.years
    assert (year1.pool, year1.paid) == (D("0.00"), D("0.00"))
    assert paid(year2) == {"A": "2459.06", "B": "1721.34", "C": "819.60"} and year2.pool == D("5000.00")
    assert paid(year3) == {"A": "4918.11", "B": "3442.68", "C": "1639.21"} and year3.pool == D("10000.00")
    assert year4.pool == year4.paid == D("0.00")
    assert paid(year5) == {"A": "7622.83", "B": "5335.98", "C": "2540.69"}
    assert (year5.pool, year5.paid, year5.retained) == (D("20000.00"), D("15499.50"), D("4500.50"))
    assert {line.status for line in year5.lines} == {Status.CAPPED}
    assert [line.cumulative for line in year5.lines] == [D("15000.00"), D("10500.00"), D("4999.50")]
    assert year6.paid == D("0.00") and {line.status for line in year6.lines} == {Status.CAPPED}
    assert [total.multiple for total in result.totals] == [D("1.5000")] * 3


def test_one_year_from_carried_state_matches_the_same_year_of_a_simulation():
    schedule = terms(grace_years=1, cap_multiple=D("1.5"))
    result = simulate(terms=schedule, holdings=WORKED_HOLDINGS, surpluses=WORKED_SURPLUSES)
    carried = {
        ref: HolderState(paid=D(paid))
        for ref, paid in zip("ABC", ["7377.17", "5164.02", "2458.81"], strict=True)
    }
    year5 = compute_year(terms=schedule, year=5, holdings=WORKED_HOLDINGS, states=carried, surplus=D("80000"))
    assert year5 == result.years[4]


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        ("5000.00", ["10000", "7000", "3333"], ["2459.06", "1721.34", "819.60"]),
        ("0.02", ["1", "1", "1"], ["0.01", "0.01", "0.00"]),  # ties: earlier first
        ("100.00", ["1", "0", "1"], ["50.00", "0.00", "50.00"]),
        ("0.00", ["3", "4"], ["0.00", "0.00"]),
        ("10.00", ["0.5", "0.25", "0.25"], ["5.00", "2.50", "2.50"]),
    ],
)
def test_split_pro_rata_gives_largest_remainders_the_leftover_pennies_and_sums_exactly(total, weights, parts):
    result = split_pro_rata(D(total), [D(w) for w in weights])
    assert [str(part) for part in result] == parts
    assert sum(result) == D(total)


def test_financial_years_run_from_the_day_after_the_last_one_ended():
    schedule = terms(first_year_end=datetime.date(2028, 3, 31))
    assert [(schedule.year_start(n).isoformat(), schedule.year_end(n).isoformat()) for n in (1, 3)] == [
        ("2027-04-01", "2028-03-31"),
        ("2029-04-01", "2030-03-31"),
    ]


def test_days_held_count_both_ends_and_are_zero_when_issued_after_the_year():
    start, end = datetime.date(2028, 1, 1), datetime.date(2028, 12, 31)
    assert days_held(datetime.date(2020, 5, 5), start, end) == 366  # leap year, held all year
    assert days_held(datetime.date(2028, 12, 31), start, end) == 1
    assert days_held(datetime.date(2028, 7, 1), start, end) == 184
    assert days_held(datetime.date(2029, 1, 1), start, end) == 0


def test_capital_days_weighting_gives_a_holding_issued_mid_year_its_days_share():
    schedule = terms(weighting=Weighting.CAPITAL_DAYS)
    early = Holding("early", D("1000.00"), datetime.date(2026, 6, 1), 0)
    late = Holding("late", D("1000.00"), datetime.date(2027, 7, 2), 1)  # 183 of 365 days
    year = compute_year(terms=schedule, year=1, holdings=[early, late], surplus=D("4000"))
    # Pool 1,000.00 split 365 : 183 → 666.058… and 333.941…; the leftover penny goes to early.
    assert paid(year) == {"early": "666.06", "late": "333.94"}
    assert year.paid == year.pool == D("1000.00")


def test_capital_weighting_ignores_days_but_a_holding_issued_after_the_year_waits():
    later = Holding("later", D("1000.00"), datetime.date(2028, 2, 1), 1)
    mid = Holding("mid", D("1000.00"), datetime.date(2027, 12, 1), 0)
    result = simulate(terms=terms(), holdings=[mid, later], surpluses=[D("800"), D("800")])
    assert paid(result.years[0]) == {"mid": "200.00", "later": "0.00"}
    assert paid(result.years[1]) == {"mid": "100.00", "later": "100.00"}


def test_nothing_at_all_is_paid_in_grace_years_even_on_interest():
    profit = simulate(terms=terms(grace_years=2), holdings=holdings(("A", "100")), surpluses=[D("1000")] * 3)
    assert [year.paid for year in profit.years] == [D("0.00"), D("0.00"), D("250.00")]
    interest = simulate(
        terms=terms(pool_percent=None, rate_ceiling_percent=D("5"), grace_years=1),
        holdings=holdings(("A", "1000")),
        surpluses=[None, None],
    )
    assert [year.paid for year in interest.years] == [D("0.00"), D("50.00")]


@pytest.mark.parametrize(
    ("surplus", "pool"),
    [("15000", "1250.00"), ("10000", "0.00"), ("9000", "0.00"), ("10000.03", "0.01"), ("10000.02", "0.01")],
)
def test_the_pool_is_the_percentage_of_surplus_above_the_hurdle_rounded_half_up(surplus, pool):
    assert pool_for(terms(hurdle=D("10000")), D(surplus)) == D(pool)


def test_a_loss_pays_nothing_and_is_never_clawed_back():
    result = simulate(
        terms=terms(), holdings=holdings(("A", "100")), surpluses=[D("400"), D("-10000"), D("400")]
    )
    assert [year.pool for year in result.years] == [D("100.00"), D("0.00"), D("100.00")]
    assert [str(year.lines[0].cumulative) for year in result.years] == ["100.00", "100.00", "200.00"]


def test_the_rate_ceiling_limits_each_holder_and_the_excess_is_retained():
    schedule = terms(rate_ceiling_percent=D("10"))
    full = Holding("full", D("1000.00"), datetime.date(2026, 1, 1), 0)
    half = Holding("half", D("1000.00"), datetime.date(2027, 7, 2), 1)  # ceiling 10% × 183/365
    year = compute_year(terms=schedule, year=1, holdings=[full, half], surplus=D("1600"))
    assert paid(year) == {"full": "100.00", "half": "50.14"}
    assert (year.pool, year.retained) == (D("400.00"), D("249.86"))


def test_redistribute_shares_the_held_back_money_round_after_round_among_holders_with_room():
    # Ceilings at 10% a year for the days held: A 8.49 (31 days), B 50.14 (183 days), C 100.00.
    register = [
        Holding("A", D("1000.00"), datetime.date(2027, 12, 1), 0),
        Holding("B", D("1000.00"), datetime.date(2027, 7, 2), 1),
        Holding("C", D("1000.00"), datetime.date(2026, 1, 1), 2),
    ]
    retained = compute_year(
        terms=terms(rate_ceiling_percent=D("10")), year=1, holdings=register, surplus=D("480")
    )
    assert paid(retained) == {"A": "8.49", "B": "40.00", "C": "40.00"} and retained.retained == D("31.51")

    shared = compute_year(
        terms=terms(rate_ceiling_percent=D("10"), excess=Excess.REDISTRIBUTE),
        year=1,
        holdings=register,
        surplus=D("480"),
    )
    # Round 1: 40 each, A held to 8.49. Round 2: 31.51 between B and C, 15.76 / 15.75 (the tied
    # penny to B, earlier in the register); B held to its last 10.14. Round 3: 5.62 to C.
    assert paid(shared) == {"A": "8.49", "B": "50.14", "C": "61.37"}
    assert shared.retained == D("0.00") and shared.paid == shared.pool == D("120.00")


def test_redistribute_retains_what_no_holder_has_room_for():
    schedule = terms(rate_ceiling_percent=D("10"), excess=Excess.REDISTRIBUTE)
    year = compute_year(
        terms=schedule, year=1, holdings=holdings(("A", "100"), ("B", "1000")), surplus=D("800")
    )
    assert paid(year) == {"A": "10.00", "B": "100.00"} and year.retained == D("90.00")


def test_redistribute_fills_a_capped_holder_to_its_cap_and_gives_the_rest_to_the_others():
    schedule = terms(pool_percent=D("100"), cap_multiple=D("1"), excess=Excess.REDISTRIBUTE)
    states = {"A": HolderState(paid=D("90.00"))}
    year = compute_year(
        terms=schedule,
        year=1,
        holdings=holdings(("A", "100"), ("B", "100"), ("C", "100")),
        states=states,
        surplus=D("60"),
    )
    # Round 1: 20 each; A takes its last 10 and is capped; 10 more is split 5 / 5 between B and C.
    assert paid(year) == {"A": "10.00", "B": "25.00", "C": "25.00"}
    assert [line.status for line in year.lines] == [Status.CAPPED, Status.ACTIVE, Status.ACTIVE]


def test_term_end_redeems_survivors_at_par_and_nothing_is_paid_after_it():
    schedule = terms(term_years=2, redeem_at_term_end=True)
    result = simulate(terms=schedule, holdings=holdings(("A", "1000")), surpluses=[D("400")] * 3)
    year1, year2, year3 = result.years
    assert [(line.paid, line.redeemed, line.status) for line in year2.lines] == [
        (D("100.00"), D("1000.00"), Status.REDEEMED)
    ]
    assert year3.pool == year3.paid == D("0.00") and year3.lines[0].cumulative == D("1200.00")
    assert (result.totals[0].redeemed, result.totals[0].multiple) == (D("1000.00"), D("1.2000"))


def test_redemption_at_term_end_is_limited_by_the_cap():
    schedule = terms(pool_percent=D("100"), cap_multiple=D("1.5"), term_years=1, redeem_at_term_end=True)
    year = compute_year(terms=schedule, year=1, holdings=holdings(("A", "1000")), surplus=D("800"))
    line = year.lines[0]
    assert [str(line.paid), str(line.redeemed), str(line.cumulative)] == ["800.00", "700.00", "1500.00"]
    assert line.status == Status.REDEEMED


def test_a_term_without_redemption_just_stops_paying():
    result = simulate(terms=terms(term_years=1), holdings=holdings(("A", "1000")), surpluses=[D("400")] * 2)
    assert [year.paid for year in result.years] == [D("100.00"), D("0.00")]
    assert result.years[1].lines[0].status == Status.ACTIVE


def test_the_cap_is_rounded_down_so_it_is_never_exceeded():
    assert cap_amount(D("3333.33"), D("1.5")) == D("4999.99")


def test_interest_pays_the_rate_on_capital_for_the_days_held():
    schedule = terms(pool_percent=None, rate_ceiling_percent=D("4"))
    whole = Holding("whole", D("2500.00"), datetime.date(2026, 1, 1), 0)
    part = Holding("part", D("2500.00"), datetime.date(2027, 10, 1), 1)  # 92 days
    year = compute_year(terms=schedule, year=1, holdings=[whole, part])
    assert paid(year) == {"whole": "100.00", "part": "25.21"}
    assert year.pool == year.paid == D("125.21")
    assert interest_for(D("2500.00"), D("4"), 92, 365) == D("25.21")


def test_the_board_may_declare_a_lower_interest_rate_but_never_a_higher_one():
    schedule = terms(pool_percent=None, rate_ceiling_percent=D("4"))
    result = simulate(
        terms=schedule,
        holdings=holdings(("A", "1000")),
        surpluses=[None, None],
        declared_rates=[D("1.5"), None],
    )
    assert [year.paid for year in result.years] == [D("15.00"), D("40.00")]
    with pytest.raises(ReturnsError, match="maximum declared in advance"):
        compute_year(
            terms=schedule, year=1, holdings=holdings(("A", "1000")), declared_rate_percent=D("4.01")
        )
    with pytest.raises(ReturnsError, match="Only an interest schedule"):
        compute_year(terms=terms(), year=1, holdings=[], surplus=D("1"), declared_rate_percent=D("1"))


def test_interest_stops_at_the_cap():
    schedule = terms(pool_percent=None, rate_ceiling_percent=D("10"), cap_multiple=D("1"))
    year = compute_year(
        terms=schedule, year=1, holdings=holdings(("A", "100")), states={"A": HolderState(paid=D("95.00"))}
    )
    assert (year.paid, year.retained, year.lines[0].status) == (D("5.00"), D("5.00"), Status.CAPPED)


@pytest.mark.parametrize(
    ("amount", "nominal", "shares", "cash"),
    [
        ("37.45", "1.00", 37, "0.45"),
        ("37.45", "5.00", 7, "2.45"),
        ("0.99", "1", 0, "0.99"),
        ("50", "0.25", 200, "0"),
    ],
)
def test_reinvested_interest_is_whole_shares_at_nominal_value_and_the_rest_in_cash(
    amount, nominal, shares, cash
):
    split = reinvest(D(amount), D(nominal))
    assert (split.shares, split.cash) == (shares, D(cash))
    assert split.shares * D(nominal) + split.cash == D(amount)


def test_capped_or_redeemed_holdings_carried_in_take_no_part():
    states = {"A": HolderState(paid=D("150.00"), status=Status.CAPPED)}
    year = compute_year(
        terms=terms(), year=3, holdings=holdings(("A", "100"), ("B", "100")), states=states, surplus=D("400")
    )
    assert paid(year) == {"A": "0.00", "B": "100.00"} and year.lines[0].status == Status.CAPPED


def test_terms_come_from_a_return_schedule_row():
    schedule = ReturnSchedule(
        first_year_end=END_2027,
        pool_percent=D("25.00"),
        hurdle=Money("500.00", "GBP"),
        grace_years=1,
        weighting="capital_days",
        cap_multiple=D("1.50"),
        excess="redistribute",
        term_years=8,
        redeem_at_term_end=True,
    )
    assert Terms.from_schedule(schedule) == terms(
        pool_percent=D("25.00"),
        hurdle=D("500.00"),
        grace_years=1,
        weighting=Weighting.CAPITAL_DAYS,
        cap_multiple=D("1.50"),
        excess=Excess.REDISTRIBUTE,
        term_years=8,
        redeem_at_term_end=True,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pool_percent": None}, "rate_ceiling_percent"),
        ({"redeem_at_term_end": True}, "term_years"),
        ({"first_year_end": datetime.date(2028, 2, 29)}, "first_year_end"),
        ({"cap_multiple": D("0.9")}, "cap_multiple"),
        ({"pool_percent": D("100.01")}, "pool_percent"),
    ],
)
def test_terms_that_do_not_hold_together_are_refused_naming_the_field(overrides, field):
    with pytest.raises(ReturnsError) as refused:
        terms(**overrides)
    assert refused.value.field == field


def test_duplicate_refs_and_sub_penny_capital_are_refused():
    with pytest.raises(ReturnsError, match="Two holdings"):
        simulate(terms=terms(), holdings=holdings(("A", "1"), ("A", "2")), surpluses=[D("1")])
    with pytest.raises(ReturnsError, match="whole pennies"):
        simulate(terms=terms(), holdings=holdings(("A", "1.001")), surpluses=[D("1")])


# --- Properties ------------------------------------------------------------------------------------

pennies = st.integers(min_value=1, max_value=10_000_000).map(lambda p: D(p).scaleb(-2))
percent = st.integers(min_value=1, max_value=10_000).map(lambda p: D(p).scaleb(-2))


@st.composite
def scenarios(draw):
    interest = draw(st.booleans())
    term = draw(st.none() | st.integers(min_value=1, max_value=6))
    schedule = Terms(
        first_year_end=END_2027,
        pool_percent=None if interest else draw(percent),
        hurdle=draw(st.sampled_from([D("0"), D("1000.00"), D("25000.50")])),
        grace_years=draw(st.integers(min_value=0, max_value=2)),
        weighting=draw(st.sampled_from(list(Weighting))),
        rate_ceiling_percent=draw(percent) if interest else draw(st.none() | percent),
        cap_multiple=draw(
            st.none() | st.integers(min_value=100, max_value=300).map(lambda p: D(p).scaleb(-2))
        ),
        excess=draw(st.sampled_from(list(Excess))),
        term_years=term,
        redeem_at_term_end=term is not None and draw(st.booleans()),
    )
    count = draw(st.integers(min_value=1, max_value=8))
    register = [
        Holding(
            ref=f"H{index}",
            capital=draw(pennies),
            issued_on=END_2027 + datetime.timedelta(days=draw(st.integers(min_value=-500, max_value=1500))),
            register_order=index,
        )
        for index in range(count)
    ]
    surpluses = draw(
        st.lists(
            st.integers(min_value=-10_000_000, max_value=100_000_000).map(lambda p: D(p).scaleb(-2)),
            min_size=1,
            max_size=7,
        )
    )
    return schedule, register, surpluses


@settings(max_examples=300, deadline=None, database=None)
@given(scenarios())
def test_every_year_adds_up_and_no_holder_passes_the_cap_or_the_rate_ceiling(scenario):
    schedule, register, surpluses = scenario
    result = simulate(terms=schedule, holdings=register, surpluses=surpluses)
    by_ref = {holding.ref: holding for holding in register}
    for year in result.years:
        assert sum(line.paid for line in year.lines) == year.paid == year.pool - year.retained
        assert year.retained >= 0 and all(line.paid >= 0 for line in year.lines)
        days_in_year = (year.ends_on - year.starts_on).days + 1
        for line in year.lines:
            holding = by_ref[line.ref]
            if schedule.cap_multiple is not None:
                assert line.cumulative <= cap_amount(holding.capital, schedule.cap_multiple)
            if schedule.rate_ceiling_percent is not None:
                held = days_held(holding.issued_on, year.starts_on, year.ends_on)
                assert line.paid <= interest_for(
                    holding.capital, schedule.rate_ceiling_percent, held, days_in_year
                )


@settings(max_examples=100, deadline=None, database=None)
@given(scenarios())
def test_the_same_input_always_gives_the_same_output(scenario):
    schedule, register, surpluses = scenario
    first = simulate(terms=schedule, holdings=register, surpluses=surpluses)
    again = simulate(terms=schedule, holdings=list(reversed(register)), surpluses=list(surpluses))
    assert first == again
