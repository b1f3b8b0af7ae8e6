"""Named rule presets, written in the same TOML rule format users write (see :mod:`strikevote.rules`).

Sources are the reference list of ``research/DOMAIN.md`` (its [R#] numbers); readings of ours are marked.

``simple-majority``
    More yes than no among the ballots cast; a tie fails.
``sag-aftra``
    SAG-AFTRA Constitution Art. XI(E): the National Board may call a strike "upon vote of 75% of affected
    members voting" [R17] ⇒ yes ≥ 75% of the ballots cast (exactly 75% passes).
``uaw``
    UAW Constitution Art. 50: a strike needs 2/3 of those voting, by secret ballot [R47]
    ⇒ yes ≥ 2/3 of the ballots cast (exactly two-thirds passes).
``teamsters``
    IBT Constitution Art. XII §2(d) since the 2021 convention [R36][R37]: master-agreement votes are
    cumulative over all voters and a majority of all votes cast decides ⇒ yes > 1/2 of ballots (a tie fails).
``teamsters-pre-2021``
    Art. XII before 2021 [R36][R42]: if at least half of the eligible members cast ballots, a majority
    decides; if fewer than half voted, the offer stands unless 2/3 of the votes cast reject it.
    Teamsters–UPS 2018: 45.8% yes at 44% turnout was declared ratified [R39][R41]. Our readings: "half
    voted" is turnout ≥ 50% (exactly 50% turnout takes the majority branch); "2/3 to reject" is
    no ≥ 2/3 of the ballots (exactly two-thirds rejects); and with zero ballots nothing rejects the offer,
    so it passes, which is literally what the rule says. Not monotone: one more yes voter can lift turnout
    to 50% and so switch to the stricter majority branch.
``uk-tu-act-2016``
    Trade Union Act 2016 [R53][R63]: at least 50% of those entitled to vote must vote, and a majority of
    those voting must vote yes ⇒ turnout ≥ 50% and yes > 1/2 of the ballots. (The 6-month life of a
    mandate is not a counting rule and is not modelled.)
``uk-tu-act-2016-ips``
    The same for "important public services", which also need yes from ≥ 40% of all those entitled
    [R53][R63]: built as ``all = [{preset = "uk-tu-act-2016"}, {eligible_share = ">= 2/5"}]``.
``articles-iatse``
    The IATSE rule as the 2021 press put it (seed article 003): "75% of all ballots received to be in
    favor and for a simple majority of the 13 locals to vote in favor". Our reading: a local "votes in
    favor" when it meets the IATSE per-local test, yes ≥ 75% of its own ballots [R5] (a plain majority
    per local would be ``local = "> 1/2"``); a "simple majority of locals" is more than half of all locals
    in the vote, a local with no ballots counting as not in favor.
``iatse-constitution``
    IATSE strike authorization as the constitution runs it [R5][R13][R55]: a local passes with ≥ 75% yes
    of its ballots ("1,000 returned ⇒ 750 yes needed"), and then *all* its delegate votes count yes,
    otherwise all count no; a simple majority of delegate votes decides.
``iatse-ratification``
    IATSE contract ratification [R8][R10][R13]: the same winner-take-all delegate "electoral college",
    but a local's block goes to the side with more votes in that local (yes > 1/2 of its ballots; for an
    even split, our reading is that the block goes to no, the local not having voted yes). Reproduces
    the 2021 Basic Agreement, lost on the popular vote at 49.6% yet ratified 256–188 by delegates with 8
    locals to 5 [R8], and 2018, 312–73 of 385 delegate votes with 193 needed [R13].
"""

from __future__ import annotations

import tomllib
from typing import Final

from .model import Rule
from .spec import parse_rule

__all__ = ["PRESETS", "PRESETS_TOML"]

PRESETS_TOML: Final = r'''
[simple-majority]
description = "A simple majority: more yes than no among the ballots cast (a tie fails)."
popular = "> 1/2"

[sag-aftra]
description = """\
  SAG-AFTRA Constitution Art. XI(E): at least 75% of the affected members voting vote yes."""
sources = ["DOMAIN.md R17: http://standincentral.com/2017/06/28/strike-authorization-mean-stand-ins/"]
popular = ">= 3/4"

[uaw]
description = "UAW Constitution Art. 50: at least two-thirds of those voting vote yes."
sources = ["DOMAIN.md R47: http://www.uaw.org/page/uaw-constitution-strikes"]
popular = ">= 2/3"

[teamsters]
description = """\
  Teamsters Constitution Art. XII (since 2021): a majority of all votes cast, counted cumulatively."""
sources = [
  "DOMAIN.md R36: https://www.browncafe.com/community/threads/the-next-vote.351244/",
  "DOMAIN.md R37: the 2021 convention delegates voted out the 2/3 rule",
]
popular = "> 1/2"

[teamsters-pre-2021]
description = """\
  Teamsters Constitution Art. XII before 2021: if at least half of the eligible members vote, a majority \
  decides; if fewer vote, the offer stands unless two-thirds of the votes cast reject it."""
sources = [
  "DOMAIN.md R36: https://www.browncafe.com/community/threads/the-next-vote.351244/",
  "DOMAIN.md R42: Labor Notes via browncafe.com (UPS 2018 declared ratified)",
  "DOMAIN.md R39: https://fortune.com/2018/10/06/ups-teamsters-union-contract-vote/",
]
label = "Teamsters turnout test"
if = { turnout = "< 1/2", label = "Turnout under 50%" }

[teamsters-pre-2021.then]
label = "Two-thirds of the votes cast are needed to reject; the offer stands unless they are met"
not = { popular = ">= 2/3", side = "no", label = "Votes against" }

[teamsters-pre-2021.else]
label = "Turnout 50% or more, so a majority of the votes cast decides"
popular = "> 1/2"

[uk-tu-act-2016]
description = """\
  UK Trade Union Act 2016: at least 50% of those entitled vote, and a majority of those voting vote yes."""
sources = [
  "DOMAIN.md R53: https://www.lexology.com/library/detail.aspx?g=7f171f7d-4368-4255-8cf3-f010ec1414a1",
  "DOMAIN.md R63: http://www.xperthr.co.uk/editors-choice/trade-union-act-2016/159971/",
]
all = [
  { turnout = ">= 1/2", label = "Turnout floor" },
  { popular = "> 1/2", label = "Majority of those voting" },
]

[uk-tu-act-2016-ips]
description = """\
  UK Trade Union Act 2016, important public services: the 50% turnout floor and a majority, and yes \
  from at least 40% of all those entitled to vote."""
sources = [
  "DOMAIN.md R53: https://www.lexology.com/library/detail.aspx?g=7f171f7d-4368-4255-8cf3-f010ec1414a1",
  "DOMAIN.md R63: http://www.xperthr.co.uk/editors-choice/trade-union-act-2016/159971/",
]
all = [
  { preset = "uk-tu-act-2016" },
  { eligible_share = ">= 2/5", label = "Important public services: yes among all entitled" },
]

[articles-iatse]
description = """\
  IATSE as reported in 2021: at least 75% of all ballots yes and a majority of locals in favor \
  (a local being in favor with at least 75% yes)."""
sources = [
  "shared/seeds article 003 (IATSE 2021 strike vote announcement)",
  "DOMAIN.md R5: https://news.yahoo.com/iatse-strike-authorization-vote-begin-172737798.html",
]
local = ">= 3/4"
all = [
  { popular = ">= 3/4" },
  { locals_in_favor = "majority" },
]

[iatse-constitution]
description = """\
  IATSE strike authorization: a local with at least 75% yes casts all its delegate votes yes, otherwise \
  all no; a majority of delegate votes decides."""
sources = [
  "DOMAIN.md R5: https://news.yahoo.com/iatse-strike-authorization-vote-begin-172737798.html",
  "DOMAIN.md R13: http://realfilmcareer.com/2018/popular-vote-shows-new-iatse-contract-is-not-so-popular/",
  "DOMAIN.md R55: https://deadline.com/2021/11/iatse-contract-vote-three-largest-hollywood-locals-could-determine-outcome-1234873203/",
]
delegates = "majority"
local = ">= 3/4"

[iatse-ratification]
description = """\
  IATSE contract ratification: each local's delegate votes all go to the side its members favored \
  (yes needs more than half), and a majority of delegate votes decides."""
sources = [
  "DOMAIN.md R8: https://www.hollywoodreporter.com/business/business-news/iatse-contract-ratified-members-vote-1235043615/",
  "DOMAIN.md R13: http://realfilmcareer.com/2018/popular-vote-shows-new-iatse-contract-is-not-so-popular/",
]
delegates = "majority"
local = "> 1/2"
'''


def _build() -> dict[str, Rule]:
    presets: dict[str, Rule] = {}
    for name, table in tomllib.loads(PRESETS_TOML).items():
        presets[name] = parse_rule({"name": name, **table}, presets, path=f"presets.{name}")
    return presets


PRESETS: Final[dict[str, Rule]] = _build()
"""Every preset by name. Presets may use earlier presets (``{ preset = "uk-tu-act-2016" }``)."""
