#!/usr/bin/env python3
"""hunt against DuckDB on the ten benchmark queries, on the same Parquet files (issue 10).

Exports the lab (`hunt lab export --tables DeviceProcessEvents,DeviceNetworkEvents`, default
scale 2364: 10.6 million process events, and the network events that go with them, 11.6
million) to Parquet, then for each pair `q_X.kql` / `q_X.sql` of ../shared/bench times:

- warm, in process: hunt through `benches/engine.rs` (`cargo bench --bench engine`: the files
  opened once with `LocalEngine::files`, as `hunt run --data` opens them, each query run once to
  warm up and `--repeat` more times) and DuckDB through `duckdb.connect()` with a view over each
  file (also warmed once, then `--repeat` runs); the median of each. Each run is the whole query
  to a finished result in memory (hunt's result set, DuckDB's Arrow table).
- whole process: `hunt run --data DIR QUERY --format jsonl` and a fresh Python child that
  imports duckdb, makes the views and has DuckDB write the SQL's rows as JSON lines (`COPY …
  TO '/dev/stdout' (FORMAT json)`); wall time from start to exit
  (the median of `--whole` runs) and the peak RSS of the process (`/usr/bin/time -f %M`; the
  DuckDB child's includes its Python, whose bare start and `import duckdb` are shown apart).

and checks that the answers agree with `agree.py`'s comparison (imported, not copied; each in a
child process, stopped should the machine run low on memory: then the query shows `?`). It also
exports DeviceProcessEvents as JSON lines at a scale giving about 1 GB (`--jsonl-gb`) and times
`hunt run --data FOLDER 'DeviceProcessEvents | take 100'` from start to its output (the target is
under 1 s). Exports are cached: a folder whose `FOLDER.export.json` beside it names the same
scale, end, tables and format is used as it is (delete the folder after changing the lab's generator).

    python3 benches/speed.py                      # after cargo build --release
    python3 benches/speed.py --scale 50 --only a,b --repeat 3 --whole 1

It prints one table: per query the warm medians in ms, their ratio hunt/DuckDB, the same for
whole processes, the peak MB of each whole process, the rows and whether the answers agree; then
the geometric mean of each ratio column and the open time. Exit 1 when any answer disagrees or
could not be compared, 2 when it could not run. The figures are also written to
`figures-scale-N.json` in the data folder before the comparisons. Not in CI: the export and the runs take minutes and GBs. Timings are of
the machine as it is: close other work (builds) first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agree  # noqa: E402  (beside this script; its comparison is the one of record)

DEFAULT_SCALE = 2364  # 10,587,761 DeviceProcessEvents and 11,581,940 DeviceNetworkEvents

# The DuckDB whole-process child: views over the Parquet files, the query, the rows as JSON
# lines on stdout written by DuckDB itself (`COPY … (FORMAT json)`), as `hunt run --format jsonl`
# prints its answer. (Python's fetchall and json would time Python, not DuckDB: q_g's 4 million
# rows took 40 s that way.)
DUCK_CHILD = r"""
import sys, duckdb
data, tables, sql = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for t in tables:
    path = (data + "/" + t + ".parquet").replace("'", "''")
    con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}')")
sql = sql.strip().rstrip(";")
con.execute(f"COPY ({sql}) TO '/dev/stdout' (FORMAT json)")
"""

# The comparison of an answer runs in a child process of its own, stopped when the machine's
# available memory falls below this: agree.py holds both answers as Python values, and a query
# with millions of rows (q_g at scale 2364: 4 million) can take more than the machine has.
MEMORY_FLOOR = 3 * 1024**3


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def run_measured(command: list[str]) -> tuple[float, float, int, str, int]:
    """Runs `command` to its end: (wall seconds, peak RSS in MB, exit code, stderr, lines of
    stdout). Its stdout goes to a scratch file, only counted. The peak comes from
    `/usr/bin/time -f %M` around it, not from this process's wait4: Linux carries the high-water
    RSS of the forking process over exec, and this one (with DuckDB and pyarrow loaded) is
    larger than some children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with tempfile.NamedTemporaryFile(mode="r") as peak:
            started = time.monotonic()
            code = subprocess.call(
                ["/usr/bin/time", "-f", "%M", "-o", peak.name, *command], stdout=out, stderr=err
            )
            elapsed = time.monotonic() - started
            kilobytes = peak.read().strip().splitlines()
        err.seek(0)
        text = err.read().decode(errors="replace")
        out.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
        try:
            mb = int(kilobytes[-1]) / 1024
        except (IndexError, ValueError):
            mb = math.nan
        return elapsed, mb, code, text, lines


def available_memory() -> int:
    """MemAvailable of /proc/meminfo in bytes (a large number where there is none)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 1 << 62


def compare_apart(q: str, args) -> agree.Outcome:
    """agree.compare for one query in a child process (`--compare Q`), stopped when the
    machine runs low on memory (then the outcome says so and does not agree)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--compare", q]
    command += ["--scale", str(args.scale), "--lab-now", args.lab_now, "--data", str(args.data)]
    command += ["--bench", str(args.bench), "--hunt", str(args.hunt)]
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        stopped = False
        while child.poll() is None:
            if available_memory() < MEMORY_FLOOR:
                child.kill()
                child.wait()
                stopped = True
                break
            time.sleep(0.2)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if stopped:
        return agree.Outcome(
            q, note="not compared: comparing the answers in Python ran the machine low on memory"
        )
    try:
        return agree.Outcome(**json.loads(text))
    except (ValueError, TypeError):
        return agree.Outcome(q, note=f"not compared: the comparison failed ({text.strip()[:200]})")


def compare_here(q: str, args) -> int:
    """The child of `compare_apart`: prints agree.compare's outcome as JSON."""
    data = args.data / f"parquet-scale-{args.scale}"
    args.hunt_data, args.timespan = data, None
    duck = agree.Duck(data)
    # DuckDB's share of the comparison's memory (its default is 80% of the machine).
    duck.con.execute("SET memory_limit = '4GB'")
    outcome = agree.compare(q, args.hunt.resolve(), args.bench, duck, args)
    print(json.dumps(outcome.__dict__))
    return 0


def output_of(command: list[str]) -> tuple[float, bytes]:
    """(seconds from start to the end of the output, the output) of a command."""
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {done.returncode}: {done.stderr.decode()[:400]}")
    return elapsed, done.stdout


def export(hunt: Path, folder: Path, scale: int, lab_now: str, tables: list[str], fmt: str):
    """`hunt lab export` into `folder`, unless it already holds that export. Returns a line
    saying what was done (with the export's time and peak memory when it ran)."""
    # Beside the folder, not in it: `hunt run --data` would take a file in it for a table.
    marker = folder.parent / f"{folder.name}.export.json"
    wanted = {"scale": scale, "lab_now": lab_now, "tables": tables, "format": fmt}
    try:
        if json.loads(marker.read_text()) == wanted:
            return f"{folder}: cached export (scale {scale}, {fmt})"
    except (OSError, ValueError):
        pass
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    command = [str(hunt), "lab", "export", str(folder), "--format", fmt, "--scale", str(scale)]
    command += ["--lab-now", lab_now, "--tables", ",".join(tables)]
    seconds, peak, code, err, _ = run_measured(command)
    if code != 0:
        raise RuntimeError(f"hunt lab export failed: {err.strip()[:400]}")
    marker.write_text(json.dumps(wanted))
    return f"{folder}: exported scale {scale} {fmt} in {seconds:.0f} s, peak {peak:.0f} MB ({err.strip()})"


def engine_bench(args) -> Path:
    """The benches/engine.rs binary: built (or found up to date) by cargo, its path from cargo's
    JSON messages."""
    if args.engine_bench:
        return args.engine_bench
    command = [*shlex.split(args.cargo), "bench", "--bench", "engine", "--no-run"]
    command.append("--message-format=json")
    done = subprocess.run(command, capture_output=True, text=True, cwd=agree.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"building benches/engine.rs failed: {done.stderr.strip()[-800:]}")
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("target", {}).get("name") == "engine" and message.get("executable"):
            return Path(message["executable"])
    raise RuntimeError("cargo built no benches/engine.rs executable")


def hunt_warm(binary: Path, data: Path, args, queries: list[str]) -> dict:
    """{query: median ms or an error text} from benches/engine.rs."""
    command = [str(binary), "--data", str(data), "--queries", str(args.bench)]
    command += ["--repeat", str(args.repeat), "--only", ",".join(queries)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benches/engine.rs failed: {done.stderr.strip()[:400]}")
    out = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        out[row["query"]] = row.get("median_ms", row.get("error"))
    return out


def duck_warm(data: Path, args, queries: list[str]) -> dict:
    """{query: median ms} of DuckDB in this process (one connection, views over the files)."""
    duck = agree.Duck(data)
    out = {}
    for q in queries:
        sql = (args.bench / f"q_{q}.sql").read_text()
        runs = []
        for run in range(args.repeat + 1):
            started = time.perf_counter()
            relation = duck.con.sql(sql)
            fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
            fetch()
            if run > 0:  # the first run warms up
                runs.append((time.perf_counter() - started) * 1000)
        out[q] = median(runs)
    duck.con.close()
    return out


def whole(command: list[str], runs: int) -> tuple[float, float, str | None, int]:
    """(median wall ms, highest peak MB, error, lines of output) of `runs` fresh processes."""
    times, peaks, lines = [], [], 0
    for _ in range(runs):
        seconds, peak, code, err, lines = run_measured(command)
        if code != 0:
            return math.nan, math.nan, f"exit {code}: {err.strip()[:300]}", 0
        times.append(seconds * 1000)
        peaks.append(peak)
    return median(times), max(peaks), None, lines


def ratio(a, b) -> float:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0 and a == a:
        return a / b
    return math.nan


def geomean(values: list[float]) -> float:
    good = [v for v in values if v == v and v > 0]
    return math.exp(sum(map(math.log, good)) / len(good)) if good else math.nan


def cell(value, digits: int = 0) -> str:
    if isinstance(value, (int, float)) and value == value:
        return f"{value:.{digits}f}"
    return "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hunt", type=Path, help="the hunt binary (default: target/release/hunt)")
    parser.add_argument(
        "--cargo",
        default=os.environ.get("CARGO", "cargo"),
        help="the cargo command that builds benches/engine.rs (default $CARGO, else cargo)",
    )
    parser.add_argument("--engine-bench", type=Path, help="a built benches/engine.rs binary")
    parser.add_argument("--bench", type=Path, default=agree.ROOT.parent / "shared" / "bench")
    parser.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="lab scale of the export")
    parser.add_argument("--lab-now", default=agree.DEFAULT_LAB_NOW)
    parser.add_argument("--data", type=Path, default=agree.TARGET / "speed", help="export folder")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per query (median)")
    parser.add_argument("--whole", type=int, default=3, help="whole-process runs per query")
    parser.add_argument("--jsonl-gb", type=float, default=1.0, help="size of the JSON lines folder")
    parser.add_argument("--only", help="queries to run, e.g. f,g")
    parser.add_argument("--compare", help=argparse.SUPPRESS)  # one comparison, in a child
    args = parser.parse_args()
    agree.ensure_duckdb()
    hunt = (args.hunt or agree.TARGET / "release" / "hunt").resolve()
    if not hunt.exists():
        print(f"speed.py: no hunt binary at {hunt}: cargo build --release", file=sys.stderr)
        return 2
    args.hunt = hunt
    if args.compare:
        return compare_here(args.compare, args)
    queries = sorted(
        p.stem[2:] for p in args.bench.glob("q_*.kql") if p.with_suffix(".sql").exists()
    )
    if args.only:
        queries = [q for q in queries if q in args.only.split(",")]
    if not queries:
        print(f"speed.py: no q_*.kql with its q_*.sql in {args.bench}", file=sys.stderr)
        return 2
    import duckdb

    data = args.data / f"parquet-scale-{args.scale}"
    try:
        binary = engine_bench(args)
        print(f"hunt: {hunt}\nengine bench: {binary}\nduckdb {duckdb.__version__}")
        print(export(hunt, data, args.scale, args.lab_now, agree.TABLES, "parquet"))
        open_line = open_time(hunt, args)
    except RuntimeError as e:
        print(f"speed.py: {e}", file=sys.stderr)
        return 2
    counts = agree.Duck(data)
    for table in agree.TABLES:
        rows = counts.query(f"SELECT count(*) FROM {table}")[1][0][0]
        print(f"{table}: {rows:,} rows")
    counts.con.close()

    # Warm medians: hunt's in its own process, then DuckDB's in this one (never at once).
    try:
        h_warm = hunt_warm(binary, data, args, queries)
    except RuntimeError as e:
        print(f"speed.py: {e}", file=sys.stderr)
        return 2
    d_warm = duck_warm(data, args, queries)

    # Whole processes, one query at a time, hunt's runs then DuckDB's.
    python = sys.executable
    base_ms, base_mb, _, _ = whole([python, "-c", "import duckdb"], args.whole)
    h_whole, d_whole = {}, {}
    for q in queries:
        kql = (args.bench / f"q_{q}.kql").read_text()
        sql = (args.bench / f"q_{q}.sql").read_text()
        command = [str(hunt), "run", kql, "--data", str(data), "--format", "jsonl"]
        command += ["--row-limit", "1000000000", "--lab-now", args.lab_now]
        h_whole[q] = whole(command, args.whole)
        command = [python, "-c", DUCK_CHILD, str(data), ",".join(agree.TABLES), sql]
        d_whole[q] = whole(command, args.whole)
    # The figures so far, kept should the comparisons fail.
    figures = {"hunt_warm": h_warm, "duck_warm": d_warm, "hunt_whole": h_whole}
    figures |= {"duck_whole": d_whole, "python_import_duckdb": [base_ms, base_mb]}
    (args.data / f"figures-scale-{args.scale}.json").write_text(json.dumps(figures, indent=1))

    # Answers: agree.py's comparison, hunt on the files (`--data`) against DuckDB on them.
    outcomes = {q: compare_apart(q, args) for q in queries}

    header = (
        f"{'query':<6} {'hunt warm':>10} {'duck warm':>10} {'ratio':>6}  "
        f"{'hunt whole':>10} {'duck whole':>10} {'ratio':>6}  "
        f"{'hunt MB':>8} {'duck MB':>8}  {'rows':>17}  agree"
    )
    lines = [header, "-" * len(header)]
    warm_ratios, whole_ratios, notes = [], [], []
    for q in queries:
        hw, dw = h_warm.get(q), d_warm.get(q)
        (hwh, hmb, herr, hrows), (dwh, dmb, derr, drows) = h_whole[q], d_whole[q]
        r1, r2 = ratio(hw, dw), ratio(hwh, dwh)
        warm_ratios.append(r1)
        whole_ratios.append(r2)
        o = outcomes[q]
        # Rows: lines of each whole process's output; both when they differ.
        rows = str(hrows) if hrows == drows else f"{hrows}/{drows}"
        agreed = "yes" if o.agree else ("?" if o.note.startswith("not compared") else "NO")
        lines.append(
            f"{'q_' + q:<6} {cell(hw, 1):>10} {cell(dw, 1):>10} {cell(r1, 2):>6}  "
            f"{cell(hwh):>10} {cell(dwh):>10} {cell(r2, 2):>6}  "
            f"{cell(hmb):>8} {cell(dmb):>8}  {rows:>17}  {agreed}"
        )
        if isinstance(hw, str):
            notes.append(f"q_{q}: hunt (warm) failed: {hw}")
        for side, err in (("hunt", herr), ("duckdb", derr)):
            if err:
                notes.append(f"q_{q}: {side} (whole process) failed: {err}")
        if o.note:
            notes.append(f"q_{q}: {o.note}")
    lines.append("-" * len(header))
    lines.append(
        f"{'geomean':<6} {'':>10} {'':>10} {cell(geomean(warm_ratios), 2):>6}  "
        f"{'':>10} {'':>10} {cell(geomean(whole_ratios), 2):>6}"
    )
    print()
    print(
        f"milliseconds (warm: median of {args.repeat} in-process runs after one warm-up; whole: "
        f"median of {args.whole} fresh processes); ratio = hunt/DuckDB; MB = peak RSS of a whole "
        f"process (DuckDB's includes Python: `python -c 'import duckdb'` alone takes "
        f"{cell(base_ms)} ms and {cell(base_mb)} MB)"
    )
    print("\n".join(lines))
    print(open_line)
    if notes:
        print("\n" + "\n".join(notes))
    return 0 if all(o.agree for o in outcomes.values()) else 1


def open_time(hunt: Path, args) -> str:
    """Exports DeviceProcessEvents as JSON lines at a scale giving about `--jsonl-gb` GB (bytes
    a row measured on a scale-1 export), then times `take 100` over that folder."""
    probe = args.data / "jsonl-probe"
    export(hunt, probe, 1, args.lab_now, ["DeviceProcessEvents"], "jsonl")
    per_scale = (probe / "DeviceProcessEvents.jsonl").stat().st_size
    scale = max(1, round(args.jsonl_gb * 1e9 / per_scale))
    folder = args.data / f"jsonl-scale-{scale}"
    print(export(hunt, folder, scale, args.lab_now, ["DeviceProcessEvents"], "jsonl"))
    size = (folder / "DeviceProcessEvents.jsonl").stat().st_size
    command = [str(hunt), "run", "DeviceProcessEvents | take 100", "--data", str(folder)]
    command += ["--format", "json", "--lab-now", args.lab_now]
    times, rows = [], 0
    for _ in range(3):
        seconds, out = output_of(command)
        times.append(seconds * 1000)
        rows = len(json.loads(out)["results"])
    _, peak, _, _, _ = run_measured(command)
    return (
        f"open {size / 1e9:.2f} GB of JSON lines (scale {scale}) and take 100: "
        f"{cell(median(times))} ms from start to output (median of 3 runs, file in the page "
        f"cache; {rows} rows; peak {cell(peak)} MB; target < 1000 ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
