"""Print the table of bench/engine/run from the raw figures in OUT.

usage: table.py OUT
"""
import json
import statistics
import sys


def lines(path):
    with open(path) as f:
        return [l for l in f if l.strip()]


def row(name, median, runs=""):
    print(f"{name:36}{median:>10}  {runs}")


def main():
    out = sys.argv[1]
    med = statistics.median
    sync = [list(map(float, l.split())) for l in lines(f"{out}/sync.txt")]
    floor = [json.loads(l) for l in lines(f"{out}/floor.jsonl")]
    rec = list(map(float, open(f"{out}/recorded-run.txt").read().split()))
    reqs = [json.loads(l) for l in lines(f"{out}/recorded.jsonl")]
    mb = sum(r["resp_bytes"] for r in reqs) / 1e6
    print(f"initial sync: 1000 events, 200 tasks, 1000 contacts, 2000 mails; {len(reqs)} requests, "
          f"{mb:.1f} MB of answers; {len(sync)} runs each")
    row("", "median", "runs")
    w = med(s[0] for s in sync)
    fw = med(f["wall_s"] for f in floor)
    row("easbridge wall (s)", f"{w:.1f}", " ".join(f"{s[0]:.1f}" for s in sync))
    row("easbridge CPU user+sys (s)", f"{med(s[1] + s[2] for s in sync):.2f}", " ".join(f"{s[1] + s[2]:.2f}" for s in sync))
    row("easbridge peak RSS (MB)", f"{med(s[3] for s in sync) / 1024:.1f}", " ".join(f"{s[3] / 1024:.1f}" for s in sync))
    row("floor wall (s)", f"{fw:.1f}", " ".join(f"{f['wall_s']:.1f}" for f in floor))
    row("floor CPU user+sys (s)", f"{med(f['user_s'] + f['sys_s'] for f in floor):.2f}")
    row("ratio wall easbridge / floor", f"{w / fw:.2f}", "pairs: " + " ".join(
        f"{s[0] / f['wall_s']:.2f}" for s, f in zip(sync, floor)))
    row("recording run, via proxy, wall (s)", f"{rec[0]:.1f}")
    for kind, what in (("mail", "push: mail on server -> Maildir (s)"), ("dav", "push: DAV PUT -> SOGo CalDAV (s)")):
        p = json.load(open(f"{out}/push-{kind}.json"))
        lat = p["latencies_s"]
        if lat:
            row(what, f"{med(lat):.2f}", f"min {min(lat):.2f} max {max(lat):.2f} n={len(lat)} missed={p['missed']}")
    i = json.load(open(f"{out}/idle.json"))
    span = (i["t1_ms"] - i["t0_ms"]) / 1000
    done = [json.loads(l) for l in lines(f"{out}/run-requests.jsonl")]
    inwin = [r for r in done if i["t0_ms"] <= r["t"] + r["ms"] <= i["t1_ms"]]
    cpu = i["cpu_ticks"] / i["hz"]
    cmds = ", ".join(sorted({r["cmd"] or r["method"] for r in inwin})) or "none"
    row(f"idle {span / 60:.1f} min: CPU (s)", f"{cpu:.2f}", f"{cpu * 3600 / span:.2f} CPU s per hour")
    row(f"idle {span / 60:.1f} min: requests", f"{len(inwin)}", f"({cmds}) {len(inwin) * 3600 / span:.1f} per hour")


if __name__ == "__main__":
    main()
