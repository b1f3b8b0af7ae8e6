"""Fake-roll generator (exact counts, determinism) and properties over generated rolls and policies."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strikevote.roll import (
    GOOD_STANDING_STATUSES,
    KNOWN_STATUSES,
    EligibilityPolicy,
    ExclusionReason,
    Member,
    Roll,
    Snapshot,
    freeze_snapshot,
    generate_roll,
    load_roll,
    readiness_rows,
    readiness_total,
    write_roll_csv,
)
from strikevote.roll.generate import MAX_GRACE_DAYS

CUTOFF = date(2021, 9, 30)
TAKEN_AT = datetime(2021, 9, 15, tzinfo=UTC)
LOCALS = [("600", 120), ("700", 80), ("44", 60), ("80", 0)]
NO_EMAIL = {"600": 7, "700": 3}
IN_ARREARS = {"600": 11, "44": 60}


def generate(seed: int = 7) -> list[Member]:
    return generate_roll(LOCALS, random.Random(seed), no_email=NO_EMAIL, in_arrears=IN_ARREARS, cutoff=CUTOFF)


@pytest.mark.parametrize("grace_days", [0, 1, MAX_GRACE_DAYS])
def test_generator_gives_exact_counts_per_local(grace_days: int) -> None:
    members = generate()
    assert Counter(m.local for m in members) == {"600": 120, "700": 80, "44": 60}
    snapshot = freeze_snapshot(members, EligibilityPolicy(cutoff=CUTOFF, grace_days=grace_days), TAKEN_AT)
    rows = {r.local: r for r in readiness_rows(snapshot)}
    for local, size in LOCALS:
        if size == 0:
            assert local not in rows
            continue
        row = rows[local]
        assert row.no_email == NO_EMAIL.get(local, 0)
        assert row.in_arrears == IN_ARREARS.get(local, 0)
        assert row.not_in_good_standing == 0
        assert row.eligible == size - row.no_email - row.in_arrears
    for exclusion in snapshot.excluded:
        assert len(exclusion.reasons) == 1
        if exclusion.reasons == (ExclusionReason.DUES_ARREARS,):
            assert not exclusion.member.dues_checkoff


def test_generator_exercises_the_checkoff_rule() -> None:
    members = generate()
    late_checkoff = [
        m for m in members if m.dues_checkoff and m.dues_paid_through and m.dues_paid_through < CUTOFF
    ]
    assert late_checkoff, "some check-off members should have an employer behind on payments"
    policy = EligibilityPolicy(cutoff=CUTOFF)
    assert all(policy.is_eligible(m) for m in late_checkoff)


def test_generator_is_deterministic_and_realistic() -> None:
    first, second = generate(7), generate(7)
    assert first == second
    assert generate(8) != first
    emails = [m.email for m in first if m.email is not None]
    assert len(emails) == len(set(emails))
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\.\d{4}@example\.org", e) for e in emails)
    assert len({m.member_id for m in first}) == len(first)
    assert all(re.fullmatch(r"\d+-\d{6}", m.member_id) for m in first)
    assert {m.status for m in first} <= GOOD_STANDING_STATUSES
    assert Roll.from_members(first)  # valid roll: no duplicate ids


def test_generated_roll_survives_csv_round_trip(tmp_path: Path) -> None:
    members = generate()
    write_roll_csv(members, tmp_path / "roll.csv")
    assert list(load_roll(tmp_path / "roll.csv", locals_={"600", "700", "44"}).members) == members


@pytest.mark.parametrize(
    ("locals_", "no_email", "in_arrears", "message"),
    [
        ([("1", 5), ("1", 5)], None, None, "listed twice"),
        ([("1", -1)], None, None, "negative size"),
        ([("1", 5)], {"2": 1}, None, "unknown locals: 2"),
        ([("1", 5)], None, {"1": -1}, "negative counts"),
        ([("1", 5)], {"1": 3}, {"1": 3}, "exceeds"),
    ],
)
def test_generator_rejects_impossible_requests(
    locals_: list[tuple[str, int]],
    no_email: dict[str, int] | None,
    in_arrears: dict[str, int] | None,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        generate_roll(locals_, random.Random(0), no_email=no_email, in_arrears=in_arrears, cutoff=CUTOFF)


# -- properties --------------------------------------------------------------------------------------------


@st.composite
def rolls(draw: st.DrawFn) -> list[Member]:
    names = draw(
        st.lists(st.sampled_from(["44", "80", "600", "700", "B2"]), min_size=1, max_size=4, unique=True)
    )
    sizes = [draw(st.integers(0, 25)) for _ in names]
    no_email: dict[str, int] = {}
    in_arrears: dict[str, int] = {}
    for name, size in zip(names, sizes, strict=True):
        no_email[name] = draw(st.integers(0, size))
        in_arrears[name] = draw(st.integers(0, size - no_email[name]))
    members = generate_roll(
        list(zip(names, sizes, strict=True)),
        random.Random(draw(st.integers(0, 2**32))),
        no_email=no_email,
        in_arrears=in_arrears,
        cutoff=CUTOFF,
    )
    # Mix in members the generator never makes: other statuses, no dues record, any check-off flag.
    statuses = sorted(KNOWN_STATUSES)
    edited = []
    for member in members:
        if draw(st.booleans()):
            edited.append(member)
            continue
        paid = draw(st.none() | st.dates(CUTOFF - timedelta(days=60), CUTOFF + timedelta(days=60)))
        edited.append(
            Member(
                member.member_id,
                member.name,
                member.email,
                member.local,
                draw(st.sampled_from(statuses)),
                paid,
                draw(st.booleans()),
            )
        )
    return edited


policies = st.builds(
    EligibilityPolicy,
    cutoff=st.dates(CUTOFF - timedelta(days=90), CUTOFF + timedelta(days=90)),
    grace_days=st.integers(0, 60),
    require_email=st.booleans(),
    good_standing_statuses=st.frozensets(st.sampled_from(sorted(KNOWN_STATUSES)), min_size=1),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=rolls(), policy=policies)
def test_every_member_is_eligible_or_excluded_exactly_once(
    members: list[Member], policy: EligibilityPolicy
) -> None:
    snapshot = freeze_snapshot(members, policy, TAKEN_AT)
    eligible_ids = [m.member_id for m in snapshot.eligible]
    excluded_ids = [e.member.member_id for e in snapshot.excluded]
    assert len(eligible_ids) + len(excluded_ids) == len(members)
    assert set(eligible_ids) | set(excluded_ids) == {m.member_id for m in members}
    assert not set(eligible_ids) & set(excluded_ids)
    for exclusion in snapshot.excluded:
        assert exclusion.reasons == policy.reasons(exclusion.member) != ()
        if exclusion.member.dues_checkoff:
            assert ExclusionReason.DUES_ARREARS not in exclusion.reasons
    total = readiness_total(readiness_rows(snapshot))
    assert (total.members, total.eligible, total.excluded) == (
        len(members),
        len(eligible_ids),
        len(excluded_ids),
    )
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


@settings(max_examples=30, deadline=None)
@given(members=rolls(), policy=policies, seed=st.integers(0, 1000))
def test_digest_depends_on_content_not_order(
    members: list[Member], policy: EligibilityPolicy, seed: int
) -> None:
    shuffled = list(members)
    random.Random(seed).shuffle(shuffled)
    assert (
        freeze_snapshot(members, policy, TAKEN_AT).digest()
        == freeze_snapshot(shuffled, policy, TAKEN_AT).digest()
    )


texts = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
            blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(texts, min_size=1, max_size=8),
    locals_=st.lists(texts, min_size=1, max_size=8),
    checkoff=st.booleans(),
)
def test_any_valid_text_survives_csv_round_trip(
    tmp_path: Path, names: list[str], locals_: list[str], checkoff: bool
) -> None:
    members = [
        Member(f"id-{i}", name, None, locals_[i % len(locals_)], "active", None, checkoff)
        for i, name in enumerate(names)
    ]
    write_roll_csv(members, tmp_path / "prop.csv")
    assert list(load_roll(tmp_path / "prop.csv").members) == members


def test_member_ids_are_valid_even_when_a_local_id_cannot_start_one() -> None:
    locals_ = [("Local 44", 3), ("café", 2), ("L1", 2), ("x" * 60, 1)]
    members = generate_roll(locals_, random.Random(3), cutoff=CUTOFF)
    prefixes = {m.local: m.member_id.rsplit("-", 1)[0] for m in members}
    assert prefixes == {"Local 44": "L1x", "café": "L2", "L1": "L1", "x" * 60: "L4"}
    assert len({m.member_id.casefold() for m in members}) == len(members)
