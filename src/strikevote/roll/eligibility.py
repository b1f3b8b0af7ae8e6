"""Who may vote: good standing, dues paid through the cutoff (with grace), a registered email.

The rules follow the usual LMRDA yardstick (29 CFR 452.84–452.87): a uniform dues requirement with a grace
period is allowed, but members on dues check-off may not be disqualified because their employer paid late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from strikevote.roll.model import GOOD_STANDING_STATUSES, KNOWN_STATUSES, Member


class ExclusionReason(StrEnum):
    """Why a member is not eligible; a member may have several. Values are the JSON spelling."""

    NOT_IN_GOOD_STANDING = "not_in_good_standing"
    DUES_ARREARS = "dues_arrears"
    NO_EMAIL = "no_email"


_REASON_ORDER = {reason: i for i, reason in enumerate(ExclusionReason)}


@dataclass(frozen=True)
class EligibilityPolicy:
    """The eligibility rule for one vote.

    :param cutoff: dues must be paid through this date ...
    :param grace_days: ... or through at most this many days before it (``paid_through >= cutoff - grace``).
    :param require_email: an electronic vote needs a registered email to send the voter's credential.
    :param good_standing_statuses: roll statuses that count as good standing (subset of ``KNOWN_STATUSES``).
    """

    cutoff: date
    grace_days: int = 0
    require_email: bool = True
    good_standing_statuses: frozenset[str] = GOOD_STANDING_STATUSES

    def __post_init__(self) -> None:
        if not isinstance(self.cutoff, date) or isinstance(self.cutoff, datetime):
            raise TypeError("cutoff must be a date (not a datetime)")
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int) or self.grace_days < 0:
            raise ValueError(f"grace_days must be a non-negative integer, not {self.grace_days!r}")
        if not isinstance(self.require_email, bool):
            raise TypeError("require_email must be a bool")
        statuses = frozenset(self.good_standing_statuses)
        if not statuses:
            raise ValueError("good_standing_statuses must not be empty")
        unknown = statuses - KNOWN_STATUSES
        if unknown:
            raise ValueError(f"unknown good-standing statuses: {', '.join(sorted(unknown))}")
        object.__setattr__(self, "good_standing_statuses", statuses)

    @property
    def paid_through_minimum(self) -> date:
        """The earliest ``dues_paid_through`` that still counts as current: ``cutoff - grace_days``."""
        return self.cutoff - timedelta(days=self.grace_days)

    def is_in_arrears(self, member: Member) -> bool:
        """True when ``member`` is excluded for dues: not on check-off and not paid through the minimum."""
        if member.dues_checkoff:
            return False  # the employer deducts dues; a late remittance is not the member's fault
        paid = member.dues_paid_through
        return paid is None or paid < self.paid_through_minimum

    def reasons(self, member: Member) -> tuple[ExclusionReason, ...]:
        """Every reason ``member`` is excluded, in :class:`ExclusionReason` order; empty when eligible."""
        reasons: list[ExclusionReason] = []
        if member.status not in self.good_standing_statuses:
            reasons.append(ExclusionReason.NOT_IN_GOOD_STANDING)
        if self.is_in_arrears(member):
            reasons.append(ExclusionReason.DUES_ARREARS)
        if self.require_email and member.email is None:
            reasons.append(ExclusionReason.NO_EMAIL)
        return tuple(reasons)

    def is_eligible(self, member: Member) -> bool:
        return not self.reasons(member)


@dataclass(frozen=True)
class Exclusion:
    """A member left off the eligible list, with every applicable reason (never empty, no repeats)."""

    member: Member
    reasons: tuple[ExclusionReason, ...]

    def __post_init__(self) -> None:
        reasons = tuple(ExclusionReason(r) for r in self.reasons)
        if not reasons:
            raise ValueError(f"exclusion of {self.member.member_id!r} needs at least one reason")
        if len(set(reasons)) != len(reasons):
            raise ValueError(f"exclusion of {self.member.member_id!r} repeats a reason")
        object.__setattr__(self, "reasons", tuple(sorted(reasons, key=_REASON_ORDER.__getitem__)))
