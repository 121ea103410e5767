"""The FairShares surplus split (`capital.surplus`): each part to the penny, lines that add up to
their part, reserves that take the rest, whatever the figures."""

from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capital.surplus import PARTS, Member, Part, SurplusError, part_amount, split_surplus

D = Decimal
FRACTIONS = {Part.LABOUR: D("30"), Part.USER: D("25"), Part.INVESTOR: D("25")}


def members(*weights, prefix="M"):
    return [Member(ref=f"{prefix}{index}", weight=D(weight)) for index, weight in enumerate(weights, 1)]


def paid(split, part):
    return [line.paid for line in split.parts[part].lines]


def test_the_issues_example_splits_each_part_and_leaves_the_rest_in_reserves():
    split = split_surplus(
        surplus=D("100000.00"),
        fractions=FRACTIONS,
        members={
            Part.LABOUR: members("1200", "800", prefix="L"),
            Part.USER: members("350.25", "149.75", prefix="U"),
            Part.INVESTOR: members("5000.00", "15000.00", prefix="I"),
        },
    )
    assert split.reserves == D("20000.00")
    assert [split.parts[part].amount for part in PARTS] == [D("30000.00"), D("25000.00"), D("25000.00")]
    assert paid(split, Part.LABOUR) == [D("18000.00"), D("12000.00")]
    assert paid(split, Part.USER) == [D("17512.50"), D("7487.50")]
    assert paid(split, Part.INVESTOR) == [D("6250.00"), D("18750.00")]


def test_each_part_is_rounded_half_up_and_reserves_take_the_difference():
    # 30% of £0.05 is 1.5p: 2p. 25% is 1.25p: 1p.
    split = split_surplus(
        surplus=D("0.05"),
        fractions=FRACTIONS,
        members={part: members("1") for part in PARTS},
    )
    assert [split.parts[part].amount for part in PARTS] == [D("0.02"), D("0.01"), D("0.01")]
    assert split.reserves == D("0.01")


def test_leftover_pennies_go_to_the_largest_remainders_and_ties_to_the_earlier_member():
    split = split_surplus(
        surplus=D("1.00"),
        fractions={Part.LABOUR: D("100")},
        members={Part.LABOUR: members("1", "1", "1")},
    )
    assert paid(split, Part.LABOUR) == [D("0.34"), D("0.33"), D("0.33")]
    split = split_surplus(
        surplus=D("1.00"),
        fractions={Part.LABOUR: D("100")},
        members={Part.LABOUR: members("1", "2", "2")},  # 0.2, 0.4, 0.4: no remainder
    )
    assert paid(split, Part.LABOUR) == [D("0.20"), D("0.40"), D("0.40")]
    split = split_surplus(
        surplus=D("0.10"),
        fractions={Part.LABOUR: D("100")},
        members={Part.LABOUR: members("1", "5", "5")},  # 0.00909, 0.04545, 0.04545
    )
    assert paid(split, Part.LABOUR) == [D("0.01"), D("0.05"), D("0.04")]


@pytest.mark.parametrize("surplus", [D("0.00"), D("-2500.00")])
def test_a_surplus_of_nothing_or_a_loss_pays_no_part_and_no_line(surplus):
    split = split_surplus(
        surplus=surplus, fractions=FRACTIONS, members={part: members("10") for part in PARTS}
    )
    assert all(split.parts[part].amount == 0 for part in PARTS)
    assert all(line.paid == 0 for part in PARTS for line in split.parts[part].lines)
    assert split.reserves == surplus


def test_a_part_with_no_one_to_receive_it_stays_in_reserves():
    split = split_surplus(
        surplus=D("1000.00"),
        fractions=FRACTIONS,
        members={Part.LABOUR: members("0", "0"), Part.USER: [], Part.INVESTOR: members("100")},
    )
    assert split.parts[Part.LABOUR].amount == 0 and paid(split, Part.LABOUR) == [0, 0]
    assert split.parts[Part.USER].amount == 0 and split.parts[Part.USER].lines == ()
    assert split.parts[Part.INVESTOR].amount == D("250.00")
    assert split.reserves == D("750.00")


@pytest.mark.parametrize(
    ("fractions", "members_by_part", "field"),
    [
        ({Part.LABOUR: D("60"), Part.USER: D("30"), Part.INVESTOR: D("25")}, {}, "fractions"),
        ({Part.LABOUR: D("-1")}, {}, "labour"),
        ({Part.USER: D("100.01")}, {}, "user"),
        ({}, {Part.LABOUR: members("1", "-1")}, "labour"),
        ({}, {Part.USER: [Member("U", D("1")), Member("U", D("2"))]}, "user"),
    ],
)
def test_figures_the_split_cannot_use_are_refused_naming_the_field(fractions, members_by_part, field):
    with pytest.raises(SurplusError) as refused:
        split_surplus(surplus=D("100.00"), fractions=fractions, members=members_by_part)
    assert refused.value.field == field


def test_a_surplus_finer_than_a_penny_is_refused():
    with pytest.raises(SurplusError, match="whole pennies"):
        split_surplus(surplus=D("100.001"), fractions=FRACTIONS, members={})


# --- Properties ------------------------------------------------------------------------------------

pennies = st.integers(min_value=-(10**9), max_value=10**11)
percent = st.integers(min_value=0, max_value=10000).map(lambda basis_points: D(basis_points).scaleb(-2))
weight = st.one_of(
    st.just(D(0)),
    st.integers(min_value=0, max_value=10**8).map(D),
    st.integers(min_value=0, max_value=10**10).map(lambda n: D(n).scaleb(-4)),
)


@st.composite
def scenarios(draw):
    surplus = D(draw(pennies)).scaleb(-2)
    chosen = [draw(percent) for _ in PARTS]
    while sum(chosen) > 100:
        chosen = [(each / 2).quantize(D("0.01"), rounding=ROUND_DOWN) for each in chosen]
    parts_members = {
        part: members(*draw(st.lists(weight, max_size=12)), prefix=part.value[0].upper()) for part in PARTS
    }
    return surplus, dict(zip(PARTS, chosen, strict=True)), parts_members


@settings(max_examples=400, deadline=None, database=None)
@given(scenarios())
def test_the_split_always_equals_the_surplus_and_each_part_adds_up(scenario):
    surplus, fractions, parts_members = scenario
    split = split_surplus(surplus=surplus, fractions=fractions, members=parts_members)

    assert split.reserves + sum(split.parts[part].amount for part in PARTS) == surplus, "adds up exactly"
    for part in PARTS:
        amount = split.parts[part].amount
        lines = split.parts[part].lines
        assert sum((line.paid for line in lines), D(0)) == amount, f"{part}'s lines add up to its part"
        assert [line.ref for line in lines] == [member.ref for member in parts_members[part]]
        exact = max(surplus, D(0)) * fractions[part] / 100
        assert amount <= exact + D("0.005"), f"{part} pays no more than its fraction (rounded half up)"
        if surplus > 0 and any(member.weight for member in parts_members[part]):
            assert amount == part_amount(surplus, fractions[part]), "someone to receive it: the part is paid"
        else:
            assert amount == 0, "no surplus, or no one to receive it: the part stays in reserves"
        assert all(line.paid >= 0 for line in lines)


@settings(max_examples=300, deadline=None, database=None)
@given(scenarios())
def test_each_line_is_its_pro_rata_share_floored_or_one_penny_more(scenario):
    surplus, fractions, parts_members = scenario
    split = split_surplus(surplus=surplus, fractions=fractions, members=parts_members)
    for part in PARTS:
        total_weight = sum((member.weight for member in parts_members[part]), D(0))
        amount = split.parts[part].amount
        for line in split.parts[part].lines:
            if not amount:
                assert line.paid == 0
                continue
            # Exact fractions: amount × weight / total, compared without rounding.
            share = amount * 100 * line.weight
            floor_pennies = int(share // total_weight)
            assert line.paid * 100 in (floor_pennies, floor_pennies + 1)
            if line.weight == 0:
                assert line.paid == 0, "a member who contributed nothing never gets a leftover penny"
