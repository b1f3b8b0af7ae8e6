"""Small pieces of the web front end and the officials' accounts, without a server."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.services.errors import DefinitionError
from strikevote.services.officials import LoginFailed, add_official, check_login
from strikevote.web import i18n
from strikevote.web.security import is_json_content_type

STRIKEVOTE = Path(sys.executable).with_name("strikevote")


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "en"),
        (None, None, "es-MX,es;q=0.9,en;q=0.5", "es"),
        (None, None, "fr-FR, de;q=0.8", "en"),
        (None, None, "en-GB,es;q=0.5", "en"),
        (None, "es", "en", "es"),
        ("en", "es", "es", "en"),
        ("xx", None, "es", "es"),  # an unknown switch value is ignored
        (None, "<script>", None, "en"),
    ],
)
def test_language_choice(query: str | None, cookie: str | None, accept: str | None, expected: str) -> None:
    assert i18n.choose(query, cookie, accept) == expected


def test_spanish_catalog_translates_every_page_string() -> None:
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="es")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert not untranslated
    assert i18n.gettext_for("es")("Page not found") == "Página no encontrada"
    assert i18n.gettext_for("en")("Page not found") == "Page not found"
    assert i18n.format_percent(0.5, "es").startswith("50,0")  # a decimal comma


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/json-patch+json", False),
        ("text/plain", False),
        ("", False),
        (None, False),
    ],
)
def test_json_content_type(value: str | None, ok: bool) -> None:
    assert is_json_content_type(value) is ok


def test_officials_are_argon2_hashed_and_checked(tmp_path: Path) -> None:
    db = open_db(f"sqlite:///{tmp_path / 'o.db'}")
    now = datetime.now(UTC)
    add_official(db, "chair", "a long enough password", now)
    with db() as s:
        stored = s.scalar(select(models.Official.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and "a long enough password" not in stored
    assert check_login(db, "chair", "a long enough password") == "chair"
    for name, password in (("chair", "wrong password here"), ("nobody", "a long enough password"), ("", "")):
        with pytest.raises(LoginFailed):
            check_login(db, name, password)
    with pytest.raises(DefinitionError, match="already exists"):
        add_official(db, "chair", "another long password", now)
    with pytest.raises(DefinitionError, match="at least 12"):
        add_official(db, "short", "tiny", now)
    with pytest.raises(DefinitionError, match="username"):
        add_official(db, "../root", "a long enough password", now)


def test_official_add_cli_reads_stdin_never_argv(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"

    def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(STRIKEVOTE), "official", "add", *args, "--db", url],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    ok = run("chair", stdin="a long enough password\n")
    assert ok.returncode == 0, ok.stderr
    assert "a long enough password" not in ok.stdout + ok.stderr
    dup = run("chair", stdin="a long enough password\n")
    assert dup.returncode == 2 and "already exists" in dup.stderr and "Traceback" not in dup.stderr
    empty = run("other", stdin="")
    assert empty.returncode == 2 and "no password" in empty.stderr
    short = run("other", stdin="short\n")
    assert short.returncode == 2 and "at least 12" in short.stderr


def test_turnout_chart_geometry() -> None:
    from datetime import timedelta

    from strikevote.services.status import TurnoutSeries
    from strikevote.web.charts import turnout_chart

    opens = datetime(2021, 10, 1, 16, tzinfo=UTC)
    series = TurnoutSeries(
        [opens + timedelta(hours=i) for i in range(4)],
        timedelta(hours=1),
        {"80": [1, 2, 2, 4], "600": [0, 0, 3, 6]},
    )
    chart = turnout_chart(series, {"80": 4, "600": 12, "999": 0})

    def ys(points: str) -> list[float]:
        return [float(p.split(",")[1]) for p in points.split()]

    local_80, local_600 = chart.locals
    assert local_80.local == "80" and local_80.final_share == 1.0
    assert ys(local_80.points)[0] == chart.plot_bottom  # everyone starts at 0 at the opening
    assert ys(local_80.points)[-1] == chart.plot_top  # all 4 voted: 100%
    assert local_600.final_share == 0.5 and len(local_600.points.split()) == 5
    assert chart.overall.final_share == 10 / 16
    xs = [float(p.split(",")[0]) for p in chart.overall.points.split()]
    assert xs == sorted(xs) and xs[0] == chart.plot_left and xs[-1] == chart.plot_right
    assert [t.label for t in chart.x_ticks] == ["10-01 16:00", "10-01 18:00", "10-01 20:00"]
    # nobody eligible: drawn at 0, never a division by zero
    empty = turnout_chart(TurnoutSeries(series.starts, series.step, {"999": [0, 0, 0, 0]}), {"999": 0})
    assert empty.overall.final_share == 0.0
