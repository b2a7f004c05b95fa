"""Every file says what it is (``kind:``); each kind is taken by one command.

A file given to the wrong command gets one line saying which command takes it, before anything runs.
"""

from __future__ import annotations

from pathlib import Path

from protocol_model.scenario.base import ScenarioError, closest, read_yaml

KINDS: dict[str, tuple[str, str]] = {
    "protocol": ("a protocol file", "refer to it from a story or simulation (`protocol: FILE`); "
                                    "`protocol-model check` validates it"),
    "story": ("a story file", "use `protocol-model story` (exact model; `--chain`: on an anvil it starts, "
                              "model == chain)"),
    "perp_story": ("a perp story file", "use `protocol-model story`"),
    "morpho_story": ("a Morpho Blue story file", "use `protocol-model story` (`--chain`: on real Morpho Blue)"),
    "simulation": ("a simulation file", "use `protocol-model simulate` (or `protocol-model stablecoin`)"),
    "sweep": ("a sweep file", "use `protocol-model sweep`"),
    "optimisation": ("an optimisation file", "use `protocol-model optimise`"),
}
"""kind -> (what it is, which command takes it)."""


def kind_of(data: dict, source: str | Path) -> str:
    """The file's ``kind`` (ScenarioError if missing or unknown)."""
    kind = data.get("kind")
    if kind is None:
        raise ScenarioError(f"{source}: kind: Field required (one of: {', '.join(KINDS)})")
    if not isinstance(kind, str):
        raise ScenarioError(f"{source}: kind: expected a name, got {type(kind).__name__} {kind!r} "
                            f"(one of: {', '.join(KINDS)})")
    if kind not in KINDS:
        raise ScenarioError(f"{source}: kind: unknown kind '{kind}'{closest(str(kind), list(KINDS))} "
                            f"(one of: {', '.join(KINDS)})")
    return str(kind)


def wrong_kind(source: str | Path, kind: str, expected: tuple[str, ...]) -> ScenarioError:
    """The error for a file of ``kind`` where one of ``expected`` was needed."""
    what, command = KINDS[kind]
    wanted = " or ".join(KINDS[k][0] for k in expected)
    return ScenarioError(f"{source}: kind: this is {what}, not {wanted}; {command}")


def read_kind(path: str | Path, *expected: str) -> tuple[str, dict]:
    """Read a YAML file and check it is of one of the ``expected`` kinds: (kind, data).

    Raises ScenarioError: unreadable file, bad YAML, missing or unknown kind, or a kind not expected
    (the message names the command that takes the file).
    """
    data = read_yaml(path)
    kind = kind_of(data, path)
    if kind not in expected:
        raise wrong_kind(path, kind, expected)
    return kind, data
