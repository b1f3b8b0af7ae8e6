"""Mail through a real SMTP server (aiosmtpd in this process, or a subprocess for the kill test).

Letters are parsed back (headers, MIME parts, the booth link's fragment, the credential casts a ballot);
temporary failures are deferred and retried, permanent ones failed and reported; a sender killed with SIGKILL
and restarted delivers every message exactly once; reminders reach exactly the members who have not voted;
officials' outputs name no non-voter.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from smtp_sink import Sink, free_port, make_tls_files, server_context
from sqlalchemy import func, select, text
from typer.testing import CliRunner
from vote_kit import NOW, Kit, open_vote
from vote_kit import PASSPHRASE as PASSPHRASE_T

from strikevote.cli.main import app
from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.mail import loop, outbox, sender
from strikevote.mail.settings import MailSettings
from strikevote.mail.smtp import Connection, Endpoint, Unreachable
from strikevote.services import ballotbox, credentials
from strikevote.services.castore import CAStore, CAStoreError

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"
LINK = re.compile(r"https?://\S+/vote/(?P<vote>[^\s#]+)#(?P<uuid>[^/\s]+)/(?P<credential>\S+)")
FAST = sender.Backoff(base=0.0, maximum=0.0, max_attempts=5)


def mail_block(port: int, **more: Any) -> dict[str, Any]:
    return {
        "from": "Election Committee <elections@atw.example>",
        "reply_to": "help@atw.example",
        "public_url": "https://vote.atw.example",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        **more,
    }


def mailed_vote(
    db_url: str, tmp_path: Path, port: int, vote_id: str = "mail-vote", **kw: Any
) -> tuple[Kit, CAStore]:
    store = CAStore.create(tmp_path / f"{vote_id}.store", PASSPHRASE)
    extra = {"mail": mail_block(port), **kw.pop("extra", {})}
    kit = open_vote(open_db(db_url), tmp_path, vote_id, extra=extra, store=store, **kw)
    return kit, store


def parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def plain(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def states(kit: Kit, kind: str | None = None) -> dict[str, int]:
    o = models.Outbox
    with kit.db() as s:
        q = select(o.status, func.count()).where(o.vote_id == kit.vote_id).group_by(o.status)
        if kind:
            q = q.where(o.kind == kind)
        return dict(s.execute(q).all())  # type: ignore[arg-type]


def sv(*args: Any, code: int = 0, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{args} raised {result.exception!r}\n{result.output}"
    assert result.exit_code == code, f"{args} exited {result.exit_code}, not {code}:\n{result.output}"
    return result


def test_letters_parse_back_open_the_right_booth_and_cast(db_url: str, tmp_path: Path) -> None:
    with Sink() as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port)
        with kit.db() as s:  # the database holds no private credential
            dump = "\n".join(
                str(value)  # each value in full (a Row's str() shortens long ones)
                for table in ("outbox", "members", "credentials", "mail_recipients", "records", "votes")
                for row in s.execute(text(f"SELECT * FROM {table}"))
                for value in row
            )
            uuid_of_local = {el.uuid: el.local_id for el in s.scalars(select(models.Election))}
            members = {m.email: m for m in s.scalars(select(models.Member))}
        assert all(letter.credential not in dump for letter in kit.letters)
        assert states(kit) == {"queued": 16}

        report = sender.send_pending(kit.db, kit.vote_id, store=store)
        assert (report.sent, report.deferred, report.failed) == (16, 0, 0)
        assert states(kit) == {"sent": 16}
        assert len(sink.messages) == 16 and len({m.message_id for m in sink.messages}) == 16

        cast_once: set[str] = set()
        for delivered in sink.messages:
            msg = parsed(delivered.content)
            assert delivered.mail_from == "elections@atw.example"
            assert msg["From"].addresses[0].display_name == "Election Committee"
            assert msg["Reply-To"] == "help@atw.example"
            to = msg["To"].addresses[0]
            member = members[to.addr_spec]
            assert delivered.rcpt_tos == [to.addr_spec] and to.display_name == member.name
            assert abs(parsedate_to_datetime(msg["Date"]) - NOW) < timedelta(hours=1)
            assert msg["Message-ID"] == delivered.message_id and delivered.message_id.endswith(
                "@atw.example>"
            )
            assert (
                msg["Subject"]
                == "Integration Test Union: your voting credential for Strike authorization vote"
            )
            assert msg.get_content_type() == "multipart/alternative"
            parts = [p.get_content_type() for p in msg.iter_parts()]
            assert parts == ["text/plain", "text/html"]
            assert all(p.get_content_charset() == "utf-8" for p in msg.iter_parts())
            body = plain(msg)
            link = LINK.search(body)
            assert link and link["vote"] == kit.vote_id
            assert uuid_of_local[link["uuid"]] == member.local_id  # the fragment opens the member's local
            assert f"Local {member.local_id}" in body and "Do you authorize a strike?" in body
            assert f"Your credential: {link['credential']}" in body
            assert "https://vote.atw.example/votes/mail-vote" in body and "help@atw.example" in body
            assert "Voting closes " in body and "UTC" in body
            assert kit.elections[member.local_id].fingerprint in body
            if member.local_id not in cast_once:  # the credential in the letter casts a valid ballot
                election = kit.elections[member.local_id]
                receipt = ballotbox.cast(
                    kit.db, kit.vote_id, kit.ballot_with(election, link["credential"], True), NOW
                )
                assert receipt.local_id == member.local_id
                cast_once.add(member.local_id)
                voter = member

        # each accepted cast queued its confirmation in the ballot's transaction
        assert states(kit, "confirmation") == {"queued": 2}
        before = len(sink.messages)
        assert sender.send_pending(kit.db, kit.vote_id).sent == 2  # no store needed for confirmations
        confirmations = [parsed(m.content) for m in sink.messages[before:]]
        assert voter.email in {c["To"].addresses[0].addr_spec for c in confirmations}
        with kit.db() as s:
            trackers = set(s.scalars(select(models.Ballot.tracker)))
        for c in confirmations:
            body = plain(c)
            assert c["Auto-Submitted"] == "auto-generated"
            assert any(t in body for t in trackers) and "does not say how you voted" in body


def test_temporary_failures_are_deferred_and_retried(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    port = free_port()
    kit, store = mailed_vote(db_url, tmp_path, port, sizes={"44": 3, "80": 2})
    report = sender.send_pending(kit.db, kit.vote_id, store=store, backoff=FAST)  # nothing listens yet
    assert report.unreachable and "Connection refused" in report.unreachable and report.sent == 0
    assert states(kit) == {"deferred": 1, "queued": 4}
    sink = Sink()
    sink.port = sink.controller.port = port
    with sink:
        sink.handler.data_replies = ["421 4.3.2 shutting down", "451 4.3.0 try again later"]
        first = sender.send_pending(kit.db, kit.vote_id, store=store, backoff=FAST, connections=1)
        assert (first.sent, first.deferred) == (3, 2)
        assert "451 4.3.0 try again later" in first.replies
        assert states(kit) == {"sent": 3, "deferred": 2}
        again = sender.send_pending(kit.db, kit.vote_id, store=store, backoff=FAST)  # `mail send` retries now
        assert again.sent == 2
        assert states(kit) == {"sent": 5}

        # the background loop retries a deferred confirmation once its backoff has passed
        letter = next(m for m in sink.messages if kit.letters[0].email in m.rcpt_tos)
        link = LINK.search(plain(parsed(letter.content)))
        assert link
        election = kit.elections[kit.letters[0].local_id]
        ballotbox.cast(kit.db, kit.vote_id, kit.ballot_with(election, link["credential"], True), NOW)
        sink.handler.data_replies = ["451 4.3.0 try again later"]
        stop = threading.Event()
        background = threading.Thread(
            target=loop.run_sender, args=(kit.db, stop), kwargs={"poll_seconds": 0.05, "backoff": FAST}
        )
        background.start()
        try:
            deadline = time.monotonic() + 30
            # (a row reads 'sent' from just after its final dot; the sink holding it is the end)
            while len(sink.messages) < 6 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            background.join(10)
        assert not background.is_alive()
    assert states(kit, "confirmation") == {"sent": 1}
    assert len({m.message_id for m in sink.messages}) == 6 == len(sink.messages)
    with kit.db() as s:
        attempts = sorted(s.scalars(select(models.Outbox.attempts)))
    assert attempts == [1, 1, 1, 2, 2, 3]  # a retried message keeps its row (and its Message-ID)


def test_permanent_refusal_is_failed_and_reported(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    with Sink() as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 3, "80": 2})
        bounced = kit.letters[0]
        sink.handler.rcpt_replies[bounced.email] = f"550 5.1.1 <{bounced.email}>: mailbox unavailable"
        (tmp_path / "pass").write_text(PASSPHRASE)
        r = sv(
            "mail",
            "send",
            kit.vote_id,
            "--store",
            kit_store(store),
            "--passphrase-file",
            tmp_path / "pass",
            "--db",
            db_url,
            code=1,
        )
        assert "4 message(s) sent, 0 deferred, 1 failed" in r.stdout
        assert "550 5.1.1 <<address>>: mailbox unavailable (after RCPT TO)" in r.stdout  # never the address
        assert bounced.email not in r.output
        assert len(sink.messages) == 4
    assert states(kit) == {"sent": 4, "failed": 1}
    r = sv("mail", "status", kit.vote_id, "--db", db_url)
    assert "Failed credential: 1" in r.stdout and "550 5.1.1" in r.stdout
    assert bounced.member_id in r.stdout  # the authority must fix this letter's address


def kit_store(store: CAStore) -> Path:
    return store.path


def test_wrong_passphrase_and_unreachable_server_send_nothing(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    port = free_port()
    kit, store = mailed_vote(db_url, tmp_path, port, sizes={"44": 2, "80": 2})
    (tmp_path / "wrong").write_text("not the passphrase")
    with Sink() as sink:
        sink_port = sink.port
        r = sv(
            "mail",
            "send",
            kit.vote_id,
            "--store",
            store.path,
            "--passphrase-file",
            tmp_path / "wrong",
            "--db",
            db_url,
            code=1,
        )
        assert "wrong passphrase" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert sink.messages == [] and states(kit) == {"queued": 4}
    del sink_port
    with pytest.raises(CAStoreError):
        CAStore.open(store.path, "not the passphrase")
    r = sv(
        "mail",
        "send",
        kit.vote_id,
        "--store",
        store.path,
        "--db",
        db_url,
        code=2,
        env={"STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE},
    )
    assert "unreachable" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "sent" not in states(kit)


def test_starttls_with_a_certificate_of_a_private_ca(tmp_path: Path) -> None:
    ca, cert, key = make_tls_files(tmp_path)
    client = ssl.create_default_context(cafile=str(ca))
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    with Sink(tls=server_context(cert, key)) as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 2, "80": 1})
        endpoint = Endpoint("127.0.0.1", sink.port, "starttls", tls_context=client)
        assert sender.send_pending(kit.db, kit.vote_id, store=store, endpoint=endpoint).sent == 3
        # a client that does not trust the certificate sends nothing (the system trust store)
        kit2, store2 = mailed_vote(db_url, tmp_path, sink.port, "mail-vote-2", sizes={"44": 1, "80": 1})
        untrusted = Endpoint("127.0.0.1", sink.port, "starttls")
        report = sender.send_pending(kit2.db, kit2.vote_id, store=store2, endpoint=untrusted)
        assert report.unreachable and "CERTIFICATE_VERIFY_FAILED" in report.unreachable
        # nor does one that would skip STARTTLS: this server requires it
        plain_text = Endpoint("127.0.0.1", sink.port, "none")
        report = sender.send_pending(kit2.db, kit2.vote_id, store=store2, endpoint=plain_text)
        assert report.sent == 0 and report.failed == 2 and report.replies[0].startswith("530")
    assert len(sink.messages) == 3
    assert {m.rcpt_tos[0] for m in sink.messages} == {x.email for x in kit.letters}


SMTP_PASSWORD = "Sm7p-pa55word, not to be seen"


def secret_free(password: str, kit: Kit, *texts: str) -> None:
    """``password`` is in none of ``texts`` nor anywhere in the database."""
    with kit.db() as s:
        tables = s.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
        dump = "\n".join(
            str(value)
            for table in tables
            for row in s.execute(text(f'SELECT * FROM "{table}"'))
            for value in row
        )  # each value in full (a Row's str() shortens long ones)
    assert "password_env" in dump or "password_file" in dump  # the settings are there, by reference
    for where, haystack in (("the database", dump), *((f"output {i}", t) for i, t in enumerate(texts))):
        assert password not in haystack, f"the SMTP password appears in {where}"


# aiosmtpd counts only STARTTLS as TLS, so its AUTH over implicit TLS is configured as "without TLS" (it warns)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_and_a_login_whose_password_comes_from_a_variable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the password must not reach any of them
    ca, cert, key = make_tls_files(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    implicit = server_context(cert, key)
    with Sink(implicit_tls=implicit, logins={"elections": SMTP_PASSWORD}, mechanisms=("PLAIN",)) as sink:
        block = mail_block(
            sink.port,
            security="tls",
            ca_file=str(ca),
            username="elections",
            password_env="SV_TEST_SMTP_PASSWORD",
        )
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 2, "80": 1}, extra={"mail": block})
        (tmp_path / "pass").write_text(PASSPHRASE)
        args = ["mail", "send", kit.vote_id, "--store", store.path, "--passphrase-file", tmp_path / "pass"]
        args += ["--db", db_url]
        r = sv(*args, code=2)  # the variable is not set: one clear line, nothing sent
        assert "$SV_TEST_SMTP_PASSWORD is not set" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert states(kit) == {"queued": 3} and sink.handler.attempts == []
        ok = sv(*args, env={"SV_TEST_SMTP_PASSWORD": SMTP_PASSWORD})
        assert "3 message(s) sent" in ok.stdout
        assert sink.handler.attempts and set(sink.handler.attempts) == {("PLAIN", "elections", True)}
        # the server speaks TLS from its first byte: a client that does not is refused, one that does not
        # trust the private CA too
        for security, ca_file in (("none", None), ("tls", None)):
            settings = MailSettings("C", "c@atw.example", "https://x.example", host="127.0.0.1")
            endpoint = Endpoint.of(
                replace(settings, port=sink.port, security=security, ca_file=ca_file), None, timeout=5
            )
            with pytest.raises(Unreachable):
                Connection(endpoint)
    assert len(sink.messages) == 3 and states(kit) == {"sent": 3}
    assert all(SMTP_PASSWORD not in str(a) for a in args)  # never on a command line
    secret_free(SMTP_PASSWORD, kit, r.output, ok.output, caplog.text)


def test_starttls_login_with_a_password_file_and_a_wrong_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ca, cert, key = make_tls_files(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    password_file = tmp_path / "smtp-password"
    wrong = "the wrong password"
    password_file.write_text(wrong + "\n")
    logins = {"elections": SMTP_PASSWORD}
    with Sink(tls=server_context(cert, key), logins=logins, mechanisms=("LOGIN",)) as sink:
        block = mail_block(
            sink.port,
            security="starttls",
            ca_file=str(ca),
            username="elections",
            password_file=str(password_file),
        )
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 2, "80": 2}, extra={"mail": block})
        env = {"STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE}
        args = ["mail", "send", kit.vote_id, "--store", store.path, "--db", db_url]
        refused = sv(*args, code=2, env=env)
        assert "refused the login of 'elections' (535)" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "stays queued" in refused.stderr
        assert states(kit) == {"queued": 4} and sink.messages == []  # nothing sent, nothing marked
        with kit.db() as s:  # a login refusal is no message's fault: none is charged an attempt
            assert set(s.scalars(select(models.Outbox.attempts))) == {0}
        # the server's background loop logs the refusal (without the password) and sends nothing either
        stop = threading.Event()
        background = threading.Thread(
            target=loop.run_sender, args=(kit.db, stop), kwargs={"poll_seconds": 0.05, "store": store}
        )
        background.start()
        deadline = time.monotonic() + 30
        while "mail server refused the login" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        background.join(10)
        assert "mail server refused the login" in caplog.text
        assert states(kit) == {"queued": 4}
        password_file.write_text(SMTP_PASSWORD + "\n")
        ok = sv(*args, env=env)
        assert "4 message(s) sent" in ok.stdout
    accepted = [ok for _mechanism, _user, ok in sink.handler.attempts]
    assert accepted[0] is False and accepted[-1] is True  # refused (command, loop), then accepted
    assert accepted == sorted(accepted) and {a[:2] for a in sink.handler.attempts} == {("LOGIN", "elections")}
    assert len(sink.messages) == 4 and states(kit) == {"sent": 4}
    secret_free(SMTP_PASSWORD, kit, refused.output, ok.output, caplog.text)
    secret_free(wrong, kit, refused.output, ok.output, caplog.text)


def test_killed_and_restarted_ten_times_every_message_arrives_exactly_once(tmp_path: Path) -> None:
    """Ten SIGKILLs of `strikevote mail send` at random moments, each followed by a restart; then two SIGTERMs;
    then a run to the end.  Counted by Message-ID at the sink: every message arrives, and once (the finisher
    settles a group a kill catches between its dots and their commit; a SIGTERM stops between groups)."""
    import random

    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    ids = tmp_path / "ids.txt"
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "integration" / "smtp_sink.py"), "--ids", str(ids)],
        stdout=subprocess.PIPE,
        text=True,
    )
    connections = 8
    pick = random.Random(9)
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        kit, store = mailed_vote(db_url, tmp_path, port, sizes={"44": 200, "80": 200})
        env = {**os.environ, "STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE}
        cmd = [sys.executable, "-m", "strikevote.cli.main", "mail", "send", kit.vote_id]
        cmd += ["--store", str(store.path), "--db", db_url, "--connections", str(connections)]

        def run_until(more: int) -> subprocess.Popen[bytes]:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            start, deadline = _count(ids), time.monotonic() + 60
            while _count(ids) < start + more and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(pick.uniform(0, 0.02))  # anywhere in the sender's cycle, not just after an arrival
            return proc

        for _kill in range(10):
            proc = run_until(pick.randint(5, 25))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        before_stops = _ids(ids)
        for _stop in range(2):
            proc = run_until(pick.randint(5, 25))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0  # stopped between two groups, cleanly
        stopped = _ids(ids)[len(before_stops) :]
        assert stopped and len(set(stopped)) == len(stopped)  # a stop duplicates nothing
        assert not set(stopped) & set(before_stops)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        sink.terminate()
        sink.wait(10)
    delivered = _ids(ids)
    with kit.db() as s:
        queued = set(s.scalars(select(models.Outbox.message_id).where(models.Outbox.vote_id == kit.vote_id)))
    assert len(queued) == 400 and set(delivered) == queued  # none lost, nothing foreign
    assert len(delivered) == 400  # none twice
    assert states(kit) == {"sent": 400}


@pytest.mark.parametrize(
    ("point", "guard", "first_run", "after_restart"),
    [
        # killed with the dots held, before the commit: the finisher throws them away, the rows go back
        ("span", "finisher", {"queued": 4}, 4),
        # killed right after the commit: the finisher pushes the held dots out
        ("committed", "finisher", {"sent": 4}, 4),
        # with no finisher, the kernel sends the held dots of the dead sender: the documented duplicate
        ("span", "alone", {"sending": 4}, 8),
    ],
)
def test_a_kill_between_the_dots_and_their_commit(
    db_url: str, tmp_path: Path, point: str, guard: str, first_run: dict[str, int], after_restart: int
) -> None:
    with Sink() as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 2, "80": 2})  # one group of 4
        env = {**os.environ, "STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE}
        helper = ROOT / "tests" / "integration" / "mail_kill_point.py"
        cmd = [sys.executable, str(helper), db_url, kit.vote_id, str(store.path), point, guard]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == -signal.SIGKILL, done.stderr
        deadline = time.monotonic() + 20
        while states(kit) != first_run and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # past the kernel's 200 ms hold: whatever was going to leak has leaked
        assert states(kit) == first_run
        assert len(sink.messages) == (4 if first_run != {"queued": 4} else 0)
        sender.send_pending(kit.db, kit.vote_id, store=store)  # the restart
    ids = [m.message_id for m in sink.messages]
    assert len(ids) == after_restart and len(set(ids)) == 4  # a duplicate keeps its Message-ID
    assert states(kit) == {"sent": 4}


def _ids(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines()]


def _count(path: Path) -> int:
    try:
        return path.read_text().count("\n")
    except FileNotFoundError:
        return 0


def test_reminders_reach_exactly_the_non_voters_and_officials_see_counts(db_url: str, tmp_path: Path) -> None:
    later = NOW + timedelta(minutes=1)
    extra = {"reminders": {"at": [later]}}
    with Sink() as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port, extra=extra)
        sender.send_pending(kit.db, kit.vote_id, store=store)
        letters = {
            parsed(m.content)["To"].addresses[0].addr_spec: plain(parsed(m.content)) for m in sink.messages
        }
        voters = set()
        for email, body in sorted(letters.items())[::3]:  # every third member votes
            link = LINK.search(body)
            assert link
            local = next(x.local_id for x in kit.letters if x.email == email)
            ballotbox.cast(
                kit.db, kit.vote_id, kit.ballot_with(kit.elections[local], link["credential"], False), NOW
            )
            voters.add(email)
        non_voters = set(letters) - voters
        assert loop.queue_due_reminders(kit.db, kit.vote_id, NOW) == 0  # not yet time
        assert loop.queue_due_reminders(kit.db, kit.vote_id, later) == len(non_voters)
        assert loop.queue_due_reminders(kit.db, kit.vote_id, later) == 0  # a round runs once
        sink.messages.clear()
        sender.send_pending(kit.db, kit.vote_id)
        reminded = {
            parsed(m.content)["To"].addresses[0].addr_spec
            for m in sink.messages
            if "closes soon" in parsed(m.content)["Subject"]
        }
        assert reminded == non_voters

        with kit.db() as s:
            non_voter_ids = set(
                s.scalars(select(models.Member.member_id).where(models.Member.email.in_(non_voters)))
            )
        outputs = [
            sv("mail", "remind", kit.vote_id, "--db", db_url).output,
            sv("mail", "remind", kit.vote_id, "--local", "44", "--db", db_url).output,
            sv("mail", "status", kit.vote_id, "--db", db_url).output,
            sv("vote", "status", kit.vote_id, "--db", db_url).output,
        ]
        assert f"{len(non_voters)} reminder(s) queued" in outputs[0]
        assert sum(1 for e in non_voters if e in letters) == len(non_voters)
        archives = tmp_path / "archives"
        archives.mkdir()
        from strikevote.services.board import export_archive

        with kit.db() as s:
            for el in s.scalars(select(models.Election)):
                export_archive(s, el.id, archives / f"{el.local_id}.bel", 0)
        exported = [p.read_bytes().decode("latin-1") for p in archives.iterdir()]
        for out in outputs + exported:
            for secret in non_voters | non_voter_ids:
                assert secret not in out, f"{secret} appears in an officials-facing output"


def test_no_officials_facing_output_names_a_non_voter(tmp_path: Path) -> None:
    """Issue 9: every output officials see — the mail and vote commands, the server's log, the console, the
    public pages, every API route's JSON, the published bundle and its report — holds no member id or email
    of a member who has not voted, while reminders are queued for exactly those members (and one bounces
    with its address in the server's reply)."""
    import httpx
    from server_kit import add_official, login, start_server

    from strikevote.crypto.randomness import SystemRandomness
    from strikevote.services import trustees
    from strikevote.services.board import export_archive

    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    outputs: dict[str, str] = {}
    with Sink() as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 5, "80": 4})
        sender.send_pending(kit.db, kit.vote_id, store=store)
        letters = {m.rcpt_tos[0]: plain(parsed(m.content)) for m in sink.messages}
        voters: set[str] = set()
        trackers: list[str] = []
        for email, body in sorted(letters.items())[::3]:
            link = LINK.search(body)
            assert link
            local = next(x.local_id for x in kit.letters if x.email == email)
            ballot = kit.ballot_with(kit.elections[local], link["credential"], True)
            trackers.append(ballotbox.cast(kit.db, kit.vote_id, ballot, NOW).tracker)
            voters.add(email)
        non_voters = set(letters) - voters
        with kit.db() as s:
            ids = dict(s.execute(select(models.Member.email, models.Member.member_id)).all())
        secrets_ = non_voters | {ids[e] for e in non_voters}
        bounced = sorted(non_voters)[0]  # its server echoes the address in the refusal
        sink.handler.rcpt_replies[bounced] = f"550 5.1.1 <{bounced}>: no such user here"

        outputs["mail remind"] = sv("mail", "remind", kit.vote_id, "--db", db_url).output
        assert f"{len(non_voters)} reminder(s) queued" in outputs["mail remind"]
        outputs["mail remind --local"] = sv(
            "mail", "remind", kit.vote_id, "--local", "80", "--db", db_url
        ).output
        outputs["mail send"] = sv("mail", "send", kit.vote_id, "--db", db_url, code=1).output
        reminded = {m.rcpt_tos[0] for m in sink.messages if "closes soon" in parsed(m.content)["Subject"]}
        assert reminded == non_voters - {bounced}  # the reminders did go to them
        outputs["mail status"] = sv("mail", "status", kit.vote_id, "--db", db_url).output
        assert "Failed reminder" in outputs["mail status"] and "<<address>>" in outputs["mail status"]
        outputs["vote status"] = sv("vote", "status", kit.vote_id, "--db", db_url).output

        add_official(db_url, "chair", "correct horse battery")
        server = start_server(db_url, tmp_path)
        try:
            with server.client() as c:

                def get(path: str) -> str:
                    r = c.get(path)
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                    outputs[path] = r.text
                    return r.text

                def api_pages() -> None:
                    v = f"/api/v1/votes/{kit.vote_id}"
                    for path in ("/", "/api/v1/votes", v, f"{v}/turnout", "/openapi.json"):
                        get(path)
                    for tracker in trackers:
                        get(f"{v}/board/{tracker}")
                    for local in kit.elections:
                        get(f"{v}/board?local={local}")
                        get(f"{v}/locals/{local}/election")
                        get(f"{v}/locals/{local}/archive")
                    get(f"/votes/{kit.vote_id}")
                    get(f"/vote/{kit.vote_id}")
                    get("/console")
                    get(f"/console/votes/{kit.vote_id}")

                login(c, "chair", "correct horse battery")
                api_pages()
                outputs["tally close"] = sv("tally", "close", kit.vote_id, "--early", "--db", db_url).output
                for key in kit.keys[:2]:
                    trustees.partial_decrypt(
                        kit.db, kit.vote_id, key, SystemRandomness(), passphrase=PASSPHRASE_T
                    )
                outputs["result decrypt"] = sv("result", "decrypt", kit.vote_id, "--db", db_url).output
                bundle = tmp_path / "bundle"
                r = sv("result", "publish", kit.vote_id, "--out", bundle, "--db", db_url, "-j", "1")
                outputs["result publish"] = r.output
                files = sorted(p for p in bundle.rglob("*") if p.is_file())
                assert {"vote.json", "result.json", "report.html"} <= {p.name for p in files}
                for path in files:
                    outputs[f"bundle/{path.relative_to(bundle)}"] = path.read_bytes().decode("latin-1")
                    get(f"/api/v1/votes/{kit.vote_id}/bundle/{path.relative_to(bundle)}")
                api_pages()  # again, now that the result is out
                assert "report.html" in outputs[f"/votes/{kit.vote_id}"]
        finally:
            server.stop()
        outputs["server log"] = server.output()
        del httpx
    archives = tmp_path / "archives"
    archives.mkdir()
    with kit.db() as s:
        for el in s.scalars(select(models.Election)):
            export_archive(s, el.id, archives / f"{el.local_id}.bel", 0)
            outputs[f"archive {el.local_id}"] = (
                (archives / f"{el.local_id}.bel").read_bytes().decode("latin-1")
            )
    assert len(outputs) > 30 and secrets_
    for where, out in outputs.items():
        for secret in secrets_:
            assert secret not in out, f"{secret} (a member who has not voted) appears in {where}"


def test_resend_mails_the_same_credential(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    with Sink() as sink:
        kit, store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 2, "80": 1})
        sender.send_pending(kit.db, kit.vote_id, store=store)
        member = kit.letters[0]
        first = next(plain(parsed(m.content)) for m in sink.messages if member.email in m.rcpt_tos)
        env = {"STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE}
        sv(
            "credentials",
            "resend",
            kit.vote_id,
            member.member_id,
            "--store",
            store.path,
            "--db",
            db_url,
            env=env,
        )
        again = [m for m in sink.messages if member.email in m.rcpt_tos]
        assert len(again) == 2 and again[0].message_id != again[1].message_id
        cred = LINK.search(first)
        assert cred and f"Your credential: {cred['credential']}" in plain(parsed(again[1].content))
        with kit.db() as s:
            assert s.scalar(select(func.count()).select_from(models.Credential)) == 3  # no new credential
        r = sv(
            "credentials",
            "resend",
            kit.vote_id,
            "nobody",
            "--store",
            store.path,
            "--db",
            db_url,
            env=env,
            code=2,
        )
        assert "nobody" in r.stderr
        r = sv(
            "credentials",
            "resend",
            kit.vote_id,
            member.member_id,
            "--store",
            store.path,
            "--db",
            db_url,
            env={"STRIKEVOTE_CA_PASSPHRASE": "wrong passphrase!"},
            code=1,
        )
        assert "wrong passphrase" in r.stderr and len(again) == 2


def test_members_without_email_get_nothing_and_are_counted(tmp_path: Path) -> None:
    def blank_two_emails(path: Path) -> None:
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        col = header.index("email")
        for i in (1, 2):
            cells = lines[i].split(",")
            cells[col] = ""
            lines[i] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")

    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    with Sink() as sink:
        kit, store = mailed_vote(
            db_url,
            tmp_path,
            sink.port,
            sizes={"44": 3, "80": 2},
            extra={"eligibility": {"require_email": False}},
            roll_hook=blank_two_emails,
        )
        assert len(kit.letters) == 5
        report = sender.send_pending(kit.db, kit.vote_id, store=store)
        assert report.sent == 3 and len(sink.messages) == 3
    with kit.db() as s:
        st = outbox.status(s, kit.vote_id)
    assert sum(st.no_email.values()) == 2
    r = sv("mail", "status", kit.vote_id, "--db", db_url)
    assert "Eligible members with no email" in r.stdout


def test_credentials_issue_with_send_mails_every_letter_at_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    with Sink() as sink:
        kit = open_vote(
            open_db(db_url), tmp_path, "issue-send", extra={"mail": mail_block(sink.port)}, issue=False
        )
        store = tmp_path / "ca.store"
        env = {"STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE}
        r = sv("credentials", "issue", "no-such-vote", "--store", store, "--db", db_url, code=2, env=env)
        assert "no-such-vote" in r.stderr and not store.exists()  # refused before the store is made
        r = sv("credentials", "issue", kit.vote_id, "--store", store, "--send", "--db", db_url, env=env)
        assert "16 credential(s) issued" in r.stdout and "16 credential letter(s) queued for mail" in r.stdout
        assert "16 message(s) sent, 0 deferred, 0 failed" in r.stdout  # every eligible member (8 + 8)
        assert len(sink.messages) == 16 and states(kit) == {"sent": 16}


def test_credentials_need_the_store_when_mail_is_configured(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    kit = open_vote(open_db(db_url), tmp_path, "needs-store", extra={"mail": mail_block(25)}, issue=False)
    from strikevote.crypto.randomness import SystemRandomness
    from strikevote.services.errors import StateError

    with pytest.raises(StateError, match="store"):
        credentials.issue_credentials(kit.db, kit.vote_id, tmp_path / "out", SystemRandomness(), NOW)
    with kit.db() as s:
        assert s.get(models.Vote, kit.vote_id).state == "credentials"  # type: ignore[union-attr]


def test_the_server_mails_confirmations_in_the_background(tmp_path: Path) -> None:
    import httpx
    from server_kit import post_ballot, start_server

    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    with Sink() as sink:
        kit, _store = mailed_vote(db_url, tmp_path, sink.port, sizes={"44": 2, "80": 1})
        member = kit.letters[0]
        server = start_server(db_url, tmp_path)
        try:
            with httpx.Client(base_url=server.base, timeout=30) as client:
                r = post_ballot(
                    client,
                    kit.vote_id,
                    kit.ballot_with(kit.elections[member.local_id], member.credential, True),
                )
                assert r.status_code == 201, r.text
                tracker = r.json()["tracker"]
            deadline = time.monotonic() + 60
            while not sink.messages and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            server.stop()
        assert "Application shutdown complete" in server.output()  # the mail loop stopped with the server
        assert [m.rcpt_tos for m in sink.messages] == [[member.email]]  # the confirmation only
        assert tracker in plain(parsed(sink.messages[0].content))
    assert states(kit, "credential") == {"queued": 3}  # credential letters wait for the authority's store
