"""The API reference (``make docs``: pdoc) builds, and a broken cross-reference in a docstring fails it."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api_docs() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "toolchain" / "api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_builds_without_a_broken_reference(api_docs, tmp_path: Path) -> None:
    problems = api_docs.build(tmp_path)
    assert problems == []
    assert (tmp_path / "protocol_model" / "api" / "story.html").is_file()
    assert "to_frame" in (tmp_path / "protocol_model" / "world" / "snapshot.html").read_text()


def test_a_broken_reference_is_found(api_docs, monkeypatch) -> None:
    import pdoc.doc

    fake = types.ModuleType("fake_module_for_api_docs")
    fake.__doc__ = "See :func:`helper`, :class:`Missing` and :mod:`fake_module_for_api_docs`."

    def helper() -> None:
        """Points at :func:`~fake_module_for_api_docs.nowhere`."""

    helper.__module__ = fake.__name__
    fake.helper = helper
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    broken = api_docs.broken_references([pdoc.doc.Module(fake)])
    assert sorted(broken) == ["fake_module_for_api_docs.helper: fake_module_for_api_docs.nowhere",
                              "fake_module_for_api_docs: Missing"]
