"""The layering of DESIGN.md §7, enforced: the pure layers (crypto, belenios, records, rules, verify) never
import the database, the services, the web server, mail or the command line — not at module level, not
inside a function, not relatively; below the records each imports only the layers under it.  The simulation
fixtures (strikevote.simulation) sit on the protocol and are imported by no module of the product.  Also that each
check name (records/checks.py) and each Fiat–Shamir statement (crypto/statements.py) is spelled in one module
only.  Read from the source with ``ast``, so no import is run."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "strikevote"
PURE = ("crypto", "belenios", "records", "rules", "verify", "simulation")
FORBIDDEN = ("db", "services", "web", "mail", "cli")
# The records layer sits on the protocol and the rules only: nothing beside them but the standard library.
RECORDS_MAY_IMPORT = ("crypto", "belenios", "records", "rules")
# Below the records, each pure layer imports only the layers under it (and itself).  The protocol may use the
# check registry, records/checks.py, which imports nothing of strikevote (so belenios -> records is no cycle).
MAY_IMPORT = {
    "crypto": ("strikevote.crypto",),
    "belenios": ("strikevote.crypto", "strikevote.belenios", "strikevote.records.checks"),
    "rules": ("strikevote.rules",),
    "simulation": ("strikevote.crypto", "strikevote.belenios", "strikevote.simulation"),
    "verify": (
        "strikevote.crypto",
        "strikevote.belenios",
        "strikevote.records",
        "strikevote.rules",
        "strikevote.verify",
    ),
}
CHECKS = PACKAGE / "records" / "checks.py"
STATEMENTS = PACKAGE / "crypto" / "statements.py"
# The Fiat–Shamir domain tags: a string constant starting with one of them builds a statement.
STATEMENT_TAGS = ("prove|", "sig|", "sigmsg|", "pok|", "decrypt|", "certs_sig|", "strikevote-decrypt/")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute (relative imports resolved against its package)."""
    package = ["strikevote", *path.relative_to(PACKAGE).parent.parts]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            out += [
                (node.lineno, f"{module}.{alias.name}") for alias in node.names
            ]  # from strikevote import db
    return out


def violations(layer: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "strikevote" and len(parts) > 1 and parts[1] in FORBIDDEN:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("layer", PURE)
def test_pure_layers_import_no_upper_layer(layer: str) -> None:
    assert (PACKAGE / layer).is_dir()
    assert violations(layer) == []


def test_records_import_the_standard_library_crypto_belenios_and_rules_only() -> None:
    found = []
    for path in sorted((PACKAGE / "records").rglob("*.py")):
        for line, module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "strikevote":
                ok = len(parts) > 1 and parts[1] in RECORDS_MAY_IMPORT
            else:
                ok = parts[0] in sys.stdlib_module_names or parts[0] == "__future__"
            if not ok:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert found == []


def test_the_check_sees_every_form_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walker is not vacuous: each way of importing an upper layer is found."""
    fake = tmp_path / "strikevote"
    (fake / "rules").mkdir(parents=True)
    (fake / "rules" / "bad.py").write_text(
        "import strikevote.db.models\n"
        "from strikevote.services import votes\n"
        "from strikevote import cli\n"
        "from ..web import app\n"
        "def late():\n    from strikevote.mail.outbox import send\n"
        "from strikevote.crypto import group\n"  # allowed
    )
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    found = violations("rules")
    assert [f.split(" imports ")[1] for f in found] == [
        "strikevote.db.models",
        "strikevote.services",
        "strikevote.services.votes",
        "strikevote.cli",
        "strikevote.web",
        "strikevote.web.app",
        "strikevote.mail.outbox",
        "strikevote.mail.outbox.send",
    ]


def _within(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == a or module.startswith(f"{a}.") for a in allowed)


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_pure_layer_imports_only_the_layers_below_it(layer: str) -> None:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".")[0] == "strikevote" and not _within(module, MAY_IMPORT[layer]):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert found == []


SIMULATION = "strikevote.simulation"


def importers_of(target: str) -> list[str]:
    """Every import of ``target`` (or a module under it) by a module of the package outside ``target``."""
    inside = PACKAGE.joinpath(*target.split(".")[1:])
    return [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for path in _source_files()
        if inside not in path.parents
        for line, module in imported_modules(path)
        if _within(module, (target,))
    ]


def test_the_simulation_fixtures_are_imported_by_no_module_of_the_product() -> None:
    """Tests and benchmarks use strikevote.simulation; belenios, verify, the services, the demo… never do."""
    assert (PACKAGE / "simulation" / "election.py").is_file()
    assert importers_of(SIMULATION) == []


def test_the_simulation_check_is_not_vacuous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "strikevote"
    for layer in ("belenios", "simulation"):
        (fake / layer).mkdir(parents=True)
    (fake / "belenios" / "bad.py").write_text(
        "def late():\n    from strikevote.simulation.election import simulate\nfrom ..simulation import archive\n"
    )
    (fake / "simulation" / "ok.py").write_text("from strikevote.simulation.archive import ElectionArchive\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    assert sorted(f.split(" imports ")[1] for f in importers_of(SIMULATION)) == [
        "strikevote.simulation",
        "strikevote.simulation.archive",
        "strikevote.simulation.election",
        "strikevote.simulation.election.simulate",
    ]  # belenios/bad.py's, both of them; simulation/ok.py may import its own package


def test_the_check_registry_is_a_leaf() -> None:
    assert [m for _line, m in imported_modules(CHECKS) if m.split(".")[0] == "strikevote"] == []


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string constant of ``path``, f-string pieces included (docstrings too: a name alone in one is
    a name spelled out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_check_name_is_spelled_once() -> None:
    """A check is named by its ``Check`` member everywhere but in the registry, so no string equals a name."""
    from strikevote.records.checks import Check

    names = {c.value for c in Check}
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} spells {value!r}"
        for path in _source_files()
        if path != CHECKS
        for line, value in _string_constants(path)
        if value in names or value.split("[")[0] in names
    ]
    assert found == []


def test_every_fiat_shamir_statement_is_built_in_one_module() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} builds {value!r}"
        for path in _source_files()
        if path != STATEMENTS
        for line, value in _string_constants(path)
        if value.startswith(STATEMENT_TAGS)
    ]
    assert found == []


def test_the_spelling_checks_are_not_vacuous(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('x = "ballot.proofs"\ny = f"sig|{x}|"\nz = "a docstring about ballot.proofs"\n')
    assert (1, "ballot.proofs") in _string_constants(bad)
    assert any(v.startswith(STATEMENT_TAGS) for _line, v in _string_constants(bad))
    assert _string_constants(CHECKS) and _string_constants(STATEMENTS)
