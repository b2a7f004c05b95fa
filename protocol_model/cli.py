"""``protocol-model``: the console entry point (also ``protocol-lab`` and ``python -m protocol_model``).

Every subcommand that takes a file first runs the same check as ``protocol-model check`` (the file's
kind, then the file with everything it refers to); a bad or wrong-kind file gets one line naming the
file, the field and the rule (or the command that takes it), exit code 2, and nothing is run or written.
"""

from __future__ import annotations

import argparse
import sys
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.kinds import KINDS, read_kind

COMMAND_KINDS: dict[str, tuple[str, ...]] = {
    "check": tuple(KINDS),
    "simulate": ("simulation",),
    "stablecoin": ("simulation",),
    "sweep": ("sweep",),
    "story": ("story", "perp_story", "morpho_story"),
    "compare": ("simulation",),
    "optimise": ("optimisation",),
}
"""Which file kinds each subcommand takes."""


def _loaders() -> dict[str, Callable[[Path], Any]]:
    from protocol_model.scenario.morpho_story import load_morpho_story
    from protocol_model.scenario.perp import load_perp_scenario
    from protocol_model.scenario.protocol import load_protocol
    from protocol_model.scenario.story import load_scenario
    from protocol_model.sim.optimise import load_optimisation
    from protocol_model.sim.spec import load_simulation, load_sweep

    def load_story(path: Path) -> Any:
        """A lending story, or an Aave V3 story when its protocol has ``rules: aave-v3``."""
        from protocol_model.scenario.aave_v3_story import is_aave_story, load_aave_story

        return load_aave_story(path)[0] if is_aave_story(path) else load_scenario(path)

    return {"protocol": load_protocol, "story": load_story, "perp_story": load_perp_scenario,
            "morpho_story": load_morpho_story,
            "simulation": load_simulation, "sweep": load_sweep, "optimisation": load_optimisation}


def check_file(path: Path, command: str = "check") -> tuple[str, Any]:
    """The check every command runs first: the file's kind must be one ``command`` takes, then the file is
    loaded with everything it refers to (protocol, overrides, base simulation, book). Returns (kind, the
    loaded object). Raises ScenarioError (one line: file, field path, rule)."""
    kind, _ = read_kind(path, *COMMAND_KINDS[command])
    return kind, _loaders()[kind](path)


def _check(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            kind, _ = check_file(path)
        except ScenarioError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        from protocol_model.scenario.aave_v3_story import AaveStory

        for line in _warnings(_):
            print(f"warning: {path}: {line}", file=sys.stderr)
        what, use = ("an Aave V3 story", "use `protocol-model story` (on the real Aave V3 bytecode in process; "
                     "`--chain`: on an anvil)") if isinstance(_, AaveStory) else KINDS[kind]
        print(f"{path}: ok ({what}; {use})")
    return 2 if failed else 0


def _warnings(loaded: Any) -> list[str]:
    """What ``check`` warns about in a loaded file without refusing it: pair feeds one transaction can move
    (``scenario.amm.manipulable_pair_feeds``, for stories with ``amm_pairs``)."""
    if not getattr(loaded, "amm_pairs", None):
        return []
    from protocol_model.scenario.amm import manipulable_pair_feeds

    return manipulable_pair_feeds(loaded)


def _story(args: argparse.Namespace) -> int:
    """Play a story in the exact model (or, with ``--chain``, on a local anvil with the model cross-check
    after every step); every step's outcome must be what the file expects. An Aave V3 story always plays on the
    real Aave V3 bytecode with the twin: in process, or on the local anvil with ``--chain``."""
    kind, scenario = check_file(args.file, "story")
    if kind == "morpho_story":
        return _morpho_story(args, *scenario)
    from protocol_model.scenario.aave_v3_story import AaveStory

    if isinstance(scenario, AaveStory):  # rules: aave-v3: on the real bytecode (in-process, or anvil with --chain)
        from protocol_model.chain.aave_v3.replay import story_report

        lines, ok = story_report(str(args.file), on_anvil=args.chain)
        print("\n".join(lines))
        return 0 if ok else 1
    if args.chain:
        from protocol_model.chain.story_chain import play_on_local_chain, report_lines

        replay = play_on_local_chain(scenario)
        lines, ok = report_lines(replay)
        print("\n".join(lines))
        return 0 if ok else 1
    if kind == "perp_story":
        from protocol_model.world.perp_world import run_perp_model

        _, outcomes = run_perp_model(scenario)
    else:
        from protocol_model.world.model_world import run_model

        _, outcomes = run_model(scenario)
    wrong = _print_outcomes(scenario.steps, outcomes)
    print(f"{scenario.name}: {len(outcomes)} steps, {wrong} mismatches (exact model; on chain: "
          f"protocol-model story {args.file} --chain)" if kind == "story" else
          f"{scenario.name}: {len(outcomes)} steps, {wrong} mismatches (exact model)")
    return 1 if wrong else 0


def _print_outcomes(steps: Any, outcomes: list[str], width: int = 16) -> int:
    """A header, then one line per step (index, op, outcome, whether the file expects it); returns the count not
    expected."""
    wrong = 0
    print(f"{'#':>3} {'step':<{width}} {'outcome':<24} as the file expects")
    for i, (step, got) in enumerate(zip(steps, outcomes, strict=True)):
        mark = "yes" if got == step.expect else f"MISMATCH (file expects {step.expect})"
        wrong += got != step.expect
        print(f"{i:3d} {step.op:<{width}} {got:<24} {mark}")
    return wrong


def _morpho_story(args: argparse.Namespace, story: Any, spec: Any) -> int:
    """A Morpho Blue story on real Morpho Blue and its twin with every observable compared after every step: on
    a fresh in-process chain (revm), or with ``--chain`` on a local anvil started for it."""
    from protocol_model.chain.morpho_blue import play_in_process, play_on_local_chain, report_lines

    if args.chain:
        lines, ok = report_lines(story, play_on_local_chain(story, spec), "anvil")
    else:
        lines, ok = report_lines(story, play_in_process(story, spec), "in-process chain")
    print("\n".join(lines))
    return 0 if ok else 1


def prepare_run(args: argparse.Namespace, command: str, out_default: Path) -> tuple[Any, Path]:
    """Everything a run command checks before any work, cheapest first: ``--paths`` / ``--workers``, the
    output folder (``--out``: not a file, writable, replaceable), the file (``check_file``), then that the
    ``--scheduler`` answers. Returns (the loaded file, the output folder). Raises ScenarioError (one line)."""
    from protocol_model.sim.options import check_run_options, check_scheduler
    from protocol_model.sim.output import check_out

    check_run_options(args.file, args.paths, args.workers)
    out = check_out(args.out or out_default)
    _, loaded = check_file(args.file, command)
    check_scheduler(args.file, args.scheduler)
    return loaded, out


def _progress(args: argparse.Namespace) -> bool:
    """A progress bar unless ``--no-progress`` or stderr is not a terminal (it shows after ~2 s)."""
    return not args.no_progress and sys.stderr.isatty()


def _stablecoin(args: argparse.Namespace) -> int:
    from protocol_model.sim.stable_spec import compare, write

    spec, out = prepare_run(args, "stablecoin", Path("out") / f"{args.file.stem}_stable")
    rows = compare(spec, paths=args.paths, workers=args.workers, scheduler=args.scheduler,
                   progress=_progress(args), source=str(args.file))
    path = write(rows, spec, out, str(args.file))
    for row in rows:
        print(f"{row['variant']:>18}: P(bad debt) {row['bad_debt_probability']:.1%}, bad debt VaR99 "
              f"${row['bad_debt_var99_usd']:,.0f}, CVaR99 ${row['bad_debt_cvar99_usd']:,.0f}, "
              f"{row['liquidation_count_mean']:.1f} liquidations per path")
    print(f"report: {path}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from protocol_model.sim import report
    from protocol_model.sim.run import simulate

    spec, out = prepare_run(args, "simulate", Path("out") / args.file.stem)
    started = time.perf_counter()
    sim = simulate(spec, paths=args.paths, workers=args.workers, scheduler=args.scheduler,
                   progress=_progress(args), record_series=True)
    path = report.write_simulation(sim, out, str(args.file), spec)
    s = sim.summary()
    print(f"{spec.name}: {sim.job.n_paths} paths; bad debt VaR99 ${s['bad_debt_var99_usd']:,.0f}, "
          f"CVaR99 ${s['bad_debt_cvar99_usd']:,.0f}, P(bad debt) {s['bad_debt_probability']:.1%}")
    print(f"report: {path}  ({time.perf_counter() - started:.1f} s)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from protocol_model.sim import report
    from protocol_model.sim.spec import LabSpecError
    from protocol_model.sim.sweep import run_sweep

    (sweep, spec), out = prepare_run(args, "sweep", Path("out") / args.file.stem)
    if args.paths is not None:
        sweep = sweep.model_copy(update={"paths": args.paths})
    started = time.perf_counter()
    try:  # every cell is checked before any work; name the sweep file with the cell that is not valid
        swept = run_sweep(sweep, spec, workers=args.workers, scheduler=args.scheduler, progress=_progress(args))
    except LabSpecError as err:
        raise LabSpecError(f"{args.file}: {err}") from None
    path = report.write_sweep(swept, out, str(args.file))
    print(f"{sweep.name}: {len(swept.rows)} cells, book: {sweep.book}")
    print(f"report: {path}  ({time.perf_counter() - started:.1f} s)")
    return 0


def _check_replayable(source: Path, *params: Any) -> None:
    """Refuse, before anything runs, a simulation whose paths cannot replay on chain (one line naming the file)."""
    from protocol_model.sim.onchain_presets import check_replayable

    try:
        for p in params:
            check_replayable(p)
    except ValueError as err:
        raise ScenarioError(f"{source}: on-chain replay: {err}") from None


def _compare(args: argparse.Namespace) -> int:
    """Current vs proposed protocol parameters on one fixed book and the same paths (issue #18)."""
    from protocol_model.sim import report_format as fmt
    from protocol_model.sim.book_file import read_book
    from protocol_model.sim.compare import compare, load_sides
    from protocol_model.sim.options import MAX_RESAMPLES, check_count, check_run_options, check_scheduler
    from protocol_model.sim.output import atomic_dir, check_out
    from protocol_model.sim.report_compare import write_compare

    check_run_options(args.simulation, args.paths, args.workers)
    check_count(args.simulation, "--resamples", args.resamples, 1, MAX_RESAMPLES, "number of bootstrap resamples")
    if args.verify_on_chain < 0:
        raise ScenarioError(f"--verify-on-chain: the number of worst paths must be >= 1, got {args.verify_on_chain}")
    out = check_out(args.out or Path("out") / f"compare_{Path(str(args.proposed)).stem}")
    check_file(args.simulation, "compare")
    check_scheduler(args.simulation, args.scheduler)
    current, proposed, notes = load_sides(args.current, args.proposed, args.simulation)
    if args.verify_on_chain:
        _check_replayable(args.simulation, current.params, proposed.params)
    book = read_book(args.book, current.params) if args.book else None
    started = time.perf_counter()
    result = compare(current, proposed, book=book, book_source=f"read from {args.book}" if args.book else "",
                     paths=args.paths, resamples=args.resamples, workers=args.workers, scheduler=args.scheduler,
                     progress=_progress(args), notes=notes)
    if args.verify_on_chain:
        from protocol_model.chain.lab_verify import replays, verify

        cases = list(replays(result, args.verify_on_chain))
        for n, case in enumerate(cases, 1):
            checked = verify(case)
            result.on_chain.append(checked.row())
            print(f"on chain {n}/{len(cases)}: {case.side} path {case.path}: {checked.check.steps} steps, "
                  f"{'model == chain, lab numbers shown' if checked.check.ok else 'DISAGREEMENT'}")
    with atomic_dir(out) as tmp:
        write_compare(result, tmp, {"current": str(args.current), "proposed": str(args.proposed),
                                    "simulation": str(args.simulation)})
    path = out / "report.md"
    for note in notes:
        print(f"note: {note}")
    for d in result.diff:
        print(f"{d['asset']} {fmt.parameter_label(d['name'])}: {fmt.parameter(d['name'], d['current'])} -> "
              f"{fmt.parameter(d['name'], d['proposed'])}{'' if d['modelled'] else ' (not modelled)'}")
    print(f"book: fixed, {len(result.book):,} positions ({result.book_source}); {result.paths:,} paths each")
    rows = {r["key"]: r for r in result.scopes["Total"]}
    for key in ("bad_debt_var99_usd", "bad_debt_cvar99_usd", "bad_debt_probability", "induced_drop_var99",
                "positions_liquidatable_at_once", "debt_liquidatable_at_once_usd", "borrowing_capacity_usd"):
        r, u = rows[key], rows[key]["unit"]
        ci = "" if r["exact"] else f" (95% CI {fmt.interval(r['change_lo'], r['change_hi'], u, True)})"
        print(f"{r['label']}: {fmt.value(r['current'], u)} -> {fmt.value(r['proposed'], u)}, change "
              f"{fmt.value(r['change'], u, True)}{ci}")
    print(f"report: {path}  ({time.perf_counter() - started:.1f} s)")
    failed = [f"{r['side']} path {r['path']}: {f}" for r in result.on_chain for f in r["failures"]]
    for f in failed:
        print(f"on-chain check failed: {f}", file=sys.stderr)
    return 1 if failed else 0


def _add_compare(sub, fmt) -> None:
    """The ``compare`` subcommand's parser."""
    c = sub.add_parser("compare", formatter_class=fmt, help="current vs proposed protocol parameters on one "
                       "fixed book and the same price paths", description=(
                           "Run a simulation's market model under two protocol files (CURRENT, PROPOSED: paths or "
                           "names in protocols/; PROPOSED may be a variant that names CURRENT and overrides "
                           "fields) on the same book, held fixed, and the same paths; report the change with "
                           "bootstrap intervals."))
    c.add_argument("current", help="the protocol as it is (file or name in protocols/)")
    c.add_argument("proposed", help="the protocol as proposed (file, or a variant file: protocol: + overrides:)")
    c.add_argument("--simulation", type=_path, required=True, help="a simulation file: market model, book rule, "
                   "paths (its protocol and overrides are replaced by CURRENT / PROPOSED)")
    c.add_argument("--book", type=_path, help="a book file (CSV: position,collateral,debt,collateral_tokens,"
                   "debt_tokens; e.g. a previous compare's book.csv); default: generated once from CURRENT")
    c.add_argument("--out", type=_path, help="output directory (default: out/compare_<PROPOSED stem>)")
    c.add_argument("--paths", type=int, help="override the simulation's number of paths")
    c.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the intervals")
    c.add_argument("--workers", type=int, help="local worker processes (default: every core)")
    c.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): run the chunks there")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    c.add_argument("--verify-on-chain", type=int, nargs="?", const=3, default=0, metavar="N",
                   help="replay the N worst paths (default 3) of both configurations through the contracts on the "
                   "in-process chain, model == chain after every step; exit 1 on any disagreement")
    c.set_defaults(run=_compare)


def _optimise(args: argparse.Namespace) -> int:
    """Recommended parameters per risk profile, the frontier, and the recommendations replayed on chain."""
    from protocol_model.sim import report_format as fmt
    from protocol_model.sim.optimise import PARAMETERS, PROFILES, optimise
    from protocol_model.sim.output import atomic_dir
    from protocol_model.sim.report_optimise import write_optimise

    if args.verify_paths is not None and args.verify_paths < 0:
        raise ScenarioError(f"{args.file}: --verify-paths: must be >= 0, got {args.verify_paths}")
    (spec, sim), out = prepare_run(args, "optimise", Path("out") / f"optimise_{args.file.stem}")
    if args.paths:
        spec = spec.model_copy(update={"paths": args.paths})
    if args.verify_paths is not None:
        spec = spec.model_copy(update={"verify_paths": args.verify_paths})
    if spec.verify_paths:
        _check_replayable(args.file, sim.params())
    started = time.perf_counter()
    result = optimise(spec, sim, workers=args.workers, scheduler=args.scheduler, progress=_progress(args))
    if spec.verify_paths:
        from protocol_model.chain.lab_verify import recommendation_replays, verify
        from protocol_model.sim.onchain_presets import simulation_protocol

        protocol = None if sim.rules == "generic" else simulation_protocol(args.file.parent / spec.simulation)
        cases = list(recommendation_replays(result, protocol=protocol))
        for n, case in enumerate(cases, 1):
            checked = verify(case)
            result.on_chain.append(checked.row())
            print(f"on chain {n}/{len(cases)}: {case.side} path {case.path}: {checked.check.steps} steps, "
                  f"{'model == chain, lab numbers shown' if checked.check.ok else 'DISAGREEMENT'}")
    with atomic_dir(out) as tmp:
        write_optimise(result, tmp, str(args.file))
    print(f"{spec.name}: {len(result.evaluations)} candidates, book: {spec.book}, {result.paths:,} paths each")
    for profile in PROFILES:
        e = result.chosen[profile]
        budget = getattr(spec.budgets, profile)
        if e is None:
            print(f"{profile}: no searched parameters meet the budget ({budget:g})")
            continue
        values = ", ".join(f"{fmt.parameter_label(PARAMETERS[p])} {fmt.parameter(PARAMETERS[p], v)}"
                           for p, v in e.point)
        print(f"{profile}: {values}; capacity ${e.capacity_usd:,.0f}, risk {e.risk:,.4g} (budget {budget:,.4g})")
    print(f"report: {out / 'report.md'}  ({time.perf_counter() - started:.1f} s)")
    failed = [f"{r['side']} path {r['path']}: {f}" for r in result.on_chain for f in r["failures"]]
    for f in failed:
        print(f"on-chain check failed: {f}", file=sys.stderr)
    return 1 if failed else 0


def _import_config(path: Path, preset: str) -> dict[str, Any]:
    """``--config``: a live-network file (config/live_mainnet.yaml): the RPC URL from the environment variable it
    names, its pinned block, and the preset's address, log-scan start and markets. Raises ScenarioError naming
    the file and field."""
    import os

    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ScenarioError(f"--config {path}: cannot read it ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"--config {path}: not YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rpc_url_env"), str):
        raise ScenarioError(f"--config {path}: rpc_url_env: required (the environment variable holding the RPC URL)")
    url = os.environ.get(data["rpc_url_env"], "")
    if not url:
        raise ScenarioError(f"--config {path}: rpc_url_env: the environment variable {data['rpc_url_env']} is not "
                            "set (export it with your RPC endpoint's URL)")
    section = data.get({"aave-v3": "aave_v3", "morpho-blue": "morpho_blue"}.get(preset, preset)) or {}
    markets = section.get("markets")
    return {"rpc": url, "block": data.get("block_number"), "address": section.get("pool") or section.get("morpho"),
            "from_block": section.get("from_block"),
            "markets": list(markets.values()) if isinstance(markets, dict) else markets}


def _import_options(args: argparse.Namespace) -> tuple[Any, list[Any], str, int | None]:
    """Every ``import`` option checked, cheapest first, before the node is asked anything: (ImportOptions,
    moves, RPC URL, block). Raises ScenarioError naming the option and the rule."""
    from protocol_model.chain.import_command import ImportOptions, check_address, parse_move, parse_pairs

    cfg = _import_config(args.config, args.preset) if args.config else {}
    url, block = args.rpc or cfg.get("rpc"), args.block if args.block is not None else cfg.get("block")
    if not url:
        raise ScenarioError("--rpc: required (a JSON-RPC URL), or --config with a live-network file")
    address = args.address or cfg.get("address")
    if not address:
        raise ScenarioError(f"--address: required (the {args.preset} deployment's address)")
    from_block = args.from_block if args.from_block is not None else cfg.get("from_block") or 0
    if from_block < 0:
        raise ScenarioError(f"--from-block {from_block}: must be >= 0")
    markets = args.market or cfg.get("markets")
    if args.market and args.preset != "morpho-blue":
        raise ScenarioError(f"--market: only morpho-blue has markets (the preset is {args.preset})")
    for m in markets or ():
        if not (isinstance(m, str) and len(m) == 66 and m.startswith("0x")
                and all(c in "0123456789abcdefABCDEF" for c in m[2:])):
            raise ScenarioError(f"--market {m!r}: not a market id (0x followed by 64 hex digits)")
    decimals = {}
    for token, n in parse_pairs("--decimals", args.decimals or ()).items():
        if not n.isdigit() or int(n) > 77:
            raise ScenarioError(f"--decimals {token}={n}: must be a whole number 0..77")
        decimals[token] = int(n)
    labels = {check_address("--label", a): n for a, n in parse_pairs("--label", args.label or ()).items()}
    opts = ImportOptions(check_address("--address", address), from_block, tuple(markets) if markets else None,
                         labels, args.keeper and check_address("--keeper", args.keeper),
                         args.lens and check_address("--lens", args.lens), decimals, block)
    moves = [parse_move(m) for m in args.move or ()]
    twice = sorted({m.key for m in moves if [n.key for n in moves].count(m.key) > 1})
    if twice:
        raise ScenarioError(f"--move: {twice[0]} is moved twice (one price per asset or market)")
    return opts, moves, url, block


def _import(args: argparse.Namespace) -> int:
    """Read a deployment from a JSON-RPC node into its exact twin; summary, prediction, outputs (read-only)."""
    from protocol_model.chain.import_command import check_rpc, connected, run_import
    from protocol_model.chain.import_report import (
        SHOWN_PLACES,
        book_csv,
        prediction_lines,
        summary_lines,
        write_outputs,
    )
    from protocol_model.sim.output import atomic_dir, atomic_file, check_out

    opts, moves, url, block = _import_options(args)
    out = check_out(args.out or Path("out") / f"import_{args.preset}")
    if args.book_out is not None and (args.book_out.is_dir() or not args.book_out.absolute().parent.is_dir()):
        raise ScenarioError(f"--book-out {args.book_out}: must be a file path in an existing folder")
    check_rpc(url, block)
    with connected(url, block) as project:
        view = run_import(project, args.preset, opts, moves)
    book, skipped = book_csv(view) if args.book_out is not None else ("", {})
    with atomic_dir(out) as tmp:
        write_outputs(view, tmp)
    if args.book_out is not None:
        atomic_file(args.book_out, book)
    print("\n".join(summary_lines(view) + prediction_lines(view)))
    if args.book_out is not None:
        print(f"book: {args.book_out} ({len(view.positions) - len(skipped)} positions; left out: "
              f"{', '.join(f'{k} ({v})' for k, v in skipped.items()) or 'none'})")
    print(f"written: {out}/import.json, positions.csv{', liquidations.csv' if view.prediction else ''} (exact units; "
          f"amounts above are rounded to {SHOWN_PLACES} decimals)")
    return 0


def _add_import(sub, fmt) -> None:
    """The ``import`` subcommand's parser."""
    from protocol_model.chain.import_command import PRESETS

    i = sub.add_parser("import", formatter_class=fmt, help="read a deployed generic pool, Aave V3 pool or Morpho "
                       "Blue from a JSON-RPC node: summary, a price move's prediction, a lab book file",
                       description=(
                           "Read a deployment into its exact twin through any JSON-RPC node (read-only: nothing "
                           "is sent), print its reserves or markets, accounts, collateral, debt and health "
                           "factors; with --move predict who becomes liquidatable and what each liquidation "
                           "repays, seizes and writes off; with --book-out write the positions as a book file "
                           "for compare --book."))
    i.add_argument("preset", choices=PRESETS, help="the deployment's rule set")
    i.add_argument("--rpc", help="JSON-RPC URL (anvil, a fork, your own node); default: --config's")
    i.add_argument("--config", type=_path, help="a live-network file (config/live_mainnet.yaml): RPC URL from its "
                   "environment variable, block, address, log-scan start and markets")
    i.add_argument("--block", type=int, help="read at this block (through a local anvil forking the node there); "
                   "default: the node's head")
    i.add_argument("--address", help="the LendingPool, Aave V3 Pool, or Morpho singleton")
    i.add_argument("--from-block", type=int, help="first block of the account scan (the deployment block is "
                   "enough; default 0)")
    i.add_argument("--market", nargs="+", metavar="ID", help="morpho-blue: market ids (default: every created market)")
    i.add_argument("--move", nargs="+", metavar="ASSET=PRICE", help="price moves: ASSET=1500 (USD per token; "
                   "Morpho: MARKET=loan tokens per collateral token) or ASSET=-30%%")
    i.add_argument("--keeper", help="the liquidator's address, read from the chain (default: a keeper in the twin "
                   "only, with unlimited funds)")
    i.add_argument("--label", nargs="+", metavar="ADDR=NAME", help="names for accounts and tokens")
    i.add_argument("--decimals", nargs="+", metavar="TOKEN=N", help="decimals of tokens without decimals()")
    i.add_argument("--lens", help="aave-v3: an AaveV3Lens address (positions read 100 accounts a call; with --block "
                   "one is deployed on the local fork)")
    i.add_argument("--book-out", type=_path, help="write the indebted positions as a book file (compare --book)")
    i.add_argument("--out", type=_path, help="output folder (default: out/import_<preset>)")
    i.set_defaults(run=_import)


def _add_fuzz(p: argparse.ArgumentParser) -> None:
    from protocol_model.chain import fuzz_campaign

    fuzz_campaign.add_arguments(p)
    p.set_defaults(run=fuzz_campaign.main)


def _report(args: argparse.Namespace) -> int:
    from protocol_model.sim import report

    print(report.render(args.dir))
    return 0


def _formats(args: argparse.Namespace) -> int:
    from protocol_model.sim.formats import write_formats

    for path in write_formats(args.docs):
        print(f"wrote {path}")
    return 0


def _run_options(p: argparse.ArgumentParser, out_default: str) -> None:
    p.add_argument("file", type=_path, help="the file to run (checked first)")
    p.add_argument("--out", type=_path, help=f"output directory (default: {out_default})")
    p.add_argument("--paths", type=int, help="override the file's number of paths")
    p.add_argument("--workers", type=int, help="local worker processes (default: every core)")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): run the chunks there")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it shows on a terminal when a run takes more than ~2 s)")


def _path(text: str) -> Path:
    """A path option or argument; a NUL byte (no file system takes one) is a usage error, not a traceback."""
    if "\x00" in text:
        raise argparse.ArgumentTypeError(f"{text!r}: a path cannot hold a NUL byte")
    return Path(text)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (the rule and where to find the options)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per file kind's job, help on every option, defaults shown."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    ap = _Parser(prog="protocol-model", formatter_class=fmt, description=(
        "State a lending protocol once (protocols/*.yaml); check, simulate, sweep and play the files "
        "that refer to it."))
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = sub.add_parser("check", formatter_class=fmt, help="say which kind each file is and validate it with "
                       "everything it refers to", description="Validate files of any kind (protocol, story, "
                       "perp_story, simulation, sweep) with the files they refer to; exit 2 if any is bad.")
    c.add_argument("files", type=_path, nargs="+", metavar="FILE", help="files to check")
    c.set_defaults(run=_check)
    s = sub.add_parser("simulate", formatter_class=fmt, help="run one simulation file (Monte Carlo cascades)",
                       description="Run a simulation file and write a report (Markdown, HTML, charts, JSON).")
    _run_options(s, "out/<file stem>")
    s.set_defaults(run=_simulate)
    w = sub.add_parser("sweep", formatter_class=fmt, help="run a parameter sweep file",
                       description="Run every cell of a sweep file on the same seed and write a report.")
    _run_options(w, "out/<file stem>")
    w.set_defaults(run=_sweep)
    st = sub.add_parser("stablecoin", formatter_class=fmt, help="a simulation with stablecoins, as written and "
                        "without its redemption / wrong-way link (same seed)",
                        description="Compare a simulation file's stablecoin frictions on one seed.")
    _run_options(st, "out/<file stem>_stable")
    st.set_defaults(run=_stablecoin)
    y = sub.add_parser("story", formatter_class=fmt, help="play a story or perp story in the exact model",
                       description="Play a story (or perp story) step by step in the exact model and compare "
                       "each outcome with the file's expectation; exit 1 on a mismatch.")
    y.add_argument("file", type=_path, help="a story or perp story file (checked first)")
    y.add_argument("--chain", action="store_true", help="also play it on a local anvil started for this run "
                   "(free loopback port, stopped at the end), comparing model and chain after every step")
    y.set_defaults(run=_story)
    _add_compare(sub, fmt)
    _add_import(sub, fmt)
    o = sub.add_parser("optimise", formatter_class=fmt, help="recommend an asset's parameters under three risk "
                       "budgets: the frontier, the tables, the recommendations replayed on chain",
                       description="Search an optimisation file's parameters (differential evolution, scipy) for "
                       "the most borrowing capacity within each risk budget; write the frontier, the "
                       "conservative / moderate / aggressive tables, and replay each recommendation's worst paths "
                       "through the contracts (exit 1 on a disagreement).")
    _run_options(o, "out/optimise_<file stem>")
    o.add_argument("--verify-paths", type=int, help="worst paths of each recommendation replayed on chain "
                   "(default: the file's verify_paths; 0: none)")
    o.set_defaults(run=_optimise)
    z = sub.add_parser("fuzz", formatter_class=fmt, help="a long differential fuzz campaign, model vs in-process "
                       "chain (seeded, resumable, failures shrunk into scenarios/regressions/)",
                       description="Cross-check random operation sequences on the exact model and an in-process "
                       "chain after every operation, with the step properties (docs/fuzzing.md).")
    _add_fuzz(z)
    r = sub.add_parser("report", formatter_class=fmt, help="re-render report.md / report.html from an output "
                       "directory's JSON", description="Re-render the report of a simulate or sweep run.")
    r.add_argument("dir", type=_path, help="an output directory of simulate or sweep")
    r.set_defaults(run=_report)
    f = sub.add_parser("formats", formatter_class=fmt, help="regenerate the JSON Schemas and docs/formats.md",
                       description="Write docs/schemas/<kind>.json and docs/formats.md from the file models.")
    f.add_argument("--docs", type=_path, default=Path("docs"), help="the docs directory")
    f.set_defaults(run=_formats)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code: 2 for a bad file, option or output path (one line on
    stderr; nothing run or written), 1 for a file-system error while writing, 130 when interrupted (an
    output folder is then left as it was: outputs are replaced atomically)."""
    args = parser().parse_args(argv)  # SystemExit: --help (0) or a usage error, printed on one line (2)
    try:
        return int(args.run(args))
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: no output was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
