"""Election parameters (specification §"Elections"; ``election.json``) and the fingerprint φ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strikevote.belenios.codec import check_object, dumps, get_int, get_list, get_str, loads
from strikevote.belenios.errors import FormatError, UnreadableError
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.group import Group
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.hashing import sha256_b64

ELECTION_FIELDS = (
    "version",
    "description",
    "name",
    "group",
    "public_key",
    "questions",
    "uuid",
    "administrator",
    "credential_authority",
)
QUESTION_FIELDS = ("answers", "blank", "min", "max", "question")


@dataclass(frozen=True)
class Question:
    """A homomorphic question (``question_h``): the voter ticks between ``min`` and ``max`` answers."""

    answers: tuple[str, ...]
    min: int
    max: int
    question: str
    blank: bool | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"answers": list(self.answers)}
        if self.blank is not None:
            out["blank"] = self.blank
        out.update({"min": self.min, "max": self.max, "question": self.question})
        return out

    @staticmethod
    def parse(obj: Any, where: str) -> Question:
        obj = check_object(obj, where, QUESTION_FIELDS, optional=("blank",))
        answers = get_list(obj, "answers", where)
        if not answers or not all(isinstance(a, str) for a in answers):
            raise FormatError(f"{where}.answers", "expected a non-empty list of strings")
        blank = obj.get("blank")
        if blank is not None and not isinstance(blank, bool):
            raise FormatError(f"{where}.blank", "expected a boolean")
        if blank:
            raise FormatError(f"{where}.blank", "questions with a blank choice are not supported")
        lo = get_int(obj, "min", where, minimum=0)
        hi = get_int(obj, "max", where, minimum=lo)
        if hi > len(answers):
            raise FormatError(f"{where}.max", "larger than the number of answers")
        return Question(tuple(answers), lo, hi, get_str(obj, "question", where), blank)


@dataclass(frozen=True)
class ElectionParams:
    """The parameters of one Belenios election, ``election.json`` (not :class:`strikevote.db.models.Election`, the
    row of a vote's local).  ``raw`` is the exact string: φ = Base64Compact(SHA-256(raw))."""

    raw: str
    group: Group[Any]
    public_key: Any
    description: str
    name: str
    questions: tuple[Question, ...]
    uuid: str
    administrator: str | None = None
    credential_authority: str | None = None

    @property
    def fingerprint(self) -> str:
        return sha256_b64(self.raw)

    @staticmethod
    def make(
        *,
        group: Group[Any],
        public_key: Any,
        uuid: str,
        name: str,
        description: str,
        questions: tuple[Question, ...],
    ) -> ElectionParams:
        obj = {
            "version": 1,
            "description": description,
            "name": name,
            "group": group.name,
            "public_key": group.encode(public_key),
            "questions": [q.to_json() for q in questions],
            "uuid": uuid,
        }
        return ElectionParams(dumps(obj), group, public_key, description, name, questions, uuid)

    @staticmethod
    def parse(raw: str, where: str = "election.json") -> ElectionParams:
        obj = check_object(
            loads(raw, where), where, ELECTION_FIELDS, optional=("administrator", "credential_authority")
        )
        if obj["version"] != 1:
            raise UnreadableError(f"{where}.version", f"unsupported version {obj['version']!r}")
        try:
            group = group_by_name(obj["group"])
        except CryptoError as exc:
            raise UnreadableError(f"{where}.group", str(exc)) from None
        try:
            public_key = group.decode(obj["public_key"])
        except CryptoError as exc:
            raise FormatError(f"{where}.public_key", str(exc)) from None
        questions = tuple(
            Question.parse(q, f"{where}.questions[{i}]")
            for i, q in enumerate(get_list(obj, "questions", where))
        )
        if not questions:
            raise FormatError(f"{where}.questions", "no question")
        uuid = get_str(obj, "uuid", where)
        if len(uuid) < 14 or not uuid.isalnum():
            raise FormatError(f"{where}.uuid", "a UUID is a base58 token of at least 14 characters")
        if dumps(obj) != raw:
            raise FormatError(where, "not in canonical compact form")
        return ElectionParams(
            raw,
            group,
            public_key,
            get_str(obj, "description", where),
            get_str(obj, "name", where),
            questions,
            uuid,
            obj.get("administrator"),
            obj.get("credential_authority"),
        )
