"""Every `ape run` script has a one-line description in `ape run --help` and help text on each of its own
options, defaults shown (issue #13 item 5)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "scripts").glob("*.py"))
APE_OPTIONS = {"verbosity", "provider_settings", "network"}


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_has_description_and_option_help(path):
    spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cli: click.Command = module.cli
    assert cli.short_help and "\n" not in cli.short_help, f"{path.name}: no one-line short_help"
    for p in cli.params:
        if not isinstance(p, click.Option) or p.name in APE_OPTIONS:
            continue
        assert p.help, f"{path.name}: --{p.name} has no help"
        if p.default is not None and not p.is_flag:
            assert p.show_default, f"{path.name}: --{p.name} does not show its default"
