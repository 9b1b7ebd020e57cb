"""Command line: ``python -m geo <command>`` (or ``geo <command>``).

A thin layer over the library. User errors (``GeoError``) print one line and exit 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.errors import GeoError

DEFAULT_SCENARIO = "data/scenarios/national.yaml"


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML (default: %(default)s)")
    p.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario>)")
    p.add_argument("--maps-dir", type=Path, help="map folder (default: maps/<scenario>)")


def _stage_command(stage: str):
    def command(args) -> int:
        from geo import pipeline

        result = pipeline.run(args.scenario, until=stage or pipeline.STAGES[-1], out=args.out,
                              maps_dir=args.maps_dir)
        print(f"wrote {result.out}")
        if result.hubs is not None:
            from geo.regions import unit_attributes

            full = unit_attributes()["full_name_ko"]
            h = result.hubs
            print("hubs: " + ", ".join(f"{rank}. {full.get(code, name)} ({code})"
                                       for code, rank, name in zip(h.index, h["hub_rank"], h["name_ko"])))
        if result.maps is not None and (result.maps / "index.html").exists():
            print(f"maps: {result.maps / 'index.html'}")
        secs = result.seconds
        if secs:
            wall = result.wall_seconds if result.wall_seconds is not None else sum(secs.values())
            print(f"done: {len(secs)} stages in {wall:.1f} s ("
                  + ", ".join(f"{k} {v:.1f} s" for k, v in secs.items()) + ")")
        return 0

    return command


def cmd_translate(args) -> int:
    from geo.codes import translate_many

    values = list(args.values)
    if args.file:
        from geo.userdata import read_column

        values += read_column(args.file, args.column)
    table = translate_many(values, sido=args.sido)
    # the library's hints name its keyword (sido=); here the option is --sido
    table["message"] = table["message"].str.replace(r"\bsido=", "--sido", regex=True)
    cols = ["input", "region_code", "name_ko", "relation", "system", "candidates", "message"]
    print(table[cols].to_csv(index=False, lineterminator="\n"), end="")
    return 0 if table["region_code"].notna().all() else 1


def cmd_compare(args) -> int:
    from geo.compare import compare

    from geo.config import OUTPUTS_DIR

    out = args.out or OUTPUTS_DIR / "compare"
    s = compare(args.a, args.b, out=out, draws=args.draws)
    print(f"{s['a']} vs {s['b']}: Spearman rank correlation {s['spearman']:.3f}, "
          f"top-10 overlap {s['top_overlap']}")
    if s.get("hubs_kept") is not None:
        from geo.regions import unit_attributes

        names = unit_attributes()["full_name_ko"]

        def label(codes):
            return ", ".join(f"{names.get(c, c)} ({c})" for c in codes) or "-"

        print(f"hubs kept: {label(s['hubs_kept'])}\nadded: {label(s['hubs_added'])}\n"
              f"dropped: {label(s['hubs_dropped'])}")
    print(f"wrote {s['table']} and {s['chart']}")
    return 0


def cmd_monitor(args) -> int:
    from geo.errors import InputError
    from geo.monitor import monitor, write_monitor
    from geo.pipeline import load

    from geo.config import MAPS_DIR, OUTPUTS_DIR
    from geo.io import check_targets

    sc = load(args.scenario)
    tables = []
    for spec in args.kosis or []:
        ident, sep, path = spec.partition("=")
        if not sep or not ident or not path:
            raise InputError("bad --kosis value", column="--kosis", expected="ID=FILE, e.g. establishments=kosis.csv",
                             got=spec)
        tables.append({"path": path, "indicator": ident, "item": args.kosis_item,
                       "merge": "sum" if args.kosis_merge_sum else None})
    treated = [c.strip() for t in (args.treated or []) for c in t.split(",") if c.strip()]
    if args.start_year is not None and not treated:
        raise InputError("--start-year needs --treated", column="--start-year",
                         expected="treated regions with their start year", got=args.start_year)
    out = args.out or OUTPUTS_DIR / f"{sc.name}-monitor"
    maps = args.maps_dir or MAPS_DIR / sc.name
    check_targets(out, maps, replace_maps=False)  # before the work, as a run does
    m = monitor(sc, treated=treated or None, start_year=args.start_year, user_tables=tables,
                k=args.neighbours, draws=args.draws)
    write_monitor(m, out, maps_dir=maps)
    b, d = m.backtest.summary, m.did.summary()
    print(f"panel: {len(m.panel)} values, {m.panel['series'].nunique()} series")
    print(f"backtest ({b['need_column']} vs KOSIS manufacturing change 2020→2022, {b['regions']} regions): "
          f"Spearman {b['spearman']:.3f}; top-decile need regions that kept declining "
          f"{b['top_decile_kept_declining']}/{b['top_decile_declined_before']}")
    print(f"difference in differences ({d['n_treated']} treated, {d['series']} {d['pre']}→{d['post']}): "
          f"{d['estimate']:.2f} log points, placebo interval {d['interval_low']:.2f} to {d['interval_high']:.2f}")
    print(f"wrote {out}\nmaps: {maps / 'monitor.html'}")
    return 0


def _add_monitor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML (default: %(default)s)")
    p.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario>-monitor)")
    p.add_argument("--maps-dir", type=Path, help="folder of monitor.html (default: maps/<scenario>)")
    p.add_argument("--treated", action="append",
                   help="treated regions instead of the hubs (codes of any vintage or names, comma-separated)")
    p.add_argument("--start-year", type=int, help="year the treatment started (with --treated; default 2021)")
    p.add_argument("--kosis", action="append", metavar="ID=FILE", help="a newer KOSIS 시군구 table (repeatable)")
    p.add_argument("--kosis-item", help="item (항목) to read from the --kosis tables")
    p.add_argument("--kosis-merge-sum", action="store_true",
                   help="add rows that land on one analysis unit (e.g. 구 of a city)")
    p.add_argument("--neighbours", type=int, default=3, help="comparison regions per treated one (default: 3)")
    p.add_argument("--draws", type=int, default=999, help="placebo draws (default: 999)")


def cmd_catalogue(args) -> int:
    from geo import catalogue

    if args.update:
        print(f"filled {catalogue.update_checksums()} entries")
    report = catalogue.verify()
    bad = report[report["status"] != "ok"]
    for _, r in bad.iterrows():
        print(f"{r['status']}: {r['path']}: {r['detail']}")
    print(f"{len(report) - len(bad)} ok, {len(bad)} problem(s)")
    return 1 if len(bad) else 0


COMMANDS = [
    # name, help, example, function, extra-args
    ("run", "run every stage for a scenario: outputs/<scenario>/ and maps/<scenario>/",
     "python -m geo run --scenario data/scenarios/national.yaml", _stage_command(None), _add_run_args),
    ("regions", "build the analysis units and write regions.gpkg",
     "python -m geo regions --scenario data/scenarios/national.yaml", _stage_command("regions"), _add_run_args),
    ("indicators", "build the indicator tables: indicators.csv, indicator_metadata.csv, match_report.csv",
     "python -m geo indicators --scenario data/scenarios/national.yaml", _stage_command("indicators"), _add_run_args),
    ("network", "build the region network and its centralities: centrality.csv, hot spots",
     "python -m geo network --scenario data/scenarios/national.yaml", _stage_command("network"), _add_run_args),
    ("score", "need and capability indices with Monte Carlo rank intervals and tiers: scores.csv, sensitivity.csv",
     "python -m geo score --scenario data/scenarios/need_first.yaml", _stage_command("scoring"), _add_run_args),
    ("hubs", "site the hubs and assign spokes: hubs.csv, assignments.csv",
     "python -m geo hubs --scenario data/scenarios/national.yaml", _stage_command("siting"), _add_run_args),
    ("plan", "the network plan: hub themes, hub-to-hub links, organisations (network_plan.csv, organisations.csv)",
     "python -m geo plan --scenario data/scenarios/national.yaml", _stage_command("plan"), _add_run_args),
    ("maps", "write the offline HTML maps to maps/<scenario>/",
     "python -m geo maps --scenario data/scenarios/national.yaml", _stage_command("maps"), _add_run_args),
    ("report", "write the committee pack: hub_candidates.xlsx, report.html, report.pdf",
     "python -m geo report --scenario data/scenarios/national.yaml", _stage_command("report"), _add_run_args),
    ("compare", "compare two scenarios: rank and hub changes (table and chart)",
     "python -m geo compare data/scenarios/national.yaml data/scenarios/need_first.yaml", cmd_compare, None),
    ("monitor", "outcome monitoring: every vintage on the units, hub catchments before/after, need-index backtest",
     "python -m geo monitor --scenario data/scenarios/national.yaml", cmd_monitor, _add_monitor_args),
    ("translate", "map region codes or names of any vintage to the 229 analysis units",
     'python -m geo translate 47720 "경북 군위군" 청원군 28170', cmd_translate, None),
    ("catalogue", "verify the shipped data files against data/catalogue.csv",
     "python -m geo catalogue", cmd_catalogue, None),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geo",
        description="Hub siting for Korea's manufacturing-innovation network.",
        epilog="example:\n  python -m geo run --scenario data/scenarios/national.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_, example, func, extra in COMMANDS:
        p = sub.add_parser(name, help=help_, description=help_, epilog=f"example:\n  {example}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        if extra:
            extra(p)
        p.set_defaults(func=func)
    tr = sub.choices["translate"]
    tr.add_argument("values", nargs="*", help="codes or names")
    tr.add_argument("--file", help="CSV file with a column of codes or names")
    tr.add_argument("--column", default="region", help="column of --file (default: %(default)s)")
    tr.add_argument("--sido", help="시도 to resolve names such as 중구")
    cp = sub.choices["compare"]
    cp.add_argument("a", help="scenario A (YAML)")
    cp.add_argument("b", help="scenario B (YAML)")
    cp.add_argument("--out", type=Path, help="output folder (default: outputs/compare)")
    cp.add_argument("--draws", type=int, help="Monte Carlo draws for both (default: each scenario's own)")
    sub.choices["catalogue"].add_argument("--update", action="store_true",
                                          help="fill empty sha256/rows fields (maintainers)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) == "translate" and not args.values and not args.file:
        parser.error("translate: give codes/names or --file")
    try:
        return args.func(args)
    except GeoError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # permission denied, read-only, disk full: name the path, no traceback
        if args.debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console() -> None:
    """``geo`` and ``python -m geo`` as a program: :func:`main`, then exit at once.

    Freeing a national run's objects one by one at interpreter exit takes most of a second;
    every file is written and closed by then, so once the threads still cleaning up (the PDF
    printer's profile folder) are done, the process leaves without that teardown.
    """
    import os
    import threading

    rc = main()
    for t in threading.enumerate():
        if t is not threading.main_thread() and not t.daemon:
            t.join()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)


if __name__ == "__main__":
    console()
