"""The `relief` command (docs/cli.md): parse, call, print.

Each command is one `cmd_*` function; the work lives in the modules they call.
Heavy imports (Prefect above all) happen inside the command that needs them, so
interactive commands stay fast and never start Prefect.
Exit status: 0 success; 1 the work ran but something was refused or failed;
2 bad usage (argparse's own).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines import __version__, contract, options
from pipelines.config import Home, InstallIncomplete


class CommandError(Exception):
    """A failure to report in one line and exit 1 (no traceback)."""


def _print_json(value) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


# --- ingest ----------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace, home: Home) -> int:
    from pipelines import ingest

    results = ingest.ingest_paths(
        home, args.paths, source=args.source, progress=not args.json and sys.stderr.isatty()
    )
    if args.json:
        _print_json([r.as_json() for r in results])
    else:
        for r in results:
            print(r.summary_line())
    return 1 if any(r.status == "refused" for r in results) else 0


# --- run -------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, home: Home) -> int:
    from pipelines import run_command

    outcome = run_command.run(home, cases=args.cases, seed=args.seed,
                              task_runner=args.task_runner, dask_address=args.dask_address)
    for line in run_command.error_lines(outcome):
        print(line, file=sys.stderr)
    if args.json:
        _print_json(outcome)
    else:
        for line in run_command.lines(outcome):
            print(line)
    return 0 if outcome["ok"] else 1


# --- synth -----------------------------------------------------------------------


def _synth_stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv", ".parquet"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _progress_bar(total: int):
    """A rich progress bar on a terminal (stderr), else nothing."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("synthesising cases", total=total)
    return bar, (lambda rows: bar.advance(task, rows))


def _write_synth(home: Home, *, cases: int, seed: int, out: str | None, truth: str | None,
                 lang: str, updates_of: str | None) -> dict[str, str]:
    """`relief synth`: cases (default home.inbox/synthetic-seed<S>-<N>.csv), or with
    updates_of an update batch of that file (default home.inbox/<stem>-update<ext>).
    With updates_of, the seed comes from the earlier file's case_ids."""
    from pipelines import synth

    if updates_of is not None:
        if truth is not None:
            raise ValueError("--truth applies to new cases; an update batch re-states the truth "
                             "of the earlier file's cases unchanged")
        earlier = Path(updates_of)
        ext = earlier.name[len(_synth_stem(earlier)):]
        target = Path(out) if out else home.inbox / f"{_synth_stem(earlier)}-update{ext}"
        return synth.write_updates(earlier, target, None,
                                   lang=lang if lang != "en" else None)
    target = Path(out) if out else home.inbox / f"synthetic-seed{seed}-{cases}.csv"
    bar, advance = _progress_bar(cases)
    if bar is None:
        return synth.write_cases(target, cases, seed, lang, Path(truth) if truth else None)
    with bar:
        return synth.write_cases(target, cases, seed, lang, Path(truth) if truth else None, advance)


def cmd_synth(args: argparse.Namespace, home: Home) -> int:
    if args.cases is None and args.updates_of is None:
        print("relief synth: error: --cases is required (unless --updates-of)", file=sys.stderr)
        return 2
    try:
        written = _write_synth(
            home, cases=args.cases, seed=args.seed, out=args.out, truth=args.truth,
            lang=args.lang, updates_of=args.updates_of,
        )
    except (ValueError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        _print_json(written)
    else:
        for key, path in written.items():
            print(f"{key}: {path}")
    return 0


# --- stats -----------------------------------------------------------------------


def cmd_stats(args: argparse.Namespace, home: Home) -> int:
    from pipelines import stats, warehouse

    try:
        month = stats.parse_month(args.month) if args.month else None
        if args.by is not None:
            stats.check_segment(args.by)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    # Re-materializes the marts and republishes when the cases changed and no
    # writer is busy; otherwise the last published copy is already current.
    refreshed = stats.refresh(home)
    if not refreshed:
        print("relief stats: reading the last published analysts' database", file=sys.stderr)
    try:
        con = warehouse.connect_analysts(home)
    except warehouse.NoAnalystsDatabase as exc:
        raise CommandError(str(exc)) from None
    try:
        frame = stats.outcome_table(con, by=args.by, month=month)
        display = None if args.json else stats.outcome_display(con, frame, args.by, month)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        con.close()
    if args.json:
        _print_json(stats.frame_records(frame))
    else:
        display.print()
    return 0


# --- sql -------------------------------------------------------------------------


def cmd_sql(args: argparse.Namespace, home: Home) -> int:
    from pipelines import stats, warehouse

    try:
        frame = stats.run_read_only(home, args.query)
    except (stats.ReadOnlyQueryRefused, warehouse.NoAnalystsDatabase) as exc:
        raise CommandError(str(exc)) from None
    output = "json" if args.json else args.format
    if output == "json":
        _print_json(stats.frame_records(frame))
    elif output == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        stats.query_display(frame).print()
    return 0


# --- train -----------------------------------------------------------------------


def cmd_train(args: argparse.Namespace, home: Home) -> int:
    from pipelines import warehouse
    from pipelines.approval import train

    try:
        result = train.train_and_maybe_promote(home, force=args.force)
    except (train.TrainingError, warehouse.NoAnalystsDatabase) as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        _print_json(result)
        return 0
    print(f"model {result['version']} ({result['chosen']}), trained on "
          f"{result['trained_on']['cases']} cases {result['trained_on']['from']} to "
          f"{result['trained_on']['to']} in {result['seconds']} s")
    for name, c in result["metrics"]["candidates"].items():
        o = c["metrics"]["overall"]
        auc = "n/a" if o["roc_auc"] is None else f"{o['roc_auc']:.3f}"
        print(f"  {name:<20} holdout log loss {o['log_loss']:.4f}  ROC AUC {auc}  "
              f"Brier {o['brier']:.4f}  ECE {o['ece']:.4f}  ({c['calibration']})")
    if result["dropped_features"]:
        print("  not used (no information in the training data): "
              + "; ".join(f"{k} ({v})" for k, v in result["dropped_features"].items()))
    print(("promoted: " if result["promoted"] else "not promoted: ") + result["reason"])
    return 0


# --- guide -----------------------------------------------------------------------


def cmd_guide(args: argparse.Namespace, home: Home) -> int:
    from pipelines.approval import guide, profiles, registry

    profile = {name: getattr(args, name, None) for name in options.CASE_OPTIONS}
    try:
        if args.profiles is not None:
            answers = guide.expectations_for_rows(home, profiles.read_profiles(args.profiles),
                                                  args.lang, criteria=not args.json)
        elif profile["route"] is None or profile["product"] is None:
            print("relief guide: error: --route and --product are required (or --profiles FILE)",
                  file=sys.stderr)
            return 2
        else:
            answers = [guide.expectations(home, profile, args.lang, criteria=not args.json)]
    except (registry.NoModel, profiles.ProfileError) as exc:
        raise CommandError(str(exc)) from None
    if args.json and args.profiles is None:
        _print_json(answers[0])
    elif args.json:  # a list, one compact object a line: indented JSON encodes 10x slower
        sys.stdout.write("[\n" + ",\n".join(json.dumps(a, ensure_ascii=False) for a in answers)
                         + "\n]\n")
    if args.json:
        return 0
    for answer in answers:
        if args.profiles is not None:
            print(f"== {answer['case_id'] or '(no case_id)'}")
        print(f"  error: {answer['error']}" if "error" in answer else guide.render(answer, args.lang))
    return 0


# --- report ----------------------------------------------------------------------


def cmd_report(args: argparse.Namespace, home: Home) -> int:
    from pipelines.report.build import ReportError, build_report

    try:
        path = build_report(home, args.period, args.lang)
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        _print_json({"report": str(path)})
    else:
        print(path)
    return 0


# --- serve -----------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, home: Home) -> int:
    from pipelines import deployments

    try:
        deployments.serve(home, port=args.port)
    except deployments.ServeError as exc:
        raise CommandError(str(exc)) from None
    return 0


# --- parser ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    # --home is accepted before or after the command name (CLI.md).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", default=argparse.SUPPRESS,
                        help="the relief home (default: $RELIEF_HOME or the current directory)")
    printing = argparse.ArgumentParser(add_help=False)
    printing.add_argument("--json", action="store_true", help="machine-readable output on stdout")

    parser = argparse.ArgumentParser(prog="relief", parents=[common],
                                     description="relief: outcomes of requests for debt relief")
    parser.add_argument("--version", action="version", version=f"relief {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable, help_: str, prints: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common, printing] if prints else [common], help=help_,
                           description=help_)
        p.set_defaults(func=func)
        return p

    p = add("run", cmd_run, "the main job: synthesize if empty, ingest, stats, train, report, publish")
    p.add_argument("--cases", type=options.cases, default=200_000,
                   help="synthetic cases to generate on a home with no cases (default 200000)")
    p.add_argument("--seed", type=options.seed, default=20250101)
    p.add_argument("--task-runner", choices=["serial", "dask"], default="serial")
    p.add_argument("--dask-address", default=None, help="a running Dask scheduler (default: a LocalCluster)")

    p = add("synth", cmd_synth, "write synthetic case records with known truth")
    p.add_argument("--cases", type=options.cases, default=None, help="required unless --updates-of")
    p.add_argument("--seed", type=options.seed, default=20250101)
    p.add_argument("--out", type=options.synthetic_file, default=None, help="CSV or Parquet by extension (default data/inbox/synthetic-seed<S>-<N>.csv)")
    p.add_argument("--truth", type=options.synthetic_file, default=None, help="also write each case's true approval probability")
    p.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="zh: Chinese headers and labels, GB18030, as a lender's Excel export")
    p.add_argument("--updates-of", default=None,
                   help="write a later batch updating the cases of this earlier synthetic file")

    p = add("ingest", cmd_ingest, "load case files or folders")
    p.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    p.add_argument("--source", choices=["auto", "canonical", "cfpb"], default="auto")

    p = add("stats", cmd_stats, "refresh and print the outcome statistics per route")
    p.add_argument("--by", type=options.segment, default=None,
                   help="a segment: " + ", ".join(contract.SEGMENTS))
    p.add_argument("--month", type=options.month, default=None, help="YYYY-MM")

    p = add("train", cmd_train, "train, evaluate and (if not worse) promote a model")
    p.add_argument("--force", action="store_true", help="promote even if worse than the current model")

    p = add("guide", cmd_guide, "realistic expectations for one profile, or for each row of a file")
    p.add_argument("--profiles", metavar="FILE", default=None,
                   help="answer each row of a CSV or JSON Lines file in the contract's column "
                        "names (route and product required; case_id echoed)")
    for name in options.CASE_OPTIONS:
        p.add_argument("--" + name.replace("_", "-"), type=options.case_value(name),
                       metavar=options.case_metavar(name), help=options.case_help(name))
    p.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="language of the printed text, factors and warnings (summary: both)")

    p = add("report", cmd_report, "write the periodic report")
    p.add_argument("--period", type=options.period, default=None,
                   help="YYYY-MM or YYYY-Qn (default: the latest complete month not provisional, "
                        "i.e. with at most 5%% of its non-withdrawn requests pending)")
    p.add_argument("--lang", choices=["en", "zh", "both"], default="both")

    p = add("sql", cmd_sql, "a read-only query on the analysts' database")
    p.add_argument("query", metavar="QUERY", help="one read-only SQL query")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = add("serve", cmd_serve, "run the schedules (Prefect deployments) until stopped", prints=False)
    p.add_argument("--port", type=options.port, default=None,
                   help="the local Prefect server's port when PREFECT_API_URL is not set "
                        "(default 4200, or the next free one)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except BrokenPipeError:  # --help into a closed pipe
        return _stdout_closed()
    home = Home.resolve(getattr(args, "home", None))
    if not hasattr(args, "json"):
        args.json = False
    try:
        code = args.func(args, home)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return code
    except (CommandError, InstallIncomplete) as exc:
        print(f"relief {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except Exception as exc:
        from pipelines.warehouse import WriterBusy  # already imported if it was raised

        if isinstance(exc, WriterBusy):
            print(f"relief {args.command}: {exc}", file=sys.stderr)
            return 1
        if os.environ.get("RELIEF_TRACEBACK"):
            raise
        # Never a traceback for a user (CLI.md); RELIEF_TRACEBACK=1 shows it.
        first = (str(exc).splitlines() or [""])[0]
        print(f"relief {args.command}: failed: {type(exc).__name__}: {first} "
              "(RELIEF_TRACEBACK=1 shows where)", file=sys.stderr)
        return 1


def _stdout_closed() -> int:
    """The reader of stdout went away (`relief stats --json | head`): end quietly, with
    stdout pointed at /dev/null so the interpreter's last flush cannot fail too."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


if __name__ == "__main__":
    sys.exit(main())
