#!/usr/bin/env python3
"""Load benchmark of the mediation workspace on loopback, with oha.

Starts `pactum serve --demo` (release build) on a fresh SQLite file (or the
PostgreSQL URL given with --database-url), then:

  reads   GET endpoints of the demo room at a fixed rate (default 200/s) for
          a fixed time, as a party delegate (whose reads of the closed
          Kremlin meeting's records are audited, so reads also write): the
          latency percentiles at that rate;
  writes  POST /api/rooms/<room>/stances as fast as --connections clients
          can, as a party delegate: acknowledged (201) writes per second;
  import  POST /api/import/preview of the shared case grown to --records
          records (its stances repeated under new ids), as the demo
          operator: wall time per preview, best and median of
          --preview-runs (the whole request, client side).

Prints a table and writes the raw oha summaries as JSON (--json FILE).
Needs `oha` (cargo install oha) on PATH. Loopback only.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOM = "peace-plan-2025"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def text_id(base, token, label):
    """The demo room's id of the text with this label: the demo's records
    get fresh ids when the room is made, so the file's ids do not name them."""
    for t in get(base + f"/api/rooms/{ROOM}/texts", token):
        if t["body"].get("label") == label:
            return t["id"]
    sys.exit(f"the demo room has no text labelled {label!r}")


def big_case(records):
    """The shared case (../shared/cases/peace-plan-2025/case.json, read at
    run time, never copied into the project) grown to about `records`
    records by repeating its stances under new ids: every derivation rule
    runs on each of them (closed meetings, restricted texts, points)."""
    path = os.path.join(REPO, "..", "shared", "cases", "peace-plan-2025", "case.json")
    with open(path) as f:
        case = json.load(f)
    base = case["stances"]
    fixed = sum(len(v) for v in case.values() if isinstance(v, list)) - len(base)
    grown = []
    k = 0
    while fixed + len(grown) < records:
        s = dict(base[k % len(base)])
        s["id"] = f"{s['id']}_x{k}"
        grown.append(s)
        k += 1
    case["stances"] = grown
    return case


def time_previews(base, token, case, runs):
    body = json.dumps(case).encode()
    times = []
    for _ in range(runs):
        req = urllib.request.Request(base + "/api/import/preview", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req) as r:
            preview = json.load(r)
        times.append(time.perf_counter() - t0)
    return sorted(times), preview


def oha(args):
    out = subprocess.run(["oha", "--no-tui", "--output-format", "json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=200, help="read requests per second (default 200)")
    ap.add_argument("--seconds", type=int, default=20, help="duration of each read run (default 20)")
    ap.add_argument("--write-seconds", type=int, default=10, help="duration of the write run (default 10)")
    ap.add_argument("--connections", type=int, default=16, help="concurrent writers (default 16)")
    ap.add_argument("--database-url", help="PostgreSQL instead of a fresh SQLite file")
    ap.add_argument("--records", type=int, default=5000, help="records in the previewed case (default 5000)")
    ap.add_argument("--preview-runs", type=int, default=5, help="import previews timed (default 5)")
    ap.add_argument("--json", help="write the oha summaries here")
    args = ap.parse_args()
    if not shutil.which("oha"):
        sys.exit("oha is not on PATH (cargo install oha)")

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "pactum-cli"], cwd=REPO, check=True)
    tmp = tempfile.mkdtemp()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = ["--database-url", args.database_url] if args.database_url else ["--db", os.path.join(tmp, "bench.db")]
    log = open(os.path.join(tmp, "serve.log"), "w")
    server = subprocess.Popen([os.path.join(REPO, "target/release/pactum"), "serve", "--demo",
                               "--bind", f"127.0.0.1:{port}", *db], stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/openapi.json")
                break
            except OSError:
                time.sleep(0.1)
        reader = post(base + "/api/login", {"user": "russia", "password": "russia-demo"})["token"]
        writer = post(base + "/api/login", {"user": "ukraine", "password": "ukraine-demo"})["token"]
        results = {}
        v2 = text_id(base, reader, "Version revised after the Geneva consultations")
        reads = {
            "room summary": f"/api/rooms/{ROOM}",
            "stance ledger": f"/api/rooms/{ROOM}/stances",
            "stance matrix v2": f"/api/rooms/{ROOM}/texts/{v2}/matrix",
            "meetings (audited)": f"/api/rooms/{ROOM}/meetings",
            "case export": f"/api/rooms/{ROOM}/export",
        }
        rows = []
        for name, path in reads.items():
            r = oha(["-z", f"{args.seconds}s", "-q", str(args.rate), "--latency-correction", "-c", "8",
                     "-H", f"Authorization: Bearer {reader}", base + path])
            results[name] = r
            p = r["latencyPercentiles"]
            codes = r.get("statusCodeDistribution", {})
            rows.append((name, r["summary"]["requestsPerSec"], p["p50"] * 1e3, p["p99"] * 1e3, codes))
        body = json.dumps({
            "party_id": "ukraine", "target": {"issue_id": "territory_status"}, "stance": "conditional",
            "summary": "Benchmark stance", "provenance": {"source": "Ukraine's delegation", "reliability": "own_delegation"},
        })
        w = oha(["-z", f"{args.write_seconds}s", "-c", str(args.connections), "-m", "POST", "-T", "application/json",
                 "-d", body, "-H", f"Authorization: Bearer {writer}", base + f"/api/rooms/{ROOM}/stances"])
        results["stance writes"] = w
        created = w.get("statusCodeDistribution", {}).get("201", 0)
        wp = w["latencyPercentiles"]
        operator = post(base + "/api/login", {"user": "operator", "password": "operator-demo"})["token"]
        previews, preview = time_previews(base, operator, big_case(args.records), args.preview_runs)
        results["import preview"] = {"seconds": previews, "records": len(preview.get("records", []))}
    finally:
        server.terminate()
        server.wait()
    verify = subprocess.run([os.path.join(REPO, "target/release/pactum"), "audit", "verify", *db],
                            capture_output=True, text=True)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"backend: {backend}; reads at {args.rate}/s for {args.seconds} s each, as a party delegate")
    print(f"{'endpoint':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  status codes")
    for name, rps, p50, p99, codes in rows:
        print(f"{name:<22} {rps:8.1f} {p50:8.2f} {p99:8.2f}  {codes}")
    print(f"stance writes: {created} acknowledged (201) in {args.write_seconds} s with {args.connections} clients"
          f" = {created / args.write_seconds:.0f}/s; p50 {wp['p50'] * 1e3:.1f} ms, p99 {wp['p99'] * 1e3:.1f} ms;"
          f" status codes {w.get('statusCodeDistribution')}")
    print(f"import preview of a {args.records}-record case ({results['import preview']['records']} rows previewed):"
          f" best {previews[0]:.3f} s, median {previews[len(previews) // 2]:.3f} s over {len(previews)} runs")
    print(verify.stdout.strip() or verify.stderr.strip())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
