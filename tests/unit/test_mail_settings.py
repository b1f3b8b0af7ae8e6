"""The vote file's [mail] and [reminders] blocks, the roll's language column, the letters' dates and texts, and
the credential authority's store."""

from __future__ import annotations

import copy
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strikevote.cli.main import app
from strikevote.mail.letters import VoteFacts, booth_link, human_time, render
from strikevote.mail.settings import MailConfigError, MailPlan, parse_mail, smtp_password
from strikevote.roll import load_roll
from strikevote.roll.snapshot import Snapshot
from strikevote.services.castore import CAStore, CAStoreError, StoredCredential
from strikevote.services.definition import load_definition, parse_definition
from strikevote.services.errors import DefinitionError

BASE: dict[str, Any] = {
    "union": "ATW",
    "title": "Strike vote",
    "window": {
        "opens": datetime(2021, 10, 1, 9, 0),
        "closes": datetime(2021, 10, 3, 21, 0),
        "timezone": "America/Los_Angeles",
    },
    "trustees": {"n": 1, "k": 1},
    "eligibility": {"cutoff": datetime(2021, 9, 30).date()},
    "locals": [{"id": "1", "name": "Local One"}],
    "mail": {"from": "Election Committee <elections@atw.example>", "public_url": "https://vote.atw.example"},
}


def definition(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            d["mail"].pop(key, None)
        else:
            d["mail"][key] = value
    return d


def test_a_good_mail_block_round_trips_without_the_password() -> None:
    d = definition(host="smtp.atw.example", username="elections", password_env="SMTP_PW", rate=600)
    d["reminders"] = {"at": [datetime(2021, 10, 2, 9, 0)]}
    defn = parse_definition(d, "vote.toml")
    mail = defn.mail_plan.mail
    assert mail is not None and (mail.port, mail.security) == (587, "starttls")
    assert str(mail.from_header) == "Election Committee <elections@atw.example>"
    assert defn.mail_plan.reminders[0].isoformat() == "2021-10-02T09:00:00-07:00"
    assert "mail" not in defn.to_json() and "reminders" not in defn.to_json()  # not in vote.json
    again = MailPlan.from_json(defn.mail_plan.to_json())
    assert again == defn.mail_plan
    assert "SMTP_PW" in defn.mail_plan.to_json()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sender": "x"}, "[mail]: unknown key 'sender'"),
        ({"port": 70000}, "'port' must be an integer in 1..65535"),
        ({"port": "25"}, "'port' must be an integer in 1..65535"),
        ({"from": None}, "[mail]: missing key 'from'"),
        ({"from": "not an address"}, "'from' is not an email address"),
        ({"public_url": None}, "missing key 'public_url'"),
        ({"public_url": "ftp://x"}, "'public_url' must be an http(s) URL"),
        ({"security": "ssl"}, "'security' must be one of starttls, tls, none"),
        ({"username": "u"}, "'username' needs 'password_env'"),
        ({"password_env": "X"}, "a password needs a 'username'"),
        ({"username": "u", "password_env": "X", "password_file": "/f"}, "not both"),
        ({"rate": -1}, "'rate' must be messages per minute"),
        ({"security": "none", "ca_file": "/ca.pem"}, "'ca_file' needs security"),
        ({"ca_file": ""}, "'ca_file' must be a non-empty line of text"),
    ],
)
def test_a_bad_mail_block_is_one_clear_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_definition(definition(**changes), "vote.toml")
    assert message in str(info.value) and str(info.value).startswith("vote.toml: [mail]")


def test_reminders_must_fall_inside_the_window_and_need_mail() -> None:
    d = definition()
    d["reminders"] = {"at": [datetime(2021, 10, 5, 9, 0)]}
    with pytest.raises(DefinitionError, match="not inside the voting window"):
        parse_definition(d, "v")
    d["reminders"] = {"every": 1}
    with pytest.raises(DefinitionError, match=r"\[reminders\]: unknown key 'every'"):
        parse_definition(d, "v")
    d = copy.deepcopy(BASE)
    del d["mail"]
    d["reminders"] = {"at": [datetime(2021, 10, 2, 9, 0)]}
    with pytest.raises(DefinitionError, match="needs a \\[mail\\] block"):
        parse_definition(d, "v")


def test_vote_create_with_a_bad_port_exits_2_with_one_line(tmp_path: Path) -> None:
    vote = tmp_path / "vote.toml"
    vote.write_text(
        'union = "ATW"\n[window]\nopens = 2021-10-01T09:00:00\ncloses = 2021-10-03T21:00:00\n'
        "[trustees]\nn = 1\nk = 1\n[eligibility]\ncutoff = 2021-09-30\n"
        '[[locals]]\nid = "1"\nname = "One"\n'
        '[mail]\nfrom = "C <c@atw.example>"\npublic_url = "https://v.example"\nport = 0\n'
    )
    roll = tmp_path / "roll.csv"
    roll.write_text(
        "member_id,name,email,local,status,dues_paid_through,dues_checkoff\nm1,A,a@x.example,1,active,,yes\n"
    )
    r = CliRunner().invoke(
        app,
        [
            "vote",
            "create",
            "--vote-file",
            str(vote),
            "--roll",
            str(roll),
            "--db",
            f"sqlite:///{tmp_path / 'sv.db'}",
        ],
    )
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        f"strikevote vote create: {vote}: [mail]: 'port' must be an integer in 1..65535, got 0"
    ]
    assert load_definition  # the same parser reads files


def test_a_ca_file_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    from strikevote.mail.settings import tls_context

    missing = parse_mail({**BASE["mail"], "ca_file": str(tmp_path / "nowhere.pem")}, "v")
    with pytest.raises(MailConfigError, match=r"nowhere\.pem: cannot read the mail server's CA file"):
        tls_context(missing)
    (tmp_path / "junk.pem").write_text("not a certificate")
    junk = parse_mail({**BASE["mail"], "ca_file": str(tmp_path / "junk.pem")}, "v")
    with pytest.raises(MailConfigError, match=r"junk\.pem: not a PEM certificate file"):
        tls_context(junk)
    assert tls_context(parse_mail(BASE["mail"], "v")) is None  # the system's trust store, made when needed


def test_smtp_password_comes_from_a_variable_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = parse_mail({**BASE["mail"], "username": "u", "password_env": "SV_TEST_PW"}, "v")
    monkeypatch.delenv("SV_TEST_PW", raising=False)
    with pytest.raises(MailConfigError, match=r"\$SV_TEST_PW is not set"):
        smtp_password(env)
    monkeypatch.setenv("SV_TEST_PW", "s3cret")
    assert smtp_password(env) == "s3cret"
    f = tmp_path / "pw"
    f.write_text("from-file\n")
    assert (
        smtp_password(parse_mail({**BASE["mail"], "username": "u", "password_file": str(f)}, "v"))
        == "from-file"
    )


def test_dates_are_written_for_people_in_the_votes_time_zone() -> None:
    closes = datetime(2021, 10, 4, 4, 0, tzinfo=UTC)
    assert human_time(closes, "America/Los_Angeles", "en") == "Sunday, October 3, 2021 at 9:00 PM PDT"
    assert human_time(closes, "America/Los_Angeles", "es") == (
        "domingo, 3 de octubre de 2021, a las 21:00 (hora de verano del Pacífico)"
    )


def test_letters_in_english_and_spanish() -> None:
    settings = parse_mail(BASE["mail"], "v")
    facts = VoteFacts(
        "v1",
        "ATW",
        "Strike vote",
        datetime(2021, 10, 1, 16, tzinfo=UTC),
        datetime(2021, 10, 4, 4, tzinfo=UTC),
        "America/Los_Angeles",
    )
    fields = {
        "name": "Ana <b>",
        "local_name": "Local 1",
        "question": "Strike?",
        "uuid": "UUID",
        "credential": "C-1",
        "election_fingerprint": "EF",
        "credentials_fingerprint": "CF",
    }
    en = render("credential", "en", facts, settings, **fields)
    es = render("credential", "es", facts, settings, **fields)
    assert "Voting closes Sunday, October 3, 2021 at 9:00 PM PDT." in en.text
    assert "La votación cierra el domingo, 3 de octubre de 2021" in es.text
    link = booth_link("https://vote.atw.example", "v1", "UUID", "C-1")
    assert link == "https://vote.atw.example/vote/v1#UUID/C-1"
    assert link in en.text and link in es.text and "Su credencial: C-1" in es.text
    assert "Ana &lt;b&gt;" in en.html and "Ana <b>" in en.text  # HTML escaped, text not
    assert "EF" in en.text and "CF" in en.text and "elections@atw.example" in en.text
    conf = render("confirmation", "es", facts, settings, name="Ana", local_name="L", tracker="TRK")
    assert "TRK" in conf.text and "no dice cómo votó" in conf.text
    rem = render("reminder", "en", facts, settings, name="Ana", local_name="L")
    assert "closes Sunday, October 3, 2021 at 9:00 PM PDT" in rem.text and "C-1" not in rem.text


@pytest.mark.parametrize(
    ("name", "subject", "automatic"),
    [
        ("Ann Lee", "ATW: your voting credential for Strike vote", False),
        ('Lee, Ann "Annie"', "ATW: your ballot in Strike vote was received", True),  # quoted
        (
            "Ana María Núñez de la Peña y Gómez-Hernández del Río",  # long and not ASCII: folded words
            "ATW: la votación «Huelga de otoño, con un título largo que no cabe en una línea» cierra pronto",
            True,
        ),
    ],
)
def test_a_message_reads_back_as_the_standard_library_would_write_it(
    name: str, subject: str, automatic: bool
) -> None:
    from email import message_from_bytes, policy
    from email.header import decode_header, make_header
    from email.headerregistry import Address
    from email.message import EmailMessage

    from strikevote.mail.letters import Rendered, build_message

    settings = parse_mail(
        {**BASE["mail"], "from": "Comité Électoral <elections@atw.example>", "reply_to": "help@atw.example"},
        "v",
    )
    text = "Dear Ana,\n\n.a line that starts with a dot, and = signs\ntrailing space \n" + "é" * 120 + "\n"
    html = "<p>Dear Ana,</p>\n<p>" + "x" * 200 + "</p>\n"
    now = datetime(2021, 10, 1, 16, 30, tzinfo=UTC)
    raw = build_message(
        Rendered(subject, text, html), settings, name, "ann@x.example", "<1.a@atw.example>", now, automatic
    )
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))  # RFC 5322 §2.1.1; CRLF only
    assert b"\n" not in raw.replace(b"\r\n", b"") and raw.isascii()

    ref = EmailMessage()  # the same letter through the standard library
    ref["From"], ref["Subject"] = settings.from_header, subject
    ref["To"] = Address(name, addr_spec="ann@x.example")
    ref.set_content(text, cte="quoted-printable")
    ref.add_alternative(html, subtype="html", cte="quoted-printable")
    want = message_from_bytes(ref.as_bytes(policy=policy.SMTP), policy=policy.default)
    got = message_from_bytes(raw, policy=policy.default)
    assert isinstance(got, EmailMessage) and isinstance(want, EmailMessage)
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    for kind in ("plain", "html"):
        mine, theirs = got.get_body((kind,)), want.get_body((kind,))
        assert mine is not None and theirs is not None
        assert mine.get_content().replace("\r\n", "\n") == theirs.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
        assert mine.get_content_charset() == "utf-8"
    raw_got, raw_want = message_from_bytes(raw), message_from_bytes(ref.as_bytes(policy=policy.SMTP))
    for field in ("From", "To", "Subject"):  # RFC 2047 (policy.default keeps the space between two words)
        assert str(make_header(decode_header(raw_got[field]))) == str(
            make_header(decode_header(raw_want[field]))
        )
    assert got["To"].addresses[0].addr_spec == "ann@x.example"
    assert got["Message-ID"] == "<1.a@atw.example>" and got["Reply-To"] == "help@atw.example"
    assert got["Date"].datetime == now and got["MIME-Version"] == "1.0"
    assert (got["Auto-Submitted"] == "auto-generated") is automatic
    assert got.get_content_type() == "multipart/alternative" and got.defects == []


def test_a_line_break_in_a_name_cannot_add_a_header() -> None:
    from email import message_from_bytes, policy

    from strikevote.mail.letters import Rendered, build_message

    settings = parse_mail(BASE["mail"], "v")
    raw = build_message(
        Rendered("s", "t\n", "<p>t</p>\n"),
        settings,
        "Ann\r\nBcc: everyone@x.example",
        "ann@x.example",
        "<1@x>",
        datetime(2021, 10, 1, tzinfo=UTC),
    )
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and "everyone@x.example" in str(msg["To"])


def test_the_roll_language_column(tmp_path: Path) -> None:
    header = "member_id,name,email,local,status,dues_paid_through,dues_checkoff"
    plain = tmp_path / "plain.csv"
    plain.write_text(f"{header}\nm1,A,a@x.example,1,active,,yes\n")
    with_lang = tmp_path / "lang.csv"
    with_lang.write_text(
        f"{header},Language\nm1,A,a@x.example,1,active,,yes,\nm2,B,b@x.example,1,active,,no,Español\n"
    )
    assert [m.language for m in load_roll(plain)] == ["en"]
    assert [m.language for m in load_roll(with_lang)] == ["en", "es"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header},language\nm1,A,a@x.example,1,active,,yes,fr\n")
    from strikevote.roll import RollError

    with pytest.raises(RollError) as info:
        load_roll(bad)
    assert "bad.csv:2: language:" in str(info.value.errors[0]) and "'fr' is not a language" in str(
        info.value.errors[0]
    )


def test_the_snapshot_digest_of_an_english_roll_is_unchanged(tmp_path: Path) -> None:
    from strikevote.roll import EligibilityPolicy, freeze_snapshot

    roll = tmp_path / "r.csv"
    roll.write_text(
        "member_id,name,email,local,status,dues_paid_through,dues_checkoff\nm1,A,a@x.example,1,active,,yes\n"
    )
    policy = EligibilityPolicy(cutoff=datetime(2021, 9, 30).date())
    snap = freeze_snapshot(load_roll(roll), policy, datetime(2021, 9, 1, tzinfo=UTC))
    assert '"language"' not in snap.to_json()
    roll.write_text(
        roll.read_text().replace("dues_checkoff\n", "dues_checkoff,language\n").rstrip() + ",es\n"
    )
    snap_es = freeze_snapshot(load_roll(roll), policy, datetime(2021, 9, 1, tzinfo=UTC))
    assert '"language":"es"' in snap_es.to_json()
    assert Snapshot.from_json(snap_es.to_json()) == snap_es


def test_the_credential_authority_store(tmp_path: Path) -> None:
    path = tmp_path / "ca.store"
    store = CAStore.create(path, "a long passphrase")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    store.replace_vote(
        "v",
        [StoredCredential("v", "m1", "1", "U", "cred-1"), StoredCredential("v", "m2", "1", "U", "cred-2")],
    )
    assert b"cred-1" not in path.read_bytes()
    again = CAStore.open(path, "a long passphrase")
    assert again.get("v", "m2").credential == "cred-2" and again.count("v") == 2
    many = again.get_many("v", ["m1", "m2", "m3"])  # one read for a sender's batch; m3 is not there
    assert {k: c.credential for k, c in many.items()} == {"m1": "cred-1", "m2": "cred-2"}
    with pytest.raises(CAStoreError, match="wrong passphrase"):
        CAStore.open(path, "another passphrase")
    with pytest.raises(CAStoreError, match="already exists"):
        CAStore.create(path, "a long passphrase")
    with pytest.raises(CAStoreError, match="at least 8"):
        CAStore.create(tmp_path / "short", "short")
    import sqlite3

    with sqlite3.connect(path) as conn:  # a row moved to another member does not open
        conn.execute(
            "UPDATE credentials SET sealed = (SELECT sealed FROM credentials WHERE member_id = 'm1') WHERE member_id = 'm2'"
        )
    with pytest.raises(CAStoreError, match="belongs to someone else"):
        again.get("v", "m2")
    with pytest.raises(CAStoreError, match="no credential of member 'm3'"):
        again.get("v", "m3")
    (tmp_path / "junk").write_text("not sqlite")
    with pytest.raises(CAStoreError, match="not a credential authority store"):
        CAStore.open(tmp_path / "junk", "a long passphrase")
