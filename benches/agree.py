#!/usr/bin/env python3
"""Do hunt's answers agree with DuckDB's on the benchmark queries?

For each pair `q_X.kql` / `q_X.sql` in ../shared/bench this runs the KQL through `hunt run` on the
lab and the SQL through DuckDB over views on the lab exported to Parquet (`hunt lab export`), and
compares the answers. Both sides see the same rows: the lab is generated from a fixed seed, and
`--lab-now` pins the moment it ends (without it the lab ends at the wall clock of each process).
`hunt run` applies no time window unless `--timespan` is given; a preflight counts every table
used on both sides to prove they hold the same rows.

    python3 benches/agree.py           # scale 1, the newest of target/{debug,release}/hunt
    python3 benches/agree.py --scale 1 --scale 20 --hunt target/release/hunt

DuckDB (and pyarrow, to read its timestamps with their nanoseconds) is installed with pip into a
venv under the cargo target folder (CARGO_TARGET_DIR, else target/) the first time. The script
prints one table per scale and exits 1 when any query disagrees (2 when it could not run).

How answers are compared: columns by position (the names are shown, not compared: the SQL may
name them differently); rows as multisets, or in order for a query that orders (rows tied on the
sort key as a multiset, and a tie cut by the limit noted, not failed). Values are normalised:
datetimes as instants to the nanosecond (hunt prints ISO text with 7 fractional digits, DuckDB
gives timestamps), numbers equal within 1e-9 relative, a string that is null in Parquet is ""
(KQL strings are never null), dynamic values as JSON, `make_set` lists as sets. Where KQL leaves a
choice open (which row `arg_max` keeps among rows tied on the maximum, which left row
`innerunique` keeps per key) the defined part is compared exactly and the choice is checked to be
one of the allowed ones; the ties are reported in the note.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import venv
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
VENV = TARGET / "agree-venv"
# Any fixed moment will do; this one is a Friday noon (working hours fall on both sides of it).
DEFAULT_LAB_NOW = "2025-01-31T12:00:00Z"
TABLES = ["DeviceProcessEvents", "DeviceNetworkEvents"]


def ensure_duckdb() -> None:
    """Imports duckdb and pyarrow, or re-runs this script in a venv that has them."""
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401

        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        sys.exit("agree.py: duckdb or pyarrow is missing from " + str(VENV))
    if not python.exists():
        print(f"agree.py: installing duckdb and pyarrow into {VENV}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    probe = subprocess.run([python, "-c", "import duckdb, pyarrow"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "duckdb>=1.1", "pyarrow>=14"], check=True
        )
    # The script being run (this one, or speed.py, which imports it) again, in the venv.
    os.execv(python, [str(python), str(Path(sys.argv[0]).resolve()), *sys.argv[1:]])


# ---------------------------------------------------------------------------------------------
# Normalised values. Each value becomes a (tag, value) pair that compares and sorts the same on
# both sides: ("t", ns since 1970), ("n", int|float), ("b", bool), ("s", str), ("j", JSON text
# with sorted keys), ("set", sorted tuple of JSON texts), ("null", "").

NULL = ("null", "")


def hunt_datetime(text: str) -> int:
    """`2025-01-30T15:26:20.5596687Z` → nanoseconds since 1970."""
    body = text.rstrip("Z")
    seconds, _, fraction = body.partition(".")
    whole = datetime.strptime(seconds, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(whole.timestamp()) * 1_000_000_000 + int((fraction + "000000000")[:9])


def as_json(value) -> tuple:
    return ("j", json.dumps(value, sort_keys=True))


def as_set(value) -> tuple:
    if value is None:
        return NULL
    # Sorted, not deduplicated: a set with a value twice is wrong, and must show.
    return ("set", tuple(sorted(json.dumps(v, sort_keys=True) for v in value)))


def number(value) -> tuple:
    return ("n", float(value) if not isinstance(value, int) else value)


def norm_hunt(value, kql_type: str, is_set: bool) -> tuple:
    """A value of hunt's `--format json` output, with the column's Graph type name."""
    if is_set:
        return as_set(value)
    if kql_type == "String" or kql_type == "Guid":
        return ("s", "" if value is None else value)
    if value is None:
        return NULL
    if kql_type == "DateTime":
        return ("t", hunt_datetime(value))
    if kql_type in ("Int32", "Int64", "Double", "Decimal"):
        return number(value)
    if kql_type == "Boolean":
        return ("b", bool(value))
    if kql_type == "Object":
        return as_json(value)
    return ("s", str(value))


def norm_duck(value, kql_type: str, is_set: bool) -> tuple:
    """A DuckDB value (from Arrow, timestamps already in ns), read as hunt's column type says."""
    if is_set:
        return as_set(value)
    if kql_type == "String" or kql_type == "Guid":
        # KQL strings are never null; Parquet keeps the lab's missing strings as null.
        return ("s", "" if value is None else str(value))
    if value is None:
        return NULL
    if kql_type == "DateTime":
        return ("t", value)
    if kql_type in ("Int32", "Int64", "Double", "Decimal"):
        return number(value)
    if kql_type == "Boolean":
        return ("b", bool(value))
    if kql_type == "Object":
        # The export writes dynamic values as JSON text.
        if isinstance(value, str):
            try:
                return as_json(json.loads(value))
            except ValueError:
                return as_json(value)
        return as_json(value)
    return ("s", str(value))


def same(a: tuple, b: tuple) -> bool:
    if a[0] == "n" and b[0] == "n":
        x, y = a[1], b[1]
        if isinstance(x, int) and isinstance(y, int):
            return x == y
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def same_row(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


def sort_key(row: tuple) -> tuple:
    """Rows sort alike on both sides (floats rounded so values within 1e-9 sit together)."""
    return tuple(
        (tag, float(f"{v:.9g}")) if tag == "n" and isinstance(v, float) else (tag, v)
        for tag, v in row
    )


def shown(tag: str, v) -> str:
    if tag == "null":
        return "null"
    if tag == "t":
        seconds, nanos = divmod(v, 1_000_000_000)
        when = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{when}.{nanos:09d}Z"
    return repr(v)


def show(row: tuple, width: int = 160) -> str:
    text = ", ".join(shown(tag, v) for tag, v in row)
    return "(" + (text if len(text) <= width else text[: width - 1] + "…") + ")"


def multiset_difference(hunt: list, duck: list) -> str | None:
    """None when the two lists of rows hold the same rows; else the first difference."""
    h, d = sorted(hunt, key=sort_key), sorted(duck, key=sort_key)
    if len(h) == len(d) and all(same_row(x, y) for x, y in zip(h, d)):
        return None
    only_h = Counter(map(sort_key, h)) - Counter(map(sort_key, d))
    only_d = Counter(map(sort_key, d)) - Counter(map(sort_key, h))
    parts = []
    if only_h:
        parts.append(f"{sum(only_h.values())} rows only in hunt, e.g. {show(next(iter(only_h)))}")
    if only_d:
        parts.append(f"{sum(only_d.values())} rows only in duckdb, e.g. {show(next(iter(only_d)))}")
    return "; ".join(parts) or f"{len(h)} rows vs {len(d)} rows"


def ordered_difference(hunt: list, duck: list, order: list[int], limit: int | None, notes: list):
    """Rows in order of the sort key; rows tied on it as multisets. When a `take`/`LIMIT` cuts a
    tie, which of the tied rows are kept is open: the cut group is compared by key and size."""

    def groups(rows):
        out = []
        for row in rows:
            key = tuple(row[i] for i in order)
            if out and out[-1][0] == key:
                out[-1][1].append(row)
            else:
                out.append((key, [row]))
        return out

    gh, gd = groups(hunt), groups(duck)
    for n, ((kh, rh), (kd, rd)) in enumerate(zip(gh, gd)):
        if not same_row(kh, kd):
            return f"order: group {n + 1} has key {show(kh)} in hunt, {show(kd)} in duckdb"
        problem = multiset_difference(rh, rd)
        if problem is None:
            continue
        last = n == len(gh) - 1 == len(gd) - 1
        if last and limit is not None and len(hunt) == len(duck) == limit and len(rh) == len(rd):
            notes.append(
                f"the limit cuts rows tied on {show(kh)}: each side keeps {len(rh)} of them, "
                "not the same ones (either is right)"
            )
            continue
        return f"rows with key {show(kh)}: {problem}"
    if len(gh) != len(gd):
        longer, side = (gh, "hunt") if len(gh) > len(gd) else (gd, "duckdb")
        extra = longer[min(len(gh), len(gd))][1][0]
        return f"only {side} goes on, with {show(extra)}"
    return None


# ---------------------------------------------------------------------------------------------
# What each query's answer must satisfy.


@dataclass
class Spec:
    order: list[int] = field(default_factory=list)  # column positions the query orders by
    limit: int | None = None  # the query's take/top/LIMIT, when it cuts
    sets: list[int] = field(default_factory=list)  # columns that are sets (make_set)
    special: str | None = None  # "arg_max" or "innerunique": the open choice checked apart


SPECS = {
    "a": Spec(order=[0], limit=100),  # order by Timestamp desc | take 100
    # q_b, q_i: `has`/`has_any` are whole-term matches; the SQL's regex bounds a term by
    # [^[:alnum:]], which is ASCII. Equivalent on the lab's command lines (ASCII); on text with
    # non-ASCII letters next to a term the two could differ.
    "b": Spec(),
    "c": Spec(order=[1]),  # order by Count desc: rows tied on Count in any order
    "d": Spec(),
    # top 20 by dcount_AccountName. Both dcount and approx_count_distinct are estimates
    # (HyperLogLog); at the lab's cardinalities (tens of accounts) both are exact, so they are
    # compared exactly, and a difference is reported with the exact count(DISTINCT).
    "e": Spec(order=[1], limit=20),
    "f": Spec(special="arg_max"),
    "g": Spec(special="innerunique"),
    # q_h: the SQL reads `AdditionalFields <> ''` for isnotempty() of the dynamic column (the
    # export writes it as JSON text); the filter on Elevation makes the two the same.
    "h": Spec(),
    "i": Spec(),
    "j": Spec(sets=[1]),  # make_set vs list(DISTINCT): the order of a set is not defined
}


class Duck:
    def __init__(self, data: Path):
        import duckdb

        self.con = duckdb.connect()
        # time_bucket and timestamp arithmetic in UTC, as KQL's bin() (datetimes are UTC).
        self.con.execute("SET TimeZone = 'UTC'")
        for table in TABLES:
            path = str(data / f"{table}.parquet").replace("'", "''")
            self.con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")

    def query(self, sql: str):
        """(column names, rows as lists of Python values); timestamps as ns since 1970."""
        import pyarrow as pa
        import pyarrow.compute as pc

        relation = self.con.sql(sql)
        fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        table = fetch()
        columns = []
        for f, column in zip(table.schema, table.columns):
            if pa.types.is_timestamp(f.type):
                per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[f.type.unit]
                ints = pc.cast(column, pa.int64()).to_pylist()
                columns.append([None if v is None else v * per for v in ints])
            elif pa.types.is_decimal(f.type):
                columns.append([None if v is None else float(v) for v in column.to_pylist()])
            else:
                columns.append(column.to_pylist())
        rows = [list(r) for r in zip(*columns)] if columns else []
        return [f.name for f in table.schema], rows


@dataclass
class Outcome:
    query: str
    hunt_rows: str = "-"
    duck_rows: str = "-"
    agree: bool = False
    note: str = ""


def run_hunt(hunt: Path, kql: str, args) -> tuple[list, list, list]:
    """(names, Graph type names, rows) of `hunt run --format json`."""
    # On the lab of the scale, or (speed.py) on the exported files given as `args.hunt_data`.
    data = getattr(args, "hunt_data", None)
    source = ["--data", str(data)] if data else ["--scale", str(args.scale_now)]
    command = [
        str(hunt),
        "run",
        kql,
        "--format",
        "json",
        *source,
        "--lab-now",
        args.lab_now,
        "--row-limit",
        "1000000000",
    ]
    if args.timespan:
        command += ["--timespan", args.timespan]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"hunt exited {done.returncode}: {done.stderr.strip()[:400]}")
    if "truncated" in done.stderr:
        raise RuntimeError("hunt truncated the result: " + done.stderr.strip()[:200])
    answer = json.loads(done.stdout)
    names = [c["name"] for c in answer["schema"]]
    types = [c["type"] for c in answer["schema"]]
    return names, types, [[r.get(n) for n in names] for r in answer["results"]]


def compare(q: str, hunt: Path, bench: Path, duck: Duck, args) -> Outcome:
    out = Outcome(q)
    spec = SPECS.get(q, Spec())
    kql = (bench / f"q_{q}.kql").read_text()
    sql = (bench / f"q_{q}.sql").read_text()
    try:
        h_names, h_types, h_raw = run_hunt(hunt, kql, args)
    except RuntimeError as e:
        out.note = str(e)
        return out
    out.hunt_rows = str(len(h_raw))
    d_names, d_raw = duck.query(sql)
    out.duck_rows = str(len(d_raw))
    if len(h_names) != len(d_names):
        out.note = (
            f"{len(h_names)} columns in hunt ({', '.join(h_names)}), "
            f"{len(d_names)} in duckdb ({', '.join(d_names)})"
        )
        return out
    notes = []
    renamed = [f"{h}/{d}" for h, d in zip(h_names, d_names) if h != d]
    if renamed:
        notes.append("named differently (compared by position): " + ", ".join(renamed))

    def rows(raw, norm):
        return [
            tuple(norm(v, t, i in spec.sets) for i, (v, t) in enumerate(zip(r, h_types)))
            for r in raw
        ]

    hunt_rows, duck_rows = rows(h_raw, norm_hunt), rows(d_raw, norm_duck)
    # The raw values are no longer needed: an answer of millions of rows is large in Python.
    del h_raw, d_raw
    if spec.order:
        problem = ordered_difference(hunt_rows, duck_rows, spec.order, spec.limit, notes)
    else:
        problem = multiset_difference(hunt_rows, duck_rows)
    if spec.special == "arg_max":
        problem = check_arg_max(hunt_rows, duck_rows, h_types, duck, problem, notes)
    elif spec.special == "innerunique":
        problem = check_innerunique(hunt_rows, duck_rows, h_types, duck, problem, notes)
    if problem and q == "e":
        exact = duck.query(
            "SELECT FileName, count(DISTINCT AccountName) FROM DeviceProcessEvents "
            "GROUP BY FileName ORDER BY 2 DESC LIMIT 20"
        )[1]
        problem += f" (exact count(DISTINCT), first rows: {exact[:3]})"
    out.agree = problem is None
    out.note = "; ".join(([problem] if problem else []) + notes)
    return out


def check_arg_max(hunt_rows, duck_rows, types, duck: Duck, problem, notes):
    """q_f: `summarize arg_max(Timestamp, *) by DeviceId` keeps one row per DeviceId with the
    newest Timestamp; among rows tied on it, which is kept is not defined (KQL or SQL's
    row_number). So: the (DeviceId, Timestamp) pairs must be the same, and each row hunt keeps
    must be one of the rows holding its device's maximum. Ties are reported."""
    candidates = duck.query(
        "WITH m AS (SELECT DeviceId, max(Timestamp) AS t "
        "FROM DeviceProcessEvents GROUP BY DeviceId) "
        "SELECT p.DeviceId, p.Timestamp, p.* EXCLUDE (DeviceId, Timestamp) "
        "FROM DeviceProcessEvents p JOIN m ON p.DeviceId = m.DeviceId AND p.Timestamp = m.t"
    )[1]
    by_key: dict = {}
    for raw in candidates:
        row = tuple(norm_duck(v, t, False) for v, t in zip(raw, types))
        by_key.setdefault(row[0], []).append(row)
    tied = {k: len(v) for k, v in by_key.items() if len(v) > 1}
    if tied:
        notes.append(
            f"{len(tied)} DeviceIds have {sum(tied.values())} rows tied on the newest Timestamp "
            "(either row is a right answer)"
        )
    else:
        notes.append("no ties on the newest Timestamp: the rows are compared exactly")
    if problem is None:
        return None
    if not tied:
        return problem
    keys = multiset_difference([r[:2] for r in hunt_rows], [r[:2] for r in duck_rows])
    if keys:
        return "DeviceId, Timestamp: " + keys
    for row in hunt_rows:
        if not any(same_row(row, c) for c in by_key.get(row[0], [])):
            return f"hunt's row for {row[0][1]} is no row holding its newest Timestamp: {show(row)}"
    notes.append("the rows differ only where they are tied")
    return None


def check_innerunique(hunt_rows, duck_rows, types, duck: Duck, problem, notes):
    """q_g: `join kind=innerunique` keeps one left row per key (DeviceId, InitiatingProcessId)
    and joins it to every matching right row; which left row is kept is not defined (the SQL's
    DISTINCT ON picks any). Defined, and compared exactly: the number of rows and, per row, the
    key and the right side (InitiatingProcessId, RemoteIP, RemotePort, RemoteUrl, Timestamp1).
    Checked: every left part hunt shows (Timestamp, DeviceName, FileName, ProcessCommandLine) is
    a real left row of that key, one per key. DeviceId is not projected; DeviceName stands for it
    (the lab names each device once, checked below)."""
    left = duck.query(
        "SELECT Timestamp, DeviceName, FileName, ProcessCommandLine, InitiatingProcessId, DeviceId "
        "FROM DeviceProcessEvents WHERE lower(InitiatingProcessFileName) = 'powershell.exe'"
    )[1]
    names = duck.query(
        "SELECT count(DISTINCT DeviceName) = count(DISTINCT DeviceId) "
        "AND count(DISTINCT DeviceName || '/' || DeviceId) = count(DISTINCT DeviceId) "
        "FROM DeviceProcessEvents"
    )[1][0][0]
    per_key: dict = {}
    for raw in left:
        row = tuple(norm_duck(v, t, False) for v, t in zip(raw[:5], types[:5]))
        per_key.setdefault((row[1], row[4]), []).append(row[:4])
    matched = {(r[1], r[4]) for r in duck_rows}
    several = sum(1 for k in matched if len(per_key.get(k, [])) > 1)
    notes.append(
        f"{several} of {len(matched)} joined keys have several left rows "
        "(innerunique keeps any one; checked by count, key and right side)"
    )
    if problem is None:
        return None
    if not names:
        return problem + " (and DeviceName does not identify the device: cannot check further)"
    defined = multiset_difference([r[4:] for r in hunt_rows], [r[4:] for r in duck_rows])
    if defined:
        return "key and right side: " + defined
    kept: dict = {}
    for row in hunt_rows:
        key, part = (row[1], row[4]), row[:4]
        if not any(same_row(part, c) for c in per_key.get(key, [])):
            return f"hunt's left part is no left row of its key: {show(row)}"
        if kept.setdefault(key, part) != part:
            return f"hunt keeps two left rows for key {show(key)}: not innerunique"
    notes.append("the rows differ only in which left row is kept")
    return None


# ---------------------------------------------------------------------------------------------


def default_hunt() -> Path | None:
    found = [TARGET / p / "hunt" for p in ("release", "debug")]
    found = [p for p in found if p.exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def preflight(hunt: Path, duck: Duck, args) -> str | None:
    """Both sides must hold the same rows: counts and Timestamp ranges of every table used."""
    for table in TABLES:
        kql = f"{table} | summarize Rows = count(), First = min(Timestamp), Last = max(Timestamp)"
        try:
            _, types, h = run_hunt(hunt, kql, args)
        except RuntimeError as e:
            return str(e)
        d = duck.query(f"SELECT count(*), min(Timestamp), max(Timestamp) FROM {table}")[1]
        hr = tuple(norm_hunt(v, t, False) for v, t in zip(h[0], types))
        dr = tuple(norm_duck(v, t, False) for v, t in zip(d[0], types))
        if not same_row(hr, dr):
            return f"{table}: hunt sees {show(hr)}, the export holds {show(dr)}"
    return None


def table(outcomes: list[Outcome]) -> str:
    lines = [
        f"{'query':<6} {'rows hunt':>10} {'rows duckdb':>12}  agree  note",
        f"{'-' * 6} {'-' * 10} {'-' * 12}  -----  ----",
    ]
    for o in outcomes:
        agree = "yes" if o.agree else "NO"
        lines.append(
            f"{'q_' + o.query:<6} {o.hunt_rows:>10} {o.duck_rows:>12}  {agree:<5}  {o.note}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--hunt",
        type=Path,
        help="the hunt binary (default: the newest of target/{release,debug}/hunt)",
    )
    parser.add_argument(
        "--bench",
        type=Path,
        default=ROOT.parent / "shared" / "bench",
        help="folder of q_*.kql and q_*.sql",
    )
    parser.add_argument(
        "--scale", type=int, action="append", help="lab scale; repeat for several (default 1)"
    )
    parser.add_argument(
        "--lab-now",
        default=DEFAULT_LAB_NOW,
        help="the moment the lab ends, for export and run alike",
    )
    parser.add_argument(
        "--timespan",
        help="pass this --timespan to hunt run (default none: hunt run applies no window)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=TARGET / "agree",
        help="where the exports go (one folder per scale)",
    )
    parser.add_argument("--only", help="queries to run, e.g. f,g")
    args = parser.parse_args()
    ensure_duckdb()
    hunt = args.hunt or default_hunt()
    if hunt is None or not hunt.exists():
        print("agree.py: no hunt binary: build one (cargo build) or pass --hunt", file=sys.stderr)
        return 2
    hunt = hunt.resolve()
    queries = sorted(
        p.stem[2:] for p in args.bench.glob("q_*.kql") if p.with_suffix(".sql").exists()
    )
    if args.only:
        queries = [q for q in queries if q in args.only.split(",")]
    if not queries:
        print(f"agree.py: no q_*.kql with its q_*.sql in {args.bench}", file=sys.stderr)
        return 2
    print(f"hunt: {hunt}\nbench: {args.bench}\nlab ends: {args.lab_now}")
    worst = 0
    for scale in args.scale or [1]:
        args.scale_now = scale
        data = args.data / f"scale-{scale}"
        data.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        export = subprocess.run(
            [
                str(hunt),
                "lab",
                "export",
                str(data),
                "--format",
                "parquet",
                "--scale",
                str(scale),
                "--lab-now",
                args.lab_now,
            ],
            capture_output=True,
            text=True,
        )
        if export.returncode != 0:
            print(f"agree.py: hunt lab export failed: {export.stderr.strip()}", file=sys.stderr)
            return 2
        duck = Duck(data)
        problem = preflight(hunt, duck, args)
        if problem:
            print(f"agree.py: hunt's lab and the export differ: {problem}", file=sys.stderr)
            return 2
        print(f"\nscale {scale}: {export.stderr.strip()} ({time.monotonic() - started:.0f} s)")
        outcomes = [compare(q, hunt, args.bench, duck, args) for q in queries]
        print(table(outcomes))
        if not all(o.agree for o in outcomes):
            worst = 1
    return worst


if __name__ == "__main__":
    sys.exit(main())
