"""The booth in a real browser: Playwright for Python driving Debian's Chromium against a real ``strikevote serve``.

* A scripted vote: members open their letters' links and vote yes and no; one tries again (the revote is refused
  with its plain-language message); one mistypes the credential (caught before anything is encrypted or sent);
  one uses the keyboard alone at 360 px; each finds their tracker on the public board; then the vote is closed,
  decrypted and published, and ``strikevote verify`` accepts the bundle, whose counts are the members' choices.
  Screenshots of each booth step go to ``tests/artifacts/booth/``.
* A ballot taken from the page (the POST body the booth sent) is accepted by belenios-tool 3.0
  ``election verify-ballot`` against the archive the API serves, in both groups.
* Each refusal (credential not on the list, another vote's link, not open yet, closed) shows its message.
* axe-core reports no violation on any booth step, nor on the public pages (board lookup, turnout, result), in
  English and Spanish, at 360 px wide.

The browser never downloads anything: ``executable_path=/usr/bin/chromium`` (``scripts/bootstrap.sh
--with-browser`` installs Debian's package). axe is injected from ``booth/node_modules`` in contexts that bypass
the page's CSP (an injected script is inline); every other context runs under the server's real CSP.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from server_kit import STRIKEVOTE, Server, Vote, make_vote, start_server

from booth_support import AXE, BOOTH_STATIC, missing
from strikevote.crypto.credentials import generate_credential
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db.engine import open_db
from strikevote.demo.live import booth_link
from strikevote.services import results, tally, trustees

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "booth"
LOCALS = {"44": ("Local 44", 3), "80": ("Local 80", 3)}
STEP_TIMEOUT = 60_000  # ms; the machine is shared


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        missing("/usr/bin/chromium is missing (scripts/bootstrap.sh --with-browser)")
    if not (BOOTH_STATIC / "booth.js").is_file() or not AXE.is_file():
        missing("the booth is not built (scripts/bootstrap.sh)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any, Path]]:
    work = tmp_path_factory.mktemp("booth-site")
    db_url = f"sqlite:///{work / 'server.sqlite3'}"
    db = open_db(db_url)
    server = start_server(db_url, work, extra=["--bundle-cache", str(work / "bundles")])
    try:
        yield server, db, work
    finally:
        server.stop()
        db.kw["bind"].dispose()


def new_vote(site: tuple[Server, Any, Path], group: str = "Ed25519") -> Vote:
    _, db, work = site
    return make_vote(db, work, f"b-{uuid.uuid4().hex[:8]}", group=group, locals_=LOCALS)


# --- driving the booth -------------------------------------------------------------------------------------------


def visible(page: Any, step: str) -> None:
    page.wait_for_selector(f"#step-{step}:not([hidden])", timeout=STEP_TIMEOUT)


def step_of(page: Any) -> str:
    return str(page.get_attribute("#booth", "data-step"))


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def focused(page: Any) -> str:
    return str(
        page.evaluate(
            "document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim())"
        )
    )


def vote_with_mouse(page: Any, choice: int, shots: str | None = None) -> None:
    """From the election step to the answer of the cast (done or refused)."""
    visible(page, "election")
    if shots:
        shot(page, f"{shots}-1-election")
    page.click("[data-go=choose]:visible")
    visible(page, "choose")
    page.check(f"#choice-{choice}")
    if shots:
        shot(page, f"{shots}-2-choose")
    page.click("#choice-form button[type=submit]")
    visible(page, "review")
    if shots:
        shot(page, f"{shots}-3-review")
    page.click("#encrypt-button")
    visible(page, "tracker")
    if shots:
        shot(page, f"{shots}-4-tracker")
    page.click("#cast-button")
    page.wait_for_selector("#step-done:not([hidden]), #step-refused:not([hidden])", timeout=STEP_TIMEOUT)
    if shots:
        shot(page, f"{shots}-5-{step_of(page)}")


def tracker_on_page(page: Any) -> str:
    return str(page.inner_text("#step-done code.tracker")).strip()


def posted_ballots(page: Any) -> list[str]:
    """Every ballot the page POSTs, as sent."""
    bodies: list[str] = []

    def on_request(req: Any) -> None:
        if req.method == "POST" and req.url.endswith("/ballots"):
            bodies.append(req.post_data)

    page.on("request", on_request)
    return bodies


def find_on_board(page: Any) -> str:
    """Follow the confirmation's link to the public board lookup; the text of its answer."""
    page.click("#board-link")
    page.wait_for_selector(".found, .not-found", timeout=STEP_TIMEOUT)
    assert page.locator(".found").count() == 1, page.inner_text("main")
    return str(page.inner_text(".found"))


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (
        f"the page is {width}px wide at {page.viewport_size['width']}px"
    )


# --- the scripted vote -------------------------------------------------------------------------------------------


def test_scripted_vote_in_the_browser(browser: Any, site: tuple[Server, Any, Path], tmp_path: Path) -> None:
    server, db, _ = site
    vote = new_vote(site)
    a44, b44, _ = vote.letters_of("44")
    a80, b80, _ = vote.letters_of("80")
    ctx = browser.new_context(viewport={"width": 1000, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    posted = posted_ballots(page)
    trackers: dict[str, str] = {}

    # 1. a member opens the letter's link and votes yes; the credential leaves the address bar at once
    page.goto(booth_link(server.base, vote.id, a44))
    visible(page, "election")
    assert "#" not in page.url and a44.credential not in page.url
    assert page.evaluate("history.length") >= 1 and a44.credential not in page.evaluate("location.href")
    assert page.inner_text("[data-fill=fingerprint] >> nth=0") == vote.elections["44"].fingerprint
    vote_with_mouse(page, 0, shots="en-member-yes")
    assert step_of(page) == "done"
    trackers["a44"] = tracker_on_page(page)
    assert a44.credential not in page.content()
    assert "Local 44" in find_on_board(page)

    # 2. another member of the same local switches the page to Spanish (the credential goes along in the
    #    fragment, never to the server) and votes no
    page.goto(booth_link(server.base, vote.id, b44).replace("#", "?lang=en#"))
    visible(page, "election")
    page.click(".lang-switch a[hreflang=es]")
    page.wait_for_url("**?lang=es", timeout=STEP_TIMEOUT)
    visible(page, "election")
    assert page.get_attribute("html", "lang") == "es" and b44.credential not in page.url
    assert "Su papeleta" in page.inner_text("#h-election")
    vote_with_mouse(page, 1, shots="es-member-no")
    assert step_of(page) == "done"
    trackers["b44"] = tracker_on_page(page)
    assert "Local 44" in find_on_board(page)

    # 3. the first member tries again: refused as a revote, in plain language
    page.goto(booth_link(server.base, vote.id, a44).replace("#", "?lang=en#"))
    vote_with_mouse(page, 1, shots="en-revote")
    assert step_of(page) == "refused"
    assert "already been cast with this credential" in page.inner_text("#refusal-message")

    # 4. a member types the credential and mistypes it: caught before anything is encrypted or sent
    before = len(posted)
    page.goto(f"{server.base}/vote/{vote.id}")
    visible(page, "credential")
    shot(page, "en-typed-1-credential")
    page.select_option("#local-select", a80.uuid)
    typo = a80.credential[:-1] + ("0" if a80.credential[-1] != "0" else "O")
    page.fill("#credential-input", typo)
    page.click("#credential-form button[type=submit]")
    assert "never appears in credentials" in page.inner_text("#credential-error")
    assert page.get_attribute("#credential-input", "aria-invalid") == "true"
    assert focused(page) == "credential-input" and step_of(page) == "credential"
    shot(page, "en-typed-2-mistake")
    page.fill("#credential-input", a80.credential[:-1])  # a character missing
    page.click("#credential-form button[type=submit]")
    assert "22 letters and digits" in page.inner_text("#credential-error") and step_of(page) == "credential"
    # one character replaced by another valid one: no check character catches it, the list lookup does
    last = a80.credential[-1]
    page.fill("#credential-input", a80.credential[:-1] + ("2" if last != "2" else "3"))
    page.click("#credential-form button[type=submit]")
    unlisted = "not on the list of the local you chose"
    page.locator("#credential-error", has_text=unlisted).wait_for(timeout=STEP_TIMEOUT)
    assert focused(page) == "credential-input" and step_of(page) == "credential"
    assert len(posted) == before
    page.fill("#credential-input", a80.credential.replace("-", ""))  # without its dashes: accepted
    page.click("#credential-form button[type=submit]")
    vote_with_mouse(page, 0)
    assert step_of(page) == "done"
    trackers["a80"] = tracker_on_page(page)
    assert "Local 80" in find_on_board(page)

    # 5. a member uses the keyboard alone, on a 360 px wide screen
    narrow = ctx.new_page()
    narrow.set_viewport_size({"width": 360, "height": 780})
    narrow.on("pageerror", lambda e: errors.append(str(e)))
    posted_narrow = posted_ballots(narrow)
    narrow.goto(booth_link(server.base, vote.id, b80))
    visible(narrow, "election")
    keys = narrow.keyboard
    assert focused(narrow) == "h-election"  # focus on each step's heading
    no_horizontal_scroll(narrow)
    shot(narrow, "en-keyboard-1-election")
    keys.press("Tab")
    assert focused(narrow) == "Continue to the question"
    keys.press("Enter")
    visible(narrow, "choose")
    assert focused(narrow) == "h-choose"
    keys.press("Tab")  # into the radio group
    keys.press("ArrowDown")  # moves to and selects "No"
    assert narrow.is_checked("#choice-1")
    keys.press("Enter")  # submits the form
    visible(narrow, "review")
    assert focused(narrow) == "h-review" and "No" in narrow.inner_text("[data-fill=choice]")
    no_horizontal_scroll(narrow)
    shot(narrow, "en-keyboard-2-review")
    keys.press("Tab")
    keys.press("Tab")
    assert focused(narrow) == "encrypt-button"
    keys.press("Enter")
    visible(narrow, "tracker")
    keys.press("Tab")
    keys.press("Tab")
    assert focused(narrow) == "cast-button"
    keys.press("Enter")
    visible(narrow, "done")
    no_horizontal_scroll(narrow)
    shot(narrow, "en-keyboard-3-done")
    trackers["b80"] = tracker_on_page(narrow)
    keys.press("Tab")
    assert focused(narrow) == "board-link"
    keys.press("Enter")
    narrow.wait_for_selector(".found", timeout=STEP_TIMEOUT)
    assert "Local 80" in narrow.inner_text(".found")
    assert len(posted_narrow) == 1

    assert not errors, errors
    assert len(set(trackers.values())) == 4
    ctx.close()

    # every tracker is on the board (the API agrees with the page), turnout counts them
    with httpx.Client(base_url=server.base, timeout=60) as c:
        for name, t in trackers.items():
            r = c.get(f"/api/v1/votes/{vote.id}/board/{t}")
            assert r.status_code == 200 and r.json()["local"] == name[1:], (name, r.text)
        turnout = {
            row["local"]: row["ballots"] for row in c.get(f"/api/v1/votes/{vote.id}/turnout").json()["locals"]
        }
        assert turnout == {"44": 2, "80": 2}

    # close, decrypt, publish; the independent verifier accepts the bundle and finds the members' choices
    bundle = _publish(db, vote, tmp_path / "bundle")
    proc = subprocess.run(
        [str(STRIKEVOTE), "verify", str(bundle)], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((bundle / "result.json").read_text())
    by_local = {loc["id"]: (loc["yes"], loc["no"]) for loc in result["locals"]}
    assert by_local == {"44": (1, 1), "80": (1, 1)}
    with httpx.Client(base_url=server.base, timeout=120) as c:  # the server offers the same result
        served = c.get(f"/api/v1/votes/{vote.id}/bundle/result.json")
        assert served.status_code == 200 and served.json()["locals"] == result["locals"]


# --- the page's ballot and belenios-tool 3.0 ------------------------------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("group", ["Ed25519", "BELENIOS-2048"])
def test_ballot_from_the_page_accepted_by_belenios_3(
    browser: Any, site: tuple[Server, Any, Path], belenios_tool_3: str, group: str, tmp_path: Path
) -> None:
    from interop.belenios_helpers import run_tool, truncate_before

    server, _, _ = site
    vote = new_vote(site, group)
    letter = vote.letters_of("44")[0]
    page = browser.new_page()
    posted = posted_ballots(page)
    page.goto(booth_link(server.base, vote.id, letter))
    vote_with_mouse(page, 0)
    assert step_of(page) == "done" and len(posted) == 1
    page.close()
    with httpx.Client(base_url=server.base, timeout=60) as c:
        archive = c.get(f"/api/v1/votes/{vote.id}/locals/44/archive")
        assert archive.status_code == 200
    full = tmp_path / "full.bel"
    full.write_bytes(archive.content)
    setup_only = truncate_before(full, tmp_path / "setup" / f"{letter.uuid}.bel", "Ballot")
    ballot = tmp_path / "ballot.json"
    ballot.write_text(posted[0])
    proc = run_tool(
        belenios_tool_3, ["election", "verify-ballot", "--ballot", str(ballot)], setup_only.parent
    )
    assert "ballot is valid" in proc.stdout + proc.stderr
    # the negative control: the same ballot with its two ciphertexts swapped is refused
    obj = json.loads(posted[0])
    choices = obj["answers"][0]["choices"]
    choices[0], choices[1] = choices[1], choices[0]
    ballot.write_text(json.dumps(obj, separators=(",", ":")))
    bad = run_tool(
        belenios_tool_3,
        ["election", "verify-ballot", "--ballot", str(ballot)],
        setup_only.parent,
        check=False,
    )
    assert bad.returncode != 0 and "ballot is valid" not in bad.stdout


# --- accessibility ------------------------------------------------------------------------------------------------


def axe_violations(page: Any) -> list[Any]:
    page.add_script_tag(path=str(AXE))
    found: list[Any] = page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return found


def check_page(page: Any, label: str, report: dict[str, Any]) -> None:
    report[label] = axe_violations(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        report[label + " (width)"] = width


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axe_finds_nothing_on_the_booth_and_public_pages(
    browser: Any, site: tuple[Server, Any, Path], lang: str
) -> None:
    server, db, work = site
    vote = new_vote(site)
    first = vote.letters_of("44")[0]
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, bypass_csp=True, locale=lang)
    page = ctx.new_page()
    report: dict[str, Any] = {}
    q = f"?lang={lang}"

    page.goto(f"{server.base}/vote/{vote.id}{q}")
    visible(page, "credential")
    assert page.get_attribute("html", "lang") == lang
    check_page(page, "credential", report)
    page.click("#credential-form button[type=submit]")  # nothing typed
    check_page(page, "credential, error", report)
    shot(page, f"{lang}-axe-credential-error")

    page.goto(f"{server.base}/vote/{vote.id}{q}#{first.uuid}/{first.credential}")  # the letter's link
    visible(page, "election")
    check_page(page, "election", report)
    page.click("[data-go=choose]:visible")
    visible(page, "choose")
    check_page(page, "choose", report)
    page.click("#choice-form button[type=submit]")  # no answer picked
    check_page(page, "choose, error", report)
    page.check("#choice-0")
    page.click("#choice-form button[type=submit]")
    visible(page, "review")
    check_page(page, "review", report)
    page.click("#encrypt-button")
    visible(page, "tracker")
    check_page(page, "tracker", report)
    tracker = str(page.inner_text("#step-tracker code.tracker"))
    page.click("#cast-button")
    visible(page, "done")
    check_page(page, "done", report)

    page.goto(f"{server.base}/vote/{vote.id}{q}")
    page.goto(f"{server.base}/vote/{vote.id}{q}#{first.uuid}/{first.credential}")
    vote_with_mouse(page, 1)
    assert step_of(page) == "refused"
    check_page(page, "refused (revote)", report)
    shot(page, f"{lang}-axe-refused")
    page.goto(f"{server.base}/vote/{vote.id}{q}#{first.uuid}")  # a link cut short
    visible(page, "problem")
    check_page(page, "problem (bad link)", report)

    # public pages: board lookup and turnout while open; the result once published
    page.goto(f"{server.base}/votes/{vote.id}{q}")
    check_page(page, "public page (board, turnout)", report)
    page.goto(f"{server.base}/votes/{vote.id}?lang={lang}&tracker={quote(tracker, safe='')}")
    page.wait_for_selector(".found", timeout=STEP_TIMEOUT)
    check_page(page, "board lookup", report)
    page.goto(f"{server.base}/votes/{vote.id}?lang={lang}&tracker=nothing-like-it")
    check_page(page, "board lookup, not found", report)
    _publish(db, vote, work / f"bundle-{vote.id}")
    page.goto(f"{server.base}/votes/{vote.id}{q}")
    check_page(page, "public page (result)", report)
    shot(page, f"{lang}-axe-result")
    ctx.close()
    bad = {k: v for k, v in report.items() if v}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)
    assert len(report) >= 14


def _publish(db: Any, vote: Vote, out: Path) -> Path:
    """Close early, decrypt with two of the three trustees, publish the bundle with the CLI."""
    tally.close_and_tally(db, vote.id, datetime.now(UTC), early=True)
    rng = SystemRandomness()
    for key in vote.live.keys[:2]:
        trustees.partial_decrypt(db, vote.id, key, rng, passphrase=vote.live.passphrases[key])
    assert set(results.decrypt_results(db, vote.id)) == set(LOCALS)
    db_url = db.kw["bind"].url.render_as_string(hide_password=False)
    proc = subprocess.run(
        [str(STRIKEVOTE), "result", "publish", vote.id, "--out", str(out), "--db", db_url, "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


# --- refusals -----------------------------------------------------------------------------------------------------


def test_each_refusal_has_its_plain_language_message(browser: Any, site: tuple[Server, Any, Path]) -> None:
    server, db, work = site
    vote = new_vote(site)
    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"page error: {e}"))

    # a well-formed credential that is on no list: caught by the lookup before anything is encrypted
    stranger = generate_credential(SystemRandomness())
    page.goto(f"{server.base}/vote/{vote.id}?lang=en")
    visible(page, "credential")
    page.fill("#credential-input", stranger)
    page.click("#credential-form button[type=submit]")
    page.locator("#credential-error", has_text="not on the list of the local you chose").wait_for(
        timeout=STEP_TIMEOUT
    )
    assert step_of(page) == "credential"
    # the lookup unreachable: the booth goes on, and the ballot box refuses it at the cast, in plain language
    page.route("**/credentials/**", lambda route: route.abort())
    page.click("#credential-form button[type=submit]")
    vote_with_mouse(page, 0)
    page.unroute("**/credentials/**")
    assert step_of(page) == "refused"
    assert "not on the list for the local you chose" in page.inner_text("#refusal-message")
    assert page.is_visible("#reenter-button") and not page.is_visible("#retry-button")
    page.click("#reenter-button")
    visible(page, "credential")
    assert page.input_value("#credential-input") == ""

    # a link to another vote's election
    other = new_vote(site)
    page.goto(booth_link(server.base, vote.id, other.letters_of("44")[0]))
    visible(page, "problem")
    assert "not for any local of this vote" in page.inner_text("#problem-message")

    # a vote whose window has not opened yet
    early = make_vote(db, work, f"b-{uuid.uuid4().hex[:8]}", locals_=LOCALS, opens_in=timedelta(hours=2))
    page.goto(booth_link(server.base, early.id, early.letters_of("80")[0]))
    vote_with_mouse(page, 1)
    assert step_of(page) == "refused"
    assert "not opened yet" in page.inner_text("#refusal-message")

    # a closed vote: the booth says so before anything is encrypted
    letter = vote.letters_of("44")[1]
    tally.close_and_tally(db, vote.id, datetime.now(UTC), early=True)
    page.goto(booth_link(server.base, vote.id, letter))
    visible(page, "problem")
    assert "Voting has closed" in page.inner_text("#problem-message")
    page.close()
