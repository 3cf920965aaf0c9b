"""Paths the tests share. (Not in conftest.py: importing conftest as a module runs it a second time.)"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL_REGISTRY = REPO / "tests" / "fixtures" / "registry_small"
