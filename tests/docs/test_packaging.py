"""The package metadata a user and pip see: licence, versions, extras, entry points."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

import pytest

import pyngraph

REPO = Path(__file__).resolve().parents[2]
tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")


@pytest.fixture(scope="module")
def project() -> Dict[str, Any]:
    data: Dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def test_licence_is_an_spdx_expression_with_its_file(project):
    assert project["project"]["license"] == "BSD-2-Clause"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("BSD 2-Clause License")
    assert not any(c.startswith("License ::") for c in project["project"]["classifiers"])  # setuptools refuses both
    required = project["build-system"]["requires"]
    floor = [int(m.group(1)) for r in required for m in [re.match(r"setuptools>=(\d+)", r)] if m]
    assert floor and floor[0] >= 77  # the first setuptools that accepts an SPDX `license` string


def test_one_version_and_every_supported_python_classified(project):
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pyngraph.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", pyngraph.__version__)
    lowest = int(project["project"]["requires-python"].split(".")[1])
    classified = {c.rsplit(" ", 1)[1] for c in project["project"]["classifiers"]
                  if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert {f"3.{minor}" for minor in range(lowest, 14)} <= classified


def test_extras_and_entry_points(project):
    extras = project["project"]["optional-dependencies"]
    assert not any(d.startswith("python-vagrant") for d in extras["test"])
    assert any(d.startswith("python-vagrant") for d in extras["vm"])
    assert project["project"]["entry-points"]["pytest11"] == {"pyngraph.testing": "pyngraph.testing"}
    assert set(project["project"]["scripts"]) == {"pyngctl", "pynghook", "pyngraph-emud"}
