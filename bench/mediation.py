#!/usr/bin/env python3
"""Single-text mediation: NegMAS's VetoSTMechanism / HillClimbingSTMechanism
against `pactum mediate`, on the 3-party ANAC scenarios, in one run.

For every scenario, the same proposal budget (--steps) and the same seeds:

* NegMAS 0.16.0 (in $HOME/.negmas-venv, or NEGMAS_PYTHON): a driver written
  here loads each scenario as the oracle ../shared/oracle/negmas-st-3party.json
  did (Scenario.from_genius_folder, then normalize(to=(0, 1),
  common_range=False, guarantee_max=True, guarantee_min=True) unless already
  normalised; party i = i-th profile by file name), seeds `random` and numpy
  before constructing each mechanism, adds one BinaryComparatorNegotiator per
  party, and times construction + adding + run() with perf_counter;
* `pactum mediate DIR --semantics negmas --json` (NegMAS-normalised ufuns)
  for every mediator; its `seconds` is the mediation alone (loading
  excluded, like NegMAS's time), and the whole-process wall time is shown
  beside it.

Welfare fraction = sum of utilities of the final text / max welfare; Nash
fraction = prod(u_i - d_i) / max of that product (0 if some u_i < d_i),
d_i = reservation value if finite and >= min_i, else min_i (NegMAS's rule,
as in the oracle). The optima come from `pactum analyze --json --semantics
negmas --normalize independent` (exact enumeration). Means over seeds.

Usage (from the repository root, after `cargo build --release -p pactum-cli`):

    python3 bench/mediation.py                       # 1000 proposals, seeds 0-4
    python3 bench/mediation.py --steps 1000 --seeds 10 --no-negmas
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "anac/y2015/group2-dinner",
    "anac/y2015/group2-politics",
    "anac/y2016/Atlas3",
    "anac/y2016/Caduceus",
    "anac/y2016/Farma",
    "anac/y2016/parsCat",
]
MEDIATORS = ["sweep", "annealing", "hill-climb", "random-veto"]

NEGMAS_DRIVER = r'''
import copy, json, random, sys, time
import numpy as np
from negmas.inout import Scenario
from negmas.st import VetoSTMechanism, HillClimbingSTMechanism
from negmas.negotiators.simple import BinaryComparatorNegotiator
from negmas.preferences.discounted import DiscountedUtilityFunction

def undiscounted(u):
    while isinstance(u, DiscountedUtilityFunction):
        u = u.ufun
    return u

cfg = json.loads(sys.argv[1])
out = []
for path in cfg["paths"]:
    s = Scenario.from_genius_folder(path)
    if not s.is_normalized(common_range=False):
        s = s.normalize(to=(0.0, 1.0), common_range=False, guarantee_max=True,
                        guarantee_min=True)
    plain = [undiscounted(u) for u in s.ufuns]
    runs = {}
    for name, cls in (("veto", VetoSTMechanism), ("hill", HillClimbingSTMechanism)):
        rs = []
        for seed in cfg["seeds"]:
            # Each run gets fresh ufun copies, made before the clock starts
            # so that only construction, adding and run() are timed.
            ufuns = [copy.deepcopy(u) for u in s.ufuns]
            random.seed(seed)
            np.random.seed(seed)
            t0 = time.perf_counter()
            m = cls(outcome_space=s.outcome_space, n_steps=cfg["steps"])
            for i, u in enumerate(ufuns):
                m.add(BinaryComparatorNegotiator(name=f"p{i}"), ufun=u)
            m.run()
            secs = time.perf_counter() - t0
            text = m.current_offer
            utils = None if text is None else [float(u(text)) for u in plain]
            rs.append({"seed": seed, "seconds": secs, "utils": utils, "steps": m.state.step})
        runs[name] = rs
    out.append({"path": path, "runs": runs})
print(json.dumps(out))
'''


def analyze(exe, d):
    r = subprocess.run([exe, "analyze", str(d), "--json", "--semantics", "negmas",
                        "--normalize", "independent"], check=True, capture_output=True, text=True)
    a = json.loads(r.stdout)
    lo = [x[0] for x in a["ranges"]]
    dis = []
    for p, m in zip(a["parties"], lo):
        rv = float(p["reservation_used"]) if p["reservation_used"] is not None else -math.inf
        dis.append(rv if math.isfinite(rv) and rv >= m else m)
    best_w = sum(a["max_welfare"][0]["utilities"])
    best_n = math.prod(u - x for u, x in zip(a["nash"][0]["utilities"], dis))
    return best_w, best_n, dis


def fractions(utils, best_w, best_n, dis):
    if utils is None:
        return 0.0, 0.0
    w = sum(utils) / best_w
    n = 0.0 if any(u < x for u, x in zip(utils, dis)) else \
        math.prod(u - x for u, x in zip(utils, dis)) / best_n
    return w, n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pactum", default=str(REPO / "target/release/pactum"))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--no-negmas", action="store_true")
    args = ap.parse_args()
    root = Path(os.environ.get("PACTUM_SCENARIOS", REPO.parent / "shared" / "scenarios"))
    py = os.environ.get("NEGMAS_PYTHON", str(Path.home() / ".negmas-venv/bin/python"))
    seeds = list(range(args.seeds))
    negmas = {}
    if not args.no_negmas:
        cfg = {"paths": [str(root / s) for s in SCENARIOS], "seeds": seeds, "steps": args.steps}
        with tempfile.TemporaryDirectory() as tmp:
            drv = Path(tmp) / "negmas_st.py"
            drv.write_text(NEGMAS_DRIVER)
            r = subprocess.run([py, str(drv), json.dumps(cfg)], check=True, capture_output=True,
                               text=True, cwd=tmp)
        for s, res in zip(SCENARIOS, json.loads(r.stdout)):
            negmas[s] = res["runs"]
    print(f"steps {args.steps}, seeds {seeds}; welfare and Nash as fractions of the exact optimum; "
          f"seconds per run (mediation only; pactum's whole process in brackets)")
    header = f"{'scenario':<28} {'who':<22} {'welfare':>8} {'min':>7} {'nash':>7} {'proposals':>9} {'seconds':>10}"
    print(header)
    summary = {}
    for s in SCENARIOS:
        d = root / s
        best_w, best_n, dis = analyze(args.pactum, d)
        rows = []
        for name, runs in negmas.get(s, {}).items():
            fr = [fractions(r["utils"], best_w, best_n, dis) for r in runs]
            rows.append((f"NegMAS {name}", fr, statistics.mean(r["steps"] for r in runs),
                         statistics.mean(r["seconds"] for r in runs), None))
        for m in MEDIATORS:
            fr, secs, procs, props = [], [], [], []
            for seed in seeds:
                t0 = time.perf_counter()
                r = subprocess.run([args.pactum, "mediate", str(d), "--semantics", "negmas",
                                    "--mediator", m, "--steps", str(args.steps), "--seed", str(seed),
                                    "--json"], check=True, capture_output=True, text=True)
                procs.append(time.perf_counter() - t0)
                j = json.loads(r.stdout)
                fr.append(fractions(j["text_utilities"], best_w, best_n, dis))
                secs.append(j["seconds"])
                props.append(j["proposals"])
            rows.append((f"pactum {m}", fr, statistics.mean(props), statistics.mean(secs),
                         statistics.mean(procs)))
        for who, fr, props, secs, proc in rows:
            w = statistics.mean(x[0] for x in fr)
            wmin = min(x[0] for x in fr)
            n = statistics.mean(x[1] for x in fr)
            extra = f" [{proc:.4f}]" if proc is not None else ""
            print(f"{s:<28} {who:<22} {w:8.4f} {wmin:7.4f} {n:7.4f} {props:9.1f} {secs:10.6f}{extra}")
            summary[(s, who)] = (w, secs, proc)
        if s in negmas:
            nv = summary[(s, "NegMAS veto")][1]
            _, ps, pp = summary[(s, "pactum sweep")]
            print(f"{s:<28} speed: NegMAS veto / pactum sweep = {nv / ps:,.0f}x (mediation), "
                  f"{nv / pp:,.1f}x (pactum's whole process)")
    for who in sorted({k[1] for k in summary}):
        ws = [v[0] for k, v in summary.items() if k[1] == who]
        print(f"mean over scenarios  {who:<22} welfare {statistics.mean(ws):.4f}  worst scenario {min(ws):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
