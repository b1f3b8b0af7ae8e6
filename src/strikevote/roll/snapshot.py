"""The roll frozen when the vote is called: who is eligible, who is excluded and why, and its digest.

The snapshot holds personal data (names, emails), so the vote record should reference it by
:meth:`Snapshot.digest` rather than publish it. The JSON form is canonical (keys sorted, no whitespace,
UTF-8, members sorted by local then member id; for the strings, booleans and small integers it holds this is
also RFC 8785 JSON Canonicalization), so the digest depends only on content, not on roll order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from strikevote.roll.eligibility import EligibilityPolicy, Exclusion, ExclusionReason
from strikevote.roll.errors import SnapshotError
from strikevote.roll.model import Member, Roll

#: Format marker written into every snapshot.
SNAPSHOT_FORMAT: Final = "strikevote/roll-snapshot/1"

_MEMBER_KEYS: Final = frozenset(
    {"member_id", "name", "email", "local", "status", "dues_paid_through", "dues_checkoff"}
)


def _member_order(member: Member) -> tuple[str, str]:
    return (member.local, member.member_id)


@dataclass(frozen=True)
class Snapshot:
    """An immutable eligibility decision over a whole roll.

    Construction sorts both lists by (local, member id) and checks that every member appears once and that
    each classification is exactly what ``policy`` gives; a ``ValueError`` says what does not match.
    ``taken_at`` must be timezone-aware.
    """

    taken_at: datetime
    policy: EligibilityPolicy
    eligible: tuple[Member, ...]
    excluded: tuple[Exclusion, ...]

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None or self.taken_at.utcoffset() is None:
            raise ValueError("taken_at must be timezone-aware (e.g. datetime.now(UTC))")
        eligible = tuple(sorted(self.eligible, key=_member_order))
        excluded = tuple(sorted(self.excluded, key=lambda e: _member_order(e.member)))
        seen: set[str] = set()
        for member in (*eligible, *(e.member for e in excluded)):
            key = member.member_id.casefold()
            if key in seen:
                raise ValueError(f"member {member.member_id!r} appears twice in the snapshot")
            seen.add(key)
        for member in eligible:
            reasons = self.policy.reasons(member)
            if reasons:
                raise ValueError(
                    f"member {member.member_id!r} is listed eligible but the policy excludes them "
                    f"({', '.join(reasons)})"
                )
        for exclusion in excluded:
            reasons = self.policy.reasons(exclusion.member)
            if reasons != exclusion.reasons:
                raise ValueError(
                    f"member {exclusion.member.member_id!r} is excluded for ({', '.join(exclusion.reasons)}) "
                    f"but the policy gives ({', '.join(reasons) or 'eligible'})"
                )
        object.__setattr__(self, "eligible", eligible)
        object.__setattr__(self, "excluded", excluded)

    # -- queries -----------------------------------------------------------------------------------------

    @property
    def members(self) -> tuple[Member, ...]:
        """Everyone on the frozen roll, sorted by (local, member id)."""
        return tuple(sorted((*self.eligible, *(e.member for e in self.excluded)), key=_member_order))

    @property
    def locals(self) -> tuple[str, ...]:
        """Distinct local ids on the roll, sorted."""
        return tuple(sorted({m.local for m in self.eligible} | {e.member.local for e in self.excluded}))

    def eligible_in(self, local: str) -> tuple[Member, ...]:
        return tuple(m for m in self.eligible if m.local == local)

    # -- JSON --------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT,
            "taken_at": _datetime_to_json(self.taken_at),
            "policy": {
                "cutoff": self.policy.cutoff.isoformat(),
                "grace_days": self.policy.grace_days,
                "require_email": self.policy.require_email,
                "good_standing_statuses": sorted(self.policy.good_standing_statuses),
            },
            "eligible": [_member_to_json(m) for m in self.eligible],
            "excluded": [
                {"member": _member_to_json(e.member), "reasons": [str(r) for r in e.reasons]}
                for e in self.excluded
            ],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The snapshot as JSON; without ``indent`` this is the canonical form that :meth:`digest` hashes."""
        if indent is None:
            return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, ensure_ascii=False)

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON encoded as UTF-8."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes) -> Snapshot:
        """Parse and fully re-check a snapshot (members, policy, classification).

        :raises SnapshotError: on malformed JSON, unknown or missing keys, bad values, or a classification
            that does not follow from the recorded policy.
        """
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"snapshot is not valid JSON: {exc}") from exc
        try:
            return _snapshot_from_obj(data)
        except SnapshotError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise SnapshotError(f"invalid snapshot: {exc}") from exc


def freeze_snapshot(roll: Roll | Iterable[Member], policy: EligibilityPolicy, taken_at: datetime) -> Snapshot:
    """Classify every member of ``roll`` under ``policy`` and freeze the result at ``taken_at`` (tz-aware)."""
    eligible: list[Member] = []
    excluded: list[Exclusion] = []
    for member in roll:
        reasons = policy.reasons(member)
        if reasons:
            excluded.append(Exclusion(member, reasons))
        else:
            eligible.append(member)
    return Snapshot(taken_at=taken_at, policy=policy, eligible=tuple(eligible), excluded=tuple(excluded))


# -- codec helpers ---------------------------------------------------------------------------------------


def _datetime_to_json(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _member_to_json(member: Member) -> dict[str, Any]:
    paid = member.dues_paid_through
    return {
        "member_id": member.member_id,
        "name": member.name,
        "email": member.email,
        "local": member.local,
        "status": member.status,
        "dues_paid_through": None if paid is None else paid.isoformat(),
        "dues_checkoff": member.dues_checkoff,
        # Only when not English, so that the digest of a roll without a language column is unchanged.
        **({"language": member.language} if member.language != "en" else {}),
    }


def _expect(value: object, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise SnapshotError(f"{what} has the wrong type ({type(value).__name__})")
    return value


def _exact_keys(obj: object, keys: Iterable[str], what: str) -> dict[str, Any]:
    data = _expect(obj, dict, what)
    expected = set(keys)
    if set(data) != expected:
        missing = sorted(expected - set(data))
        unknown = sorted(set(data) - expected)
        raise SnapshotError(f"{what}: missing keys {missing}, unknown keys {unknown}")
    return dict(data)


def _date_from_json(value: object, what: str) -> date:
    text = _expect(value, str, what)
    if len(text) != 10:
        raise SnapshotError(f"{what}: {text!r} is not YYYY-MM-DD")
    return date.fromisoformat(text)


def _member_from_json(obj: object) -> Member:
    keys = _MEMBER_KEYS | {"language"} if isinstance(obj, dict) and "language" in obj else _MEMBER_KEYS
    data = _exact_keys(obj, keys, "member")
    paid = data["dues_paid_through"]
    email = data["email"]
    return Member(
        member_id=_expect(data["member_id"], str, "member_id"),
        name=_expect(data["name"], str, "name"),
        email=None if email is None else _expect(email, str, "email"),
        local=_expect(data["local"], str, "local"),
        status=_expect(data["status"], str, "status"),
        dues_paid_through=None if paid is None else _date_from_json(paid, "dues_paid_through"),
        dues_checkoff=_expect(data["dues_checkoff"], bool, "dues_checkoff"),
        language=_expect(data.get("language", "en"), str, "language"),
    )


def _snapshot_from_obj(obj: object) -> Snapshot:
    data = _exact_keys(obj, ("format", "taken_at", "policy", "eligible", "excluded"), "snapshot")
    if data["format"] != SNAPSHOT_FORMAT:
        raise SnapshotError(f"unsupported snapshot format {data['format']!r} (expected {SNAPSHOT_FORMAT!r})")
    taken_at = datetime.fromisoformat(_expect(data["taken_at"], str, "taken_at"))
    policy_data = _exact_keys(
        data["policy"], ("cutoff", "grace_days", "require_email", "good_standing_statuses"), "policy"
    )
    statuses = _expect(policy_data["good_standing_statuses"], list, "good_standing_statuses")
    policy = EligibilityPolicy(
        cutoff=_date_from_json(policy_data["cutoff"], "cutoff"),
        grace_days=_expect(policy_data["grace_days"], int, "grace_days"),
        require_email=_expect(policy_data["require_email"], bool, "require_email"),
        good_standing_statuses=frozenset(_expect(s, str, "status") for s in statuses),
    )
    eligible = tuple(_member_from_json(m) for m in _expect(data["eligible"], list, "eligible"))
    excluded: list[Exclusion] = []
    for item in _expect(data["excluded"], list, "excluded"):
        entry = _exact_keys(item, ("member", "reasons"), "exclusion")
        reasons = tuple(
            ExclusionReason(_expect(r, str, "reason")) for r in _expect(entry["reasons"], list, "reasons")
        )
        excluded.append(Exclusion(_member_from_json(entry["member"]), reasons))
    return Snapshot(taken_at=taken_at, policy=policy, eligible=eligible, excluded=tuple(excluded))
