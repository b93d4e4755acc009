"""helpers/ in stages: a stage imports only the stages before it, so the file list reads as the architecture."""

import ast

import pytest

from helpers.core.config import REPO_ROOT

STAGES = ["core", "llm", "prompting", "finetuning", "experiments"]
HELPERS = REPO_ROOT / "helpers"


def imported_stages(path) -> set[str]:
    """The stages a module imports from (relative imports `..stage.module`, absolute `helpers.stage...`)."""
    stages = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if node.level == 1:
                stages.add(path.parent.name)
            elif node.level == 2:
                stages.add(parts[0])
            elif parts[0] == "helpers" and len(parts) > 1:
                stages.add(parts[1])
    return stages


def test_every_module_lives_in_a_stage():
    assert sorted(p.name for p in HELPERS.glob("*.py")) == ["__init__.py"]
    assert sorted(p.name for p in HELPERS.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_stages_before_it(stage):
    allowed = set(STAGES[: STAGES.index(stage) + 1])
    for path in sorted((HELPERS / stage).glob("*.py")):
        later = imported_stages(path) - allowed
        assert not later, f"helpers/{stage}/{path.name} imports the later stage(s) {sorted(later)}"


def test_the_checker_sees_a_backward_import(tmp_path):
    module = tmp_path / "core" / "bad.py"
    module.parent.mkdir()
    module.write_text("from ..experiments.cache import cached\nfrom .errors import CourseError\n")
    assert imported_stages(module) == {"experiments", "core"}
