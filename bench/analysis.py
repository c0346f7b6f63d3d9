#!/usr/bin/env python3
"""Side-by-side analysis benchmark: NegMAS 0.16.0 against `pactum analyze`.

Runs, in one invocation and on the same scenarios:

* NegMAS's own harness (../shared/peers/negmas/analysis.py, raw mode only,
  which is what `pactum analyze --semantics negmas --normalize none`
  computes), once over all scenarios, with the NegMAS venv's python;
* `target/release/pactum analyze DIR --json --semantics negmas --normalize none
  --root SCENARIOS` once per scenario (a separate process each).

Per scenario it prints the number of outcomes, NegMAS's in-process time
(`modes.raw.timings.total_negmas`: ranges, frontier, Nash, KS, Kalai, max
welfare; NegMAS's file loading and enumeration are outside it), pactum's
in-process time (the JSON `seconds`: loading plus analysis) and its two parts
(`timings.load`, `timings.analysis`), the I/O floor (the `io_floor` example:
listing the folder and reading its files in a fresh process, nothing else),
pactum's whole-process wall time (spawn to exit) and its peak RSS (from one
extra run under /usr/bin/time -v), and three ratios:

* `ratio`: NegMAS / pactum `seconds` (the issue's comparison);
* `analysis`: NegMAS / pactum `timings.analysis` (both clocks without I/O);
* `ceiling`: NegMAS / I/O floor, the highest `ratio` any program could reach
  whose clock includes reading the files.

Then the median of each and the ratio on the largest scenario
(other/AMPOvsCity, about 2e6 outcomes).

Then it generates synthetic 2-party additive GENIUS scenarios (10 values per
issue, random evaluations and weights from a fixed seed) into a temporary
folder -- by default 10^6, 10^7 and 10^8 outcomes -- and times pactum on them with
peak RSS, to show that memory stays flat as the space grows.

Default scenario set: every 2-party scenario with status "ok" in
../shared/oracle/negmas-analysis.json (the file supplies the list only; every
NegMAS time printed here is measured in this run).

Usage (from anywhere; commands run from the repository root):

    cargo build --release
    cargo build --release -p pactum-formats --example io_floor
    python3 bench/analysis.py               # all 91 scenarios, then synthetic
    python3 bench/analysis.py --quick       # 10 scenarios incl. AMPOvsCity
    python3 bench/analysis.py --scenarios anac/y2010/Travel other/AMPOvsCity
    python3 bench/analysis.py --no-negmas   # pactum only
    python3 bench/analysis.py --synthetic-only --synthetic-exponents 5,6,7

Environment: NEGMAS_PYTHON (default $HOME/.negmas-venv/bin/python),
PACTUM_SCENARIOS (default ../shared/scenarios), PACTUM_SHARED (default ../shared),
both relative to the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

REPO = Path(__file__).resolve().parent.parent
LARGEST = "other/AMPOvsCity"
SYNTHETIC_SEED = 20240611


def rel(p: Path) -> str:
    """`p` relative to the repository root when possible (commands run there)."""
    try:
        return os.path.relpath(p, REPO)
    except ValueError:
        return str(p)


def measure(cmd: list[str]) -> dict:
    """Runs `cmd` from the repository root; returns stdout, stderr, return
    code and whole-process wall time (spawn to exit)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=REPO, capture_output=True)
    wall = time.perf_counter() - t0
    return dict(stdout=p.stdout.decode("utf-8", "replace"), stderr=p.stderr.decode("utf-8", "replace"),
                rc=p.returncode, wall=wall)


def peak_rss_kib(cmd: list[str]) -> tuple[int | None, str]:
    """Peak RSS of one run of `cmd`, from `/usr/bin/time -v` ("Maximum
    resident set size"). Without /usr/bin/time (apt-get install time) it falls
    back to wait4()'s ru_maxrss, which Linux carries over exec from the forked
    Python parent, so it then reads at least this script's own RSS."""
    time_bin = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    if time_bin:
        p = subprocess.run([time_bin, "-v", *cmd], cwd=REPO, capture_output=True, text=True)
        for line in p.stderr.splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1]), "/usr/bin/time -v"
        return None, "/usr/bin/time -v (no figure)"
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, cwd=REPO, stdout=null, stderr=null)
        _, _, usage = os.wait4(p.pid, 0)
        p.returncode = 0
    return usage.ru_maxrss, "wait4 (upper bound: includes the parent's pre-exec RSS)"


def pactum_cmd(pactum: Path, scenario_dir: Path, root: Path) -> list[str]:
    return [rel(pactum), "analyze", rel(scenario_dir), "--json", "--semantics", "negmas",
            "--normalize", "none", "--root", rel(root)]


def run_pactum(pactum: Path, scenario_dir: Path, root: Path, runs: int) -> dict:
    """Best of `runs` (by in-process seconds), then one more run for peak RSS."""
    best = None
    cmd = pactum_cmd(pactum, scenario_dir, root)
    for _ in range(runs):
        m = measure(cmd)
        if m["rc"] != 0:
            return dict(error=m["stderr"].strip().splitlines()[-1] if m["stderr"].strip() else f"exit {m['rc']}")
        doc = json.loads(m["stdout"])
        r = dict(outcomes=doc["outcomes"], seconds=doc["seconds"], load=doc["timings"]["load"],
                 analysis=doc["timings"]["analysis"], wall=m["wall"], pareto=len(doc["pareto"]))
        if best is None or r["seconds"] < best["seconds"]:
            best = r
    best["rss_kib"], best["rss_source"] = peak_rss_kib(cmd)
    return best


def run_floor(floor: Path | None, scenario_dir: Path, runs: int) -> float | None:
    """Best of `runs` fresh-process times for listing and reading the folder."""
    if floor is None:
        return None
    best = None
    for _ in range(runs):
        m = measure([rel(floor), rel(scenario_dir)])
        if m["rc"] != 0:
            return None
        t = json.loads(m["stdout"])["seconds"]
        best = t if best is None else min(best, t)
    return best


def run_negmas(python: str, harness: Path, dirs: list[Path], root: Path, workdir: Path) -> tuple[dict, float]:
    out = workdir / "negmas.json"
    cmd = [python, rel(harness), *[rel(d) for d in dirs], "--modes", "raw", "--parties", "2",
           "--root", rel(root), "--out", str(out)]
    print(f"+ {' '.join(cmd[:3])} ... ({len(dirs)} scenarios) --modes raw --parties 2 --root {rel(root)}",
          file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    # The harness prints one progress line per scenario on stderr: pass it through.
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    data = json.loads(out.read_text())
    return {s["scenario"]: s for s in data["scenarios"]}, wall


def quick_set(ok: list[dict]) -> list[str]:
    """AMPOvsCity plus 9 scenarios spread evenly over the size range."""
    by_size = sorted(ok, key=lambda s: (s["n_outcomes"], s["scenario"]))
    rest = [s for s in by_size if s["scenario"] != LARGEST]
    picks = [rest[round(k * (len(rest) - 1) / 8)]["scenario"] for k in range(9)]
    out = []
    for p in picks + [LARGEST]:
        if p not in out:
            out.append(p)
    return out


def fmt_s(x) -> str:
    if x is None:
        return "-"
    return f"{x:.4f}" if x < 10 else f"{x:.2f}"


def fmt_us(x) -> str:
    return "-" if x is None else f"{x * 1e6:.0f}"


def fmt_mib(kib) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def fmt_ratio(x) -> str:
    return "-" if x is None else (f"{x:.1f}" if x < 1000 else f"{x:.0f}")


def write_synthetic(folder: Path, issues: int, values: int, seed: int) -> None:
    """A 2-party linear additive GENIUS scenario: `issues` discrete issues of
    `values` options, evaluations 1..100 and weights from `seed`."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True)
    names = [f"issue{i + 1}" for i in range(issues)]
    opts = [[f"v{k + 1}" for k in range(values)] for _ in names]
    lines = ['<negotiation_template>', '<utility_space number_of_issues="%d">' % issues,
             '<objective index="0" name="root" type="objective" etype="objective">']
    for i, (n, vs) in enumerate(zip(names, opts)):
        lines.append(f'<issue index="{i + 1}" name={quoteattr(n)} vtype="discrete" type="discrete" etype="discrete">')
        lines += [f'<item index="{k + 1}" value={quoteattr(v)}/>' for k, v in enumerate(vs)]
        lines.append('</issue>')
    lines += ['</objective>', '</utility_space>', '</negotiation_template>']
    (folder / "synthetic_domain.xml").write_text("\n".join(lines) + "\n")
    for party in ("a", "b"):
        raw = [rnd.random() for _ in names]
        weights = [w / sum(raw) for w in raw]
        lines = ['<utility_space>', '<reservation value="0"/>',
                 '<objective index="0" name="root" type="objective" etype="objective">']
        for i, (n, vs) in enumerate(zip(names, opts)):
            lines.append(f'<issue index="{i + 1}" name={quoteattr(n)} vtype="discrete" type="discrete" etype="discrete">')
            lines += [f'<item index="{k + 1}" value={quoteattr(v)} evaluation="{rnd.randint(1, 100)}"/>'
                      for k, v in enumerate(vs)]
            lines.append('</issue>')
        lines += [f'<weight index="{i + 1}" value="{w!r}"/>' for i, w in enumerate(weights)]
        lines += ['</objective>', '</utility_space>']
        (folder / f"synthetic_{party}.xml").write_text("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10 scenarios spread over the size range, incl. AMPOvsCity")
    ap.add_argument("--scenarios", nargs="+", metavar="ID", help="scenario ids (paths below the scenario root)")
    ap.add_argument("--no-negmas", action="store_true", help="time pactum only")
    ap.add_argument("--synthetic-only", action="store_true", help="skip the real scenarios")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the synthetic scenarios")
    ap.add_argument("--synthetic-exponents", default="6,7,8",
                    help="synthetic sizes as powers of ten, one issue of 10 values per power (default 6,7,8; "
                         "pactum refuses more than 1e8 outcomes unless --max-outcomes is raised)")
    ap.add_argument("--pactum-runs", type=int, default=3,
                    help="runs per scenario of pactum and of the I/O floor, best kept (default 3)")
    ap.add_argument("--io-floor", default="target/release/examples/io_floor",
                    help="the io_floor example binary (relative to the repo root)")
    ap.add_argument("--pactum", default="target/release/pactum", help="pactum binary (relative to the repo root)")
    ap.add_argument("--json-out", metavar="FILE", help="also write all measurements as JSON")
    args = ap.parse_args()

    shared = (REPO / os.environ.get("PACTUM_SHARED", "../shared")).resolve()
    root = (REPO / os.environ.get("PACTUM_SCENARIOS", shared / "scenarios")).resolve()
    oracle = shared / "oracle" / "negmas-analysis.json"
    harness = shared / "peers" / "negmas" / "analysis.py"
    negmas_python = os.environ.get("NEGMAS_PYTHON", str(Path.home() / ".negmas-venv" / "bin" / "python"))
    pactum = (REPO / args.pactum).resolve()
    if not pactum.is_file():
        print(f"error: {rel(pactum)} is missing; run `cargo build --release` first", file=sys.stderr)
        return 2
    results: dict = dict(cpu_count=os.cpu_count(), scenarios=[], synthetic=[])
    floor = (REPO / args.io_floor).resolve()
    if not floor.is_file():
        print(f"note: {rel(floor)} is missing (cargo build --release -p pactum-formats --example io_floor); "
              "no I/O floor column", file=sys.stderr)
        floor = None

    print(f"pactum: {rel(pactum)} ({os.cpu_count()} cores; rayon uses all of them)")
    if not args.synthetic_only:
        ok = [s for s in json.loads(oracle.read_text())["scenarios"]
              if s.get("status") == "ok" and s.get("n_parties") == 2]
        if args.scenarios:
            ids = args.scenarios
        elif args.quick:
            ids = quick_set(ok)
        else:
            ids = [s["scenario"] for s in ok]
        dirs = [root / i for i in ids]
        missing = [i for i, d in zip(ids, dirs) if not d.is_dir()]
        if missing:
            print(f"error: no such scenario folder(s): {', '.join(missing)}", file=sys.stderr)
            return 2

        negmas: dict = {}
        negmas_wall = None
        if not args.no_negmas:
            with tempfile.TemporaryDirectory(prefix="pactum-bench-") as tmp:
                negmas, negmas_wall = run_negmas(negmas_python, harness, dirs, root, Path(tmp))
        print(f"timing pactum on {len(ids)} scenarios ...", file=sys.stderr, flush=True)
        rows = []
        for sid, d in zip(ids, dirs):
            p = run_pactum(pactum, d, root, args.pactum_runs)
            n = negmas.get(sid, {})
            nt = n.get("modes", {}).get("raw", {}).get("timings", {}).get("total_negmas") if n.get("status") == "ok" else None
            row = dict(scenario=sid, negmas_seconds=nt, negmas_status=n.get("status"),
                       negmas_outcomes=n.get("n_outcomes"), **p)
            row["io_floor"] = run_floor(floor, d, args.pactum_runs)

            def over(x):
                return nt / x if nt is not None and x else None
            row["ratio"] = over(p.get("seconds"))
            row["analysis_ratio"] = over(p.get("analysis"))
            row["ceiling"] = over(row["io_floor"])
            rows.append(row)
        pactum_total_wall = sum(r.get("wall", 0.0) for r in rows)
        rows.sort(key=lambda r: (r.get("outcomes") or 0, r["scenario"]))
        results["scenarios"] = rows

        print()
        print(f"{'scenario':34s} {'outcomes':>9s} {'negmas s':>9s} {'pactum s':>9s} {'load us':>7s} "
              f"{'anal. us':>8s} {'floor us':>8s} {'wall s':>7s} {'RSS MiB':>7s} {'ratio':>6s} {'analysis':>8s} "
              f"{'ceiling':>7s}")
        for r in rows:
            if "error" in r:
                print(f"{r['scenario']:34s} pactum failed: {r['error']}")
                continue
            flag = ""
            if r["negmas_outcomes"] is not None and r["negmas_outcomes"] != r["outcomes"]:
                flag = f"  (NegMAS counts {r['negmas_outcomes']} outcomes)"
            elif r["negmas_status"] not in (None, "ok"):
                flag = f"  (NegMAS: {r['negmas_status']})"
            print(f"{r['scenario']:34s} {r['outcomes']:9d} {fmt_s(r['negmas_seconds']):>9s} {fmt_s(r['seconds']):>9s} "
                  f"{fmt_us(r['load']):>7s} {fmt_us(r['analysis']):>8s} {fmt_us(r['io_floor']):>8s} "
                  f"{fmt_s(r['wall']):>7s} {fmt_mib(r['rss_kib']):>7s} {fmt_ratio(r['ratio']):>6s} "
                  f"{fmt_ratio(r['analysis_ratio']):>8s} {fmt_ratio(r['ceiling']):>7s}{flag}")
        ratios = [r["ratio"] for r in rows if r.get("ratio") is not None]
        print()
        print(f"scenarios: {len(rows)}; pactum whole-process wall, summed: {pactum_total_wall:.2f}s"
              + (f"; NegMAS harness wall (one process, incl. import, loading and harness bookkeeping) {negmas_wall:.1f}s"
                 if negmas_wall is not None else ""))
        if ratios:
            print(f"sum of in-process times: NegMAS {sum(r['negmas_seconds'] for r in rows if r.get('ratio')):.2f}s, "
                  f"pactum {sum(r['seconds'] for r in rows if r.get('ratio')):.4f}s")
            print(f"median ratio negmas/pactum (in-process): {statistics.median(ratios):.1f} over {len(ratios)} scenarios")
            an = [r["analysis_ratio"] for r in rows if r.get("analysis_ratio") is not None]
            print(f"median ratio negmas/pactum analysis only (both clocks without file I/O): "
                  f"{statistics.median(an):.1f} over {len(an)} scenarios")
            ceil = [r["ceiling"] for r in rows if r.get("ceiling") is not None]
            if ceil:
                print(f"median ceiling negmas/I-O floor (the best ratio any reader of the files could reach): "
                      f"{statistics.median(ceil):.1f}; below 100 on {sum(c < 100 for c in ceil)} of {len(ceil)} scenarios")
            big = next((r for r in rows if r["scenario"] == LARGEST and r.get("ratio")), None)
            if big:
                print(f"ratio on the largest scenario {LARGEST} ({big['outcomes']} outcomes): {big['ratio']:.1f} "
                      f"(NegMAS {big['negmas_seconds']:.2f}s, pactum {big['seconds']:.4f}s in-process, "
                      f"{big['wall']:.4f}s whole process)")
        results["negmas_harness_wall"] = negmas_wall

    if not args.no_synthetic:
        exps = [int(x) for x in args.synthetic_exponents.split(",") if x.strip()]
        print()
        print(f"synthetic 2-party additive scenarios (10 values per issue, seed {SYNTHETIC_SEED}), "
              f"pactum --semantics negmas --normalize none:")
        print(f"{'outcomes':>12s} {'issues':>6s} {'pactum s':>9s} {'wall s':>8s} {'peak RSS MiB':>12s} {'frontier':>8s}  rss from")
        with tempfile.TemporaryDirectory(prefix="pactum-synthetic-") as tmp:
            for e in exps:
                folder = Path(tmp) / f"synthetic-1e{e}"
                write_synthetic(folder, e, 10, SYNTHETIC_SEED + e)
                p = run_pactum(pactum, folder, Path(tmp), 1)
                if "error" in p:
                    print(f"{10 ** e:12d} {e:6d} pactum failed: {p['error']}")
                    continue
                results["synthetic"].append(dict(issues=e, **p))
                print(f"{p['outcomes']:12d} {e:6d} {fmt_s(p['seconds']):>9s} {fmt_s(p['wall']):>8s} "
                      f"{fmt_mib(p['rss_kib']):>12s} {p['pareto']:8d}  {p['rss_source']}")

    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
