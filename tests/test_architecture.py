"""The import arrows: sweeps -> agents -> jaxmarkets, and sweeps -> jaxmarkets.
A game never imports a learner or a study; a learner never imports a game."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
GAME_PACKAGES = {"execution", "firesale", "liquidation", "liquidity", "cat"}


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def test_games_import_neither_learners_nor_studies():
    for path in _modules("jaxmarkets"):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("agents", "sweeps")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_learners_import_no_study_and_no_specific_game():
    for path in _modules("agents"):
        for m in _imports(path):
            parts = m.split(".")
            assert parts[0] != "sweeps", f"{path.relative_to(ROOT)} imports {m}"
            assert not (parts[0] == "jaxmarkets" and len(parts) > 1 and parts[1] in GAME_PACKAGES), \
                f"{path.relative_to(ROOT)} imports the game module {m}"


def test_the_arrow_check_would_catch_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from sweeps.engine import run\nimport jaxmarkets.execution.game\n")
    assert _imports(bad) == {"sweeps.engine", "jaxmarkets.execution.game"}
