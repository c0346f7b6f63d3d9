#!/usr/bin/env python3
"""Tournament throughput: NegMAS's harness vs `pactum tournament`.

Runs ../shared/peers/negmas/tournament.py (in $HOME/.negmas-venv) and
`pactum tournament --semantics negmas` on the same scenarios, negotiators,
steps and seed (the small5 and medium3 configs of ../shared/oracle), and
prints negotiations per second for each and the ratio. Like is compared with
like: NegMAS's `total_wall_seconds` (negotiations only, loading excluded)
against pactum's `wall_seconds` (scenario loading *included*), with pactum's
whole-process time beside it. pactum also runs with --threads 1 and 2.

pactum finishes NegMAS's single repetition in milliseconds, so it runs more
repetitions (--pactum-reps) to be timed reliably; NegMAS runs the oracle's
repetitions (or --negmas-reps). Rates are per negotiation either way.

Usage: bench/tournament.py [--pactum target/release/pactum] [--pactum-reps 200]
                           [--negmas-reps N] [--sets small5,medium3]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"
NAMES = {
    "BoulwareTBNegotiator": ("boulware", "boulware"),
    "LinearTBNegotiator": ("linear", "linear"),
    "ConcederTBNegotiator": ("conceder", "conceder"),
    "NaiveTitForTatNegotiator": ("naive_tft", "naive-tft"),
}
SETS = {
    "small5": "negmas-tournament-small5.json",
    "medium3": "negmas-tournament-extra-medium3.json",
}


def run_negmas(cfg, scen_root, reps, tmp):
    py = Path.home() / ".negmas-venv/bin/python"
    summary = Path(tmp) / "negmas.json"
    negs = ",".join(NAMES[n][0] for n in cfg["negotiators"])
    cmd = [str(py), str(SHARED / "peers/negmas/tournament.py"), "--scenarios",
           *[str(scen_root / s) for s in cfg["scenarios"]], "--root", str(scen_root),
           "--steps", str(cfg["steps"]), "--reps", str(reps), "--seed", str(cfg["seed"]),
           "--negotiators", negs, "--out", str(Path(tmp) / "negmas.csv"), "--summary", str(summary)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    s = json.loads(summary.read_text())
    return s["n_negotiations"], s["total_wall_seconds"]


def run_pactum(exe, cfg, scen_root, reps, threads, tmp):
    out = Path(tmp) / f"pactum-{threads}.csv"
    for p in (out, Path(str(out) + ".plan.json")):
        if p.exists():
            p.unlink()
    negs = ",".join(NAMES[n][1] for n in cfg["negotiators"])
    cmd = [str(exe), "tournament", "--scenarios", *[str(scen_root / s) for s in cfg["scenarios"]],
           "--root", str(scen_root), "--negotiators", negs, "--steps", str(cfg["steps"]),
           "--reps", str(reps), "--seed", str(cfg["seed"]), "--semantics", "negmas",
           "--out", str(out), "--threads", str(threads)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process = time.perf_counter() - t0
    s = json.loads(out.with_suffix(".summary.json").read_text())
    return s["negotiations_run"], s["wall_seconds"], process


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pactum", default=str(REPO / "target/release/pactum"))
    ap.add_argument("--pactum-reps", type=int, default=200)
    ap.add_argument("--negmas-reps", type=int, default=None)
    ap.add_argument("--sets", default="small5,medium3")
    args = ap.parse_args()
    scen_root = Path(os.environ.get("PACTUM_SCENARIOS", SHARED / "scenarios"))
    print(f"cpus: {os.cpu_count()}")
    for name in args.sets.split(","):
        cfg = json.loads((SHARED / "oracle" / SETS[name]).read_text())
        with tempfile.TemporaryDirectory() as tmp:
            n_reps = args.negmas_reps or cfg["reps"]
            nn, nw = run_negmas(cfg, scen_root, n_reps, tmp)
            nrate = nn / nw
            print(f"\n== {name}: {len(cfg['scenarios'])} scenarios, {len(cfg['negotiators'])} negotiators, "
                  f"{cfg['steps']} steps, seed {cfg['seed']}")
            print(f"NegMAS     reps {n_reps:>4}: {nn:>7} negotiations in {nw:8.3f} s = {nrate:10.1f}/s")
            rates = {}
            for threads in (1, 2):
                pn, pw, pp = run_pactum(args.pactum, cfg, scen_root, args.pactum_reps, threads, tmp)
                rates[threads] = pn / pw
                print(f"pactum {threads}t reps {args.pactum_reps:>4}: {pn:>7} negotiations in {pw:8.3f} s = "
                      f"{pn / pw:10.1f}/s (whole process {pp:.3f} s = {pn / pp:.1f}/s); "
                      f"{pn / pw / nrate:8.0f}x NegMAS")
            print(f"scaling 1 -> 2 threads: {rates[2] / rates[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
