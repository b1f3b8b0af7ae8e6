"""Eligibility rules and the frozen snapshot (JSON round trip, digest)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from strikevote.roll import (
    EligibilityPolicy,
    Exclusion,
    ExclusionReason,
    Member,
    Roll,
    Snapshot,
    SnapshotError,
    freeze_snapshot,
)

CUTOFF = date(2021, 9, 30)
TAKEN_AT = datetime(2021, 9, 15, 18, 0, tzinfo=UTC)
R = ExclusionReason


def member(
    member_id: str = "600-1",
    *,
    email: str | None = "m@example.org",
    local: str = "600",
    status: str = "good-standing",
    paid: date | None = CUTOFF,
    checkoff: bool = False,
    name: str = "Maria Garcia",
) -> Member:
    return Member(member_id, name, email, local, status, paid, checkoff)


# -- eligibility -------------------------------------------------------------------------------------------


def test_member_in_good_standing_paid_up_with_email_is_eligible() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    assert policy.reasons(member()) == ()
    assert policy.is_eligible(member(status="active"))


@pytest.mark.parametrize("status", ["suspended", "expelled", "withdrawn", "retired"])
def test_statuses_outside_good_standing_are_excluded(status: str) -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    assert policy.reasons(member(status=status)) == (R.NOT_IN_GOOD_STANDING,)


def test_good_standing_statuses_are_configurable() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF, good_standing_statuses=frozenset({"good-standing", "retired"}))
    assert policy.is_eligible(member(status="retired"))
    assert policy.reasons(member(status="active")) == (R.NOT_IN_GOOD_STANDING,)


def test_dues_arrears() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    assert policy.reasons(member(paid=CUTOFF - timedelta(days=1))) == (R.DUES_ARREARS,)
    assert policy.reasons(member(paid=None)) == (R.DUES_ARREARS,)
    assert policy.is_eligible(member(paid=CUTOFF + timedelta(days=90)))


@pytest.mark.parametrize("paid", [None, date(2019, 1, 31), CUTOFF - timedelta(days=1)])
def test_checkoff_members_in_arrears_stay_eligible(paid: date | None) -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    assert policy.is_eligible(member(paid=paid, checkoff=True))
    assert not policy.is_in_arrears(member(paid=paid, checkoff=True))


def test_checkoff_does_not_excuse_other_reasons() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    assert policy.reasons(member(paid=None, checkoff=True, status="suspended", email=None)) == (
        R.NOT_IN_GOOD_STANDING,
        R.NO_EMAIL,
    )


@pytest.mark.parametrize(
    ("grace_days", "days_before_cutoff", "eligible"),
    [
        (0, 0, True),
        (0, 1, False),
        (30, 30, True),
        (30, 31, False),
        (30, 0, True),
        (1, 1, True),
        (1, 2, False),
    ],
)
def test_grace_period_edges(grace_days: int, days_before_cutoff: int, eligible: bool) -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF, grace_days=grace_days)
    assert policy.paid_through_minimum == CUTOFF - timedelta(days=grace_days)
    assert policy.is_eligible(member(paid=CUTOFF - timedelta(days=days_before_cutoff))) is eligible


def test_email_requirement() -> None:
    assert EligibilityPolicy(cutoff=CUTOFF).reasons(member(email=None)) == (R.NO_EMAIL,)
    assert EligibilityPolicy(cutoff=CUTOFF, require_email=False).is_eligible(member(email=None))


def test_all_reasons_are_kept_in_a_fixed_order() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    reasons = policy.reasons(member(email=None, paid=None, status="withdrawn"))
    assert reasons == (R.NOT_IN_GOOD_STANDING, R.DUES_ARREARS, R.NO_EMAIL)
    shuffled = Exclusion(member(), (R.NO_EMAIL, R.NOT_IN_GOOD_STANDING))
    assert shuffled.reasons == (R.NOT_IN_GOOD_STANDING, R.NO_EMAIL)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"grace_days": -1},
        {"grace_days": True},
        {"good_standing_statuses": frozenset()},
        {"good_standing_statuses": frozenset({"on-strike"})},
    ],
)
def test_policy_rejects_bad_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        EligibilityPolicy(cutoff=CUTOFF, **kwargs)  # type: ignore[arg-type]


def test_policy_cutoff_must_be_a_date() -> None:
    with pytest.raises(TypeError):
        EligibilityPolicy(cutoff=datetime(2021, 9, 30))


def test_exclusion_needs_distinct_reasons() -> None:
    with pytest.raises(ValueError):
        Exclusion(member(), ())
    with pytest.raises(ValueError):
        Exclusion(member(), (R.NO_EMAIL, R.NO_EMAIL))


@pytest.mark.parametrize(
    "changes",
    [
        {"member_id": ""},
        {"member_id": "../../PWNED"},
        {"member_id": "600/1"},
        {"member_id": "x" * 65},
        {"name": " padded"},
        {"local": "6\n00"},
        {"email": "nope"},
        {"status": "Active"},
        {"dues_paid_through": datetime(2021, 1, 1)},
        {"dues_checkoff": 1},
    ],
)
def test_member_validates_its_fields(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="member "):
        dataclasses.replace(member(), **changes)


def test_roll_rejects_duplicate_ids_case_insensitively() -> None:
    with pytest.raises(ValueError, match="duplicate member id"):
        Roll((member("A-1"), member("a-1")))


# -- snapshot ----------------------------------------------------------------------------------------------


def sample_roll() -> Roll:
    return Roll.from_members(
        [
            member("600-1"),
            member("600-2", email=None),
            member("44-1", local="44", paid=None, checkoff=True),
            member(
                "44-2", local="44", paid=date(2021, 8, 30), status="suspended", email=None, name="Wei Chen"
            ),
            member("80-1", local="80", paid=date(2021, 9, 1), name="José Müller"),
        ]
    )


def test_freeze_snapshot_classifies_everyone() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF, grace_days=30)
    snapshot = freeze_snapshot(sample_roll(), policy, TAKEN_AT)
    assert [m.member_id for m in snapshot.eligible] == ["44-1", "600-1", "80-1"]  # sorted by (local, id)
    assert [(e.member.member_id, e.reasons) for e in snapshot.excluded] == [
        ("44-2", (R.NOT_IN_GOOD_STANDING, R.DUES_ARREARS, R.NO_EMAIL)),
        ("600-2", (R.NO_EMAIL,)),
    ]
    assert snapshot.locals == ("44", "600", "80")
    assert len(snapshot.members) == 5
    assert [m.member_id for m in snapshot.eligible_in("600")] == ["600-1"]


def test_snapshot_is_immutable() -> None:
    snapshot = freeze_snapshot(sample_roll(), EligibilityPolicy(cutoff=CUTOFF), TAKEN_AT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.eligible = ()  # type: ignore[misc]
    assert isinstance(snapshot.eligible, tuple) and isinstance(snapshot.excluded, tuple)


def test_snapshot_json_round_trip() -> None:
    snapshot = freeze_snapshot(sample_roll(), EligibilityPolicy(cutoff=CUTOFF, grace_days=7), TAKEN_AT)
    assert Snapshot.from_json(snapshot.to_json()) == snapshot
    assert Snapshot.from_json(snapshot.to_json(indent=2)) == snapshot
    assert Snapshot.from_json(snapshot.to_json().encode()) == snapshot
    assert Snapshot.from_json(snapshot.to_json()).digest() == snapshot.digest()


def test_canonical_json_and_digest_are_pinned() -> None:
    roll = Roll((member("1", email=None, paid=None, status="retired", name="Zoë"),))
    snapshot = freeze_snapshot(roll, EligibilityPolicy(cutoff=CUTOFF), TAKEN_AT)
    expected = (
        '{"eligible":[],"excluded":[{"member":{"dues_checkoff":false,"dues_paid_through":null,"email":null,'
        '"local":"600","member_id":"1","name":"Zoë","status":"retired"},'
        '"reasons":["not_in_good_standing","dues_arrears","no_email"]}],'
        '"format":"strikevote/roll-snapshot/1",'
        '"policy":{"cutoff":"2021-09-30","good_standing_statuses":["active","good-standing"],'
        '"grace_days":0,"require_email":true},"taken_at":"2021-09-15T18:00:00Z"}'
    )
    assert snapshot.to_json() == expected
    assert snapshot.digest() == hashlib.sha256(expected.encode("utf-8")).hexdigest()
    assert snapshot.digest() == "2cf74e20a6e78eeebcec9b29e533c71572e5a8e747bda9888d602d78c7971c8a"


def test_digest_is_stable_under_roll_order_and_timezone() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    forward = freeze_snapshot(sample_roll(), policy, TAKEN_AT)
    backward = freeze_snapshot(reversed(sample_roll().members), policy, TAKEN_AT)
    pacific = TAKEN_AT.astimezone(timezone(timedelta(hours=-7)))
    shifted = freeze_snapshot(sample_roll(), policy, pacific)
    assert forward.digest() == backward.digest() == shifted.digest()
    assert len(forward.digest()) == 64


def test_digest_changes_with_content() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    base = freeze_snapshot(sample_roll(), policy, TAKEN_AT).digest()
    renamed = [dataclasses.replace(m, name="Other") if m.member_id == "80-1" else m for m in sample_roll()]
    assert freeze_snapshot(renamed, policy, TAKEN_AT).digest() != base
    assert (
        freeze_snapshot(sample_roll(), EligibilityPolicy(cutoff=CUTOFF, grace_days=1), TAKEN_AT).digest()
        != base
    )
    assert freeze_snapshot(sample_roll(), policy, TAKEN_AT + timedelta(seconds=1)).digest() != base


def test_snapshot_rejects_naive_time_and_inconsistent_lists() -> None:
    policy = EligibilityPolicy(cutoff=CUTOFF)
    with pytest.raises(ValueError, match="timezone-aware"):
        freeze_snapshot(sample_roll(), policy, datetime(2021, 9, 15))
    with pytest.raises(ValueError, match="listed eligible"):
        Snapshot(TAKEN_AT, policy, (member(email=None),), ())
    with pytest.raises(ValueError, match="but the policy gives"):
        Snapshot(TAKEN_AT, policy, (), (Exclusion(member(), (R.NO_EMAIL,)),))
    with pytest.raises(ValueError, match="appears twice"):
        Snapshot(TAKEN_AT, policy, (member(), member()), ())


def _tamper(snapshot: Snapshot, edit: str) -> str:
    data = json.loads(snapshot.to_json())
    if edit == "move-to-eligible":
        data["eligible"].append(data["excluded"].pop()["member"])
    elif edit == "drop-reason":
        data["excluded"][0]["reasons"].pop()
    elif edit == "unknown-key":
        data["extra"] = 1
    elif edit == "missing-key":
        del data["policy"]
    elif edit == "format":
        data["format"] = "strikevote/roll-snapshot/2"
    elif edit == "naive-time":
        data["taken_at"] = "2021-09-15T18:00:00"
    elif edit == "bad-reason":
        data["excluded"][0]["reasons"] = ["too_loud"]
    elif edit == "bad-email":
        data["eligible"][0]["email"] = "x@"
    elif edit == "unsafe-id":
        data["eligible"][0]["member_id"] = "../../PWNED"
    elif edit == "int-as-bool":
        data["eligible"][0]["dues_checkoff"] = 0
    elif edit == "bool-as-int":
        data["policy"]["grace_days"] = True
    elif edit == "bad-date":
        data["policy"]["cutoff"] = "2021-9-30"
    elif edit == "member-key":
        data["eligible"][0]["phone"] = "555"
    return json.dumps(data)


@pytest.mark.parametrize(
    "edit",
    [
        "move-to-eligible",
        "drop-reason",
        "unknown-key",
        "missing-key",
        "format",
        "naive-time",
        "bad-reason",
        "bad-email",
        "unsafe-id",
        "int-as-bool",
        "bool-as-int",
        "bad-date",
        "member-key",
    ],
)
def test_from_json_rejects_malformed_or_tampered_snapshots(edit: str) -> None:
    snapshot = freeze_snapshot(sample_roll(), EligibilityPolicy(cutoff=CUTOFF), TAKEN_AT)
    with pytest.raises(SnapshotError):
        Snapshot.from_json(_tamper(snapshot, edit))


def test_from_json_rejects_non_json() -> None:
    with pytest.raises(SnapshotError, match="not valid JSON"):
        Snapshot.from_json("{")
    with pytest.raises(SnapshotError):
        Snapshot.from_json("[]")
