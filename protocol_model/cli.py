"""``python -m protocol_model simulate|sweep|report`` (also installed as ``protocol-lab``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="protocol-lab", description="Risk lab: Monte Carlo liquidation cascades.")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, helptext in (("simulate", "run one simulation file"), ("sweep", "run a parameter sweep file")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("file", type=Path)
        p.add_argument("--out", type=Path, help="output directory (default: out/<file stem>)")
        p.add_argument("--paths", type=int, help="override the number of paths")
        p.add_argument("--workers", type=int, help="local worker processes (default: every core)")
        p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): run the chunks there")
        p.add_argument("--no-progress", action="store_true")
    st = sub.add_parser("stablecoin", help="a simulation file with stablecoins, as written and without its "
                                           "redemption / wrong-way link (same seed)")
    st.add_argument("file", type=Path)
    st.add_argument("--out", type=Path, help="output directory (default: out/<file stem>_stable)")
    st.add_argument("--paths", type=int, help="override the number of paths")
    st.add_argument("--workers", type=int, help="local worker processes (default: every core)")
    st.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): run the chunks there")
    st.add_argument("--no-progress", action="store_true")
    r = sub.add_parser("report", help="re-render report.md / report.html from an output directory's JSON")
    r.add_argument("dir", type=Path)
    args = ap.parse_args(argv)

    from protocol_model.sim import report
    from protocol_model.sim.spec import LabSpecError, load_simulation, load_sweep

    try:
        if args.command == "report":
            print(report.render(args.dir))
            return 0
        if args.command == "stablecoin":
            from protocol_model.sim.stable_spec import compare, write

            spec = load_simulation(args.file)
            rows = compare(spec, paths=args.paths, workers=args.workers, scheduler=args.scheduler,
                           progress=not args.no_progress, source=str(args.file))
            path = write(rows, spec, args.out or Path("out") / f"{args.file.stem}_stable", str(args.file))
            for row in rows:
                print(f"{row['variant']:>18}: P(bad debt) {row['bad_debt_probability']:.1%}, bad debt VaR99 "
                      f"${row['bad_debt_var99_usd']:,.0f}, CVaR99 ${row['bad_debt_cvar99_usd']:,.0f}, "
                      f"{row['liquidation_count_mean']:.1f} liquidations per path")
            print(f"report: {path}")
            return 0
        out = args.out or Path("out") / args.file.stem
        started = time.perf_counter()
        if args.command == "simulate":
            from protocol_model.sim.run import simulate

            spec = load_simulation(args.file)
            sim = simulate(spec, paths=args.paths, workers=args.workers, scheduler=args.scheduler,
                           progress=not args.no_progress, record_series=True)
            path = report.write_simulation(sim, out, str(args.file))
            s = sim.summary()
            print(f"{spec.name}: {sim.job.n_paths} paths; bad debt VaR99 ${s['bad_debt_var99_usd']:,.0f}, "
                  f"CVaR99 ${s['bad_debt_cvar99_usd']:,.0f}, P(bad debt) {s['bad_debt_probability']:.1%}")
        else:
            from protocol_model.sim.sweep import run_sweep

            sweep, spec = load_sweep(args.file)
            if args.paths:
                sweep = sweep.model_copy(update={"paths": args.paths})
            swept = run_sweep(sweep, spec, workers=args.workers, scheduler=args.scheduler,
                              progress=not args.no_progress)
            path = report.write_sweep(swept, out, str(args.file))
            print(f"{sweep.name}: {len(swept.rows)} cells")
        print(f"report: {path}  ({time.perf_counter() - started:.1f} s)")
        return 0
    except (LabSpecError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
