#!/usr/bin/env python3
"""The workspace at scale: one room of 100,000 records, measured with oha.

Generates a case in pactum's own format from the project's demo case
(examples/cases/peace-plan-2025.json): its parties and issues, then N
records in a realistic mix (texts with points, meetings, documents, notes
and, most of all, stances), with mixed visibilities (room-wide, closed to
some parties, a party and the mediator, a party alone, the mediator alone).
About a third of the stances bear on the points of one room-wide version,
the "current" text, so that its page has a busy stance matrix.

It imports the case with `pactum case import`, seats a mediator and a party
delegate (Russia) with `pactum user add`, starts `pactum serve` (release
build, or --pactum PATH) and measures, as each of them, at a fixed rate
(latency counted from when each request was due): the room overview page, the text page, the
stance list (API and page, paginated), one record by id (API), and the
room's JSON summary; then stance writes as the party. Optional hooks:
the search endpoint (`GET /api/rooms/{room}/search?q=`, --search) and the
event stream (`GET /api/rooms/{room}/events`, --events): each is skipped,
saying so, while the server answers 404.

Prints a table and writes every run's summary as JSON (--json FILE).
Python 3 standard library only; the load runs use `oha` when it is on PATH
(fixed rate with latency correction) and otherwise a small driver of their
own that measures the same way. Loopback only.
"""
import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOM = "scale"
MEDIATOR = "united_states"
PARTY = "russia"
PARTIES = ["united_states", "russia", "ukraine", "european_states"]
SPEAKERS = ["russia", "ukraine", "united_states", "european_states"]
CURRENT = "text_current"

WORDS = ("ceasefire line contact territory status guarantee security sanctions relief "
         "withdrawal donetsk forces cap nato membership reconstruction fund sequencing "
         "monitoring mission referendum elections amnesty prisoners exchange grain corridor "
         "nuclear plant zaporizhzhia energy infrastructure language rights church assets "
         "frozen reparations verification timetable phase implementation commission").split()
STANCES = ["accepts", "rejects", "conditional", "proposes_amendment", "unknown"]
RELIABILITY = ["official_on_record", "own_delegation", "named_outlet_report", "unnamed_source",
               "author_commentary"]


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def visibility(rng, party=None):
    """A mix of audiences: mostly room-wide, then closed meetings' parties,
    a party with the mediator, a party alone, the mediator alone."""
    x = rng.random()
    party = party or rng.choice(["russia", "ukraine"])
    if x < 0.55:
        return {"scope": "room"}
    if x < 0.70:
        return {"scope": "parties", "parties": sorted({MEDIATOR, party})}
    if x < 0.85:
        return {"scope": "party_and_mediator", "party": party}
    if x < 0.93 and party != MEDIATOR:
        return {"scope": "party", "party": party}
    return {"scope": "mediator"}


def provenance(rng, party):
    return {"source": f"{party.replace('_', ' ').title()} delegation", "reliability": rng.choice(RELIABILITY),
            "quote": words(rng, 8) if rng.random() < 0.2 else None}


def generate(records, seed):
    """The demo case's parties and issues plus `records` generated records."""
    with open(os.path.join(REPO, "examples", "cases", "peace-plan-2025.json")) as f:
        base = json.load(f)
    rng = random.Random(seed)
    issues = [i["id"] for i in base["issues"]]
    case = {k: base[k] for k in ("format", "format_version", "meta", "parties", "issues")}
    case["room"] = {"id": ROOM, "title": f"Scale benchmark: {records} generated records"}
    case["meta"] = dict(base["meta"], case_id=ROOM, title=case["room"]["title"])
    n_texts = max(2, records // 500)
    n_meetings = max(1, records // 200)
    n_documents = records // 10
    n_notes = records // 10
    n_stances = max(0, records - n_texts - n_meetings - n_documents - n_notes)
    texts, points_of, visible_texts = [], {}, []
    for t in range(n_texts):
        tid = CURRENT if t == 0 else f"text_{t}"
        vis = {"scope": "room"} if t == 0 else visibility(rng, rng.choice(SPEAKERS))
        if vis["scope"] == "party":
            vis = {"scope": "mediator"}
        pts = [{"id": f"{tid}.p{k}", "number": k + 1, "title": words(rng, 4), "body": words(rng, 40),
                "issue_ids": [rng.choice(issues)]} for k in range(30)]
        points_of[tid] = [p["id"] for p in pts]
        if vis["scope"] == "room":
            visible_texts.append(tid)
        texts.append({"id": tid, "label": "Current version" if t == 0 else f"Version {t}",
                      "kind": "plan_version", "version": None if vis["scope"] == "mediator" else t + 1,
                      "author_party_ids": [MEDIATOR], "content_known": True, "points": pts,
                      "visibility": vis})
    meetings = []
    for m in range(n_meetings):
        a, b = MEDIATOR, rng.choice(["russia", "ukraine"])
        meetings.append({"id": f"meeting_{m}", "title": f"Round {m}: {words(rng, 3)}", "kind": "talks",
                         "status": "held", "date": f"2025-{1 + m % 12:02d}-{1 + m % 28:02d}",
                         "participants": [{"party_id": a}, {"party_id": b}],
                         "reported_outcome": [{"summary": words(rng, 20)}],
                         "visibility": {"scope": "room"} if rng.random() < 0.5
                         else {"scope": "parties", "parties": sorted({a, b})}})
    documents = [{"id": f"document_{d}", "title": words(rng, 5), "content": words(rng, 80),
                  "text_id": rng.choice(visible_texts), "author_party_ids": [rng.choice(SPEAKERS)],
                  "visibility": visibility(rng)} for d in range(n_documents)]
    notes = []
    for k in range(n_notes):
        who = rng.choice(SPEAKERS)
        notes.append({"id": f"note_{k}", "text": words(rng, 30), "author": who,
                      "visibility": {"scope": "party", "party": who} if who != MEDIATOR and rng.random() < 0.5
                      else visibility(rng, who)})
    stances = []
    for s in range(n_stances):
        party = rng.choice(SPEAKERS)
        x = rng.random()
        if x < 0.35:
            target = {"text_id": CURRENT, "point_id": rng.choice(points_of[CURRENT]), "issue_id": None}
        elif x < 0.65:
            tid = rng.choice(visible_texts)
            target = {"text_id": tid, "point_id": rng.choice(points_of[tid]), "issue_id": None}
        elif x < 0.85:
            target = {"text_id": rng.choice(visible_texts), "point_id": None, "issue_id": None}
        else:
            target = {"text_id": None, "point_id": None, "issue_id": rng.choice(issues)}
        vis = visibility(rng, party if party in ("russia", "ukraine") else None)
        kind = rng.choice(STANCES)
        stances.append({"id": f"stance_{s}", "party_id": party, "target": target,
                        "stance": kind, "summary": words(rng, 15),
                        "amendment": words(rng, 25) if kind == "proposes_amendment" else None,
                        "date": f"2025-{1 + s % 12:02d}-{1 + s % 28:02d}",
                        "meeting_id": None, "provenance": provenance(rng, party), "visibility": vis})
    case.update(texts=texts, meetings=meetings, stances=stances, documents=documents, notes=notes)
    return case


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(url, token=None, body=None, method=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"), headers=headers)
    with urllib.request.urlopen(req) as r:
        return r.status, r.read(), dict(r.headers)


def status_of(url, token):
    try:
        return request(url, token)[0]
    except urllib.error.HTTPError as e:
        return e.code


def oha(args):
    out = subprocess.run(["oha", "--no-tui", "--output-format", "json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def drive(url, token, seconds, rate=None, connections=4, body=None):
    """A load run in the shape of oha's JSON summary, for machines without
    oha: `connections` keep-alive clients send `rate` requests per second
    in all (each latency counted from when its request was due, as oha's
    --latency-correction does), or as fast as they can with no rate."""
    import http.client
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    lock = threading.Lock()
    latencies, codes, nxt = [], {}, [0]
    start = time.perf_counter() + 0.05
    end = start + seconds

    def worker():
        c = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            due = start + i / rate if rate else time.perf_counter()
            if due >= end:
                break
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                c.request("POST" if data else "GET", path, body=data, headers=headers)
                r = c.getresponse()
                r.read()
                code = str(r.status)
            except (OSError, http.client.HTTPException):
                c.close()
                c = http.client.HTTPConnection(host, int(port), timeout=60)
                code = "error"
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                codes[code] = codes.get(code, 0) + 1
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    took = max(time.perf_counter() - start, 1e-9)
    return {"summary": {"requestsPerSec": len(latencies) / took},
            "latencyPercentiles": {"p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99)},
            "statusCodeDistribution": codes, "driver": "bench/scale.py (stdlib)"}


def load(url, token, seconds, rate=None, connections=4, body=None):
    """One load run, with oha when it is on PATH, else with [`drive`]."""
    if not shutil.which("oha"):
        return drive(url, token, seconds, rate, connections, body)
    args = ["-z", f"{seconds}s", "-c", str(connections), "-H", f"Authorization: Bearer {token}"]
    if rate:
        args += ["-q", str(rate), "--latency-correction"]
    if body is not None:
        args += ["-m", "POST", "-T", "application/json", "-d", json.dumps(body)]
    return oha([*args, url])


def sse_fanout(base, room, token, streams, writes, writer_token, body):
    """Opens `streams` event streams, makes `writes` writes, and returns the
    delays (seconds) from each write's answer to its event on each stream
    that may see it (the party's own writes: every stream)."""
    import http.client
    host, port = base.split("//")[1].split(":")
    seen = []
    lock = threading.Lock()
    sent = {}
    ready = threading.Barrier(streams + 1)

    def reader():
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        c.request("GET", f"/api/rooms/{room}/events", headers={"Authorization": f"Bearer {token}",
                                                               "Accept": "text/event-stream"})
        r = c.getresponse()
        ready.wait()
        got = 0
        while got < writes:
            line = r.fp.readline()
            if not line:
                break
            text = line.decode(errors="replace")
            for k, t0 in list(sent.items()):
                if k in text:
                    with lock:
                        seen.append(time.perf_counter() - t0)
                    got += 1
                    break
        c.close()

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(streams)]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.5)
    for i in range(writes):
        b = dict(body, summary=f"fanout-marker-{i}-{random.random()}")
        status, raw, _ = request(f"{base}/api/rooms/{room}/stances", writer_token, b)
        rid = json.loads(raw).get("id")
        sent[rid or b["summary"]] = time.perf_counter()
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=10)
    return sorted(seen)


def pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000, help="generated records (default 100000)")
    ap.add_argument("--seed", type=int, default=20261205, help="generator seed")
    ap.add_argument("--rate", type=int, default=50, help="read requests per second per endpoint (default 50)")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each read run (default 10)")
    ap.add_argument("--write-seconds", type=int, default=10, help="duration of the write run (default 10)")
    ap.add_argument("--connections", type=int, default=8, help="concurrent writers (default 8)")
    ap.add_argument("--database-url", help="PostgreSQL (an empty database) instead of a fresh SQLite file")
    ap.add_argument("--pactum", help="the pactum binary (default: build and use target/release/pactum)")
    ap.add_argument("--search", nargs="?", const="ceasefire", help="also measure search for this query")
    ap.add_argument("--events", type=int, nargs="?", const=200,
                    help="also measure event fan-out to this many streams (default 200)")
    ap.add_argument("--case-out", help="also keep the generated case file here")
    ap.add_argument("--json", help="write the oha summaries here")
    args = ap.parse_args()
    print("load driver:", "oha" if shutil.which("oha") else "bench/scale.py's own (oha is not on PATH)")
    pactum = args.pactum
    if not pactum:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "pactum-cli"], cwd=REPO, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        pactum = os.path.join(target, "release", "pactum")

    tmp = tempfile.mkdtemp()
    db = ["--database-url", args.database_url] if args.database_url else ["--db", os.path.join(tmp, "scale.db")]
    t0 = time.perf_counter()
    case = generate(args.records, args.seed)
    path = args.case_out or os.path.join(tmp, "case.json")
    with open(path, "w") as f:
        json.dump(case, f)
    counts = {k: len(v) for k, v in case.items() if isinstance(v, list)}
    print(f"generated {sum(counts.values())} records {counts} ({os.path.getsize(path) / 1e6:.0f} MB)"
          f" in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    subprocess.run([pactum, "case", "import", path, "--room", ROOM, *db], check=True, capture_output=True)
    print(f"imported in {time.perf_counter() - t0:.1f} s", flush=True)
    for user, party in (("mediator", MEDIATOR), ("delegate", PARTY)):
        subprocess.run([pactum, "user", "add", user, "--room", ROOM, "--party", party, "--password-stdin", *db],
                       input=f"{user}-scale-password\n", text=True, check=True, capture_output=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, "serve.log"), "w")
    server = subprocess.Popen([pactum, "serve", "--bind", f"127.0.0.1:{port}", *db], stdout=log, stderr=log)
    results, rows = {"records": counts}, []
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/openapi.json")
                break
            except OSError:
                time.sleep(0.1)
        tokens = {}
        for user in ("mediator", "delegate"):
            _, raw, _ = request(base + "/api/login", body={"user": user, "password": f"{user}-scale-password"})
            tokens[user] = json.loads(raw)["token"]
        # The first read of each view builds it; time it apart.
        for user in ("mediator", "delegate"):
            t1 = time.perf_counter()
            request(f"{base}/api/rooms/{ROOM}", tokens[user])
            results[f"first read ({user})"] = time.perf_counter() - t1
        _, raw, _ = request(f"{base}/api/rooms/{ROOM}/stances?limit=1", tokens["delegate"])
        stance_id = json.loads(raw)[0]["id"]
        reads = {
            "room summary (API)": f"/api/rooms/{ROOM}",
            "room overview page": f"/rooms/{ROOM}",
            "text page": f"/rooms/{ROOM}/texts/{CURRENT}",
            "stance list (API, 100)": f"/api/rooms/{ROOM}/stances?limit=100",
            "stance list (API, page 50)": f"/api/rooms/{ROOM}/stances?limit=100&after=5000",
            "stance list page": f"/rooms/{ROOM}/stances",
            "record by id (API)": f"/api/rooms/{ROOM}/stances/{stance_id}",
        }
        if args.search:
            url = f"/api/rooms/{ROOM}/search?q={urllib.request.quote(args.search)}"
            if status_of(base + url, tokens["delegate"]) == 404:
                print(f"search: skipped ({url} answers 404: not in this build)")
            else:
                reads[f"search {args.search!r}"] = url
        for user in ("mediator", "delegate"):
            for name, url in reads.items():
                r = load(base + url, tokens[user], args.seconds, rate=args.rate)
                results[f"{name} ({user})"] = r
                p = r["latencyPercentiles"]
                rows.append((f"{name} ({user})", r["summary"]["requestsPerSec"], p["p50"] * 1e3, p["p99"] * 1e3,
                             r.get("statusCodeDistribution", {})))
                print(f"  {rows[-1][0]:<40} p50 {rows[-1][2]:8.2f} ms  p99 {rows[-1][3]:8.2f} ms  {rows[-1][4]}",
                      flush=True)
        body = {"party_id": PARTY, "target": {"text_id": CURRENT, "point_id": f"{CURRENT}.p3"},
                "stance": "conditional", "summary": "Benchmark stance",
                "provenance": {"source": "Russia's delegation", "reliability": "own_delegation"}}
        w = load(base + f"/api/rooms/{ROOM}/stances", tokens["delegate"], args.write_seconds,
                 connections=args.connections, body=body)
        results["stance writes"] = w
        created = w.get("statusCodeDistribution", {}).get("201", 0)
        wp = w["latencyPercentiles"]
        # A read right after writes: the views are built anew.
        t1 = time.perf_counter()
        request(f"{base}/rooms/{ROOM}/texts/{CURRENT}", tokens["delegate"])
        results["text page after a write (delegate)"] = time.perf_counter() - t1
        if args.events:
            url = f"{base}/api/rooms/{ROOM}/events"
            try:
                req = urllib.request.Request(url, headers={"Authorization": f"Bearer {tokens['mediator']}"})
                code = urllib.request.urlopen(req, timeout=2).status
            except urllib.error.HTTPError as e:
                code = e.code
            except OSError:
                code = 200  # a stream that stays open
            if code == 404:
                print(f"events: skipped (/api/rooms/{ROOM}/events answers 404: not in this build)")
            else:
                delays = sse_fanout(base, ROOM, tokens["mediator"], args.events, 20, tokens["delegate"], body)
                results["event fan-out"] = {"streams": args.events, "delays": delays}
                print(f"event fan-out to {args.events} streams: {len(delays)} deliveries,"
                      f" p50 {pct(delays, 0.5) * 1e3:.1f} ms, p99 {pct(delays, 0.99) * 1e3:.1f} ms")
    finally:
        server.terminate()
        server.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nbackend: {backend}; {sum(counts.values())} records in one room; reads at {args.rate}/s for"
          f" {args.seconds} s each")
    print(f"{'endpoint (as)':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  status codes")
    for name, rps, p50, p99, codes in rows:
        print(f"{name:<40} {rps:8.1f} {p50:8.2f} {p99:8.2f}  {codes}")
    for user in ("mediator", "delegate"):
        print(f"first read as the {user} (builds the view): {results[f'first read ({user})'] * 1e3:.0f} ms")
    print(f"stance writes: {created} acknowledged (201) in {args.write_seconds} s with {args.connections} clients"
          f" = {created / args.write_seconds:.0f}/s; p50 {wp['p50'] * 1e3:.1f} ms, p99 {wp['p99'] * 1e3:.1f} ms;"
          f" status codes {w.get('statusCodeDistribution')}")
    print(f"text page right after the writes (view rebuilt): "
          f"{results['text page after a write (delegate)'] * 1e3:.0f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
