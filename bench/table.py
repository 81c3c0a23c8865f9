#!/usr/bin/env python3
"""Prints the benchmark table from the raw results run.sh collects, one row per (corpus, tool).

    bench/table.py RESULTS.tsv

Each input line: corpus, tool, input kind (mbox|maildir), run number, wall seconds, peak RSS KiB,
store bytes, messages, input bytes (tab-separated). The row shows the median wall time of the
runs, the largest peak RSS, and the ratio of the tool's time to Interlocutor's on the same input
(> 1: the peer is slower). Interlocutor rows are named "interlocutor ingest"; the tool names of
the peers are kept as given.
"""
import statistics
import sys
from collections import OrderedDict


def main():
    rows = OrderedDict()
    for line in open(sys.argv[1], encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) != 9:
            continue
        corpus, tool, kind, _run, secs, kb, store, msgs, inbytes = f
        r = rows.setdefault((corpus, tool, kind), {"secs": [], "kb": [], "store": 0, "msgs": 0, "bytes": 0})
        r["secs"].append(float(secs))
        r["kb"].append(int(kb))
        r["store"] = int(store)
        r["msgs"] = int(msgs)
        r["bytes"] = int(inbytes)
    if not rows:
        sys.exit("table.py: no results")
    ours = {}
    for (corpus, tool, kind), r in rows.items():
        if tool == "interlocutor ingest":
            ours[(corpus, kind)] = statistics.median(r["secs"])
    print("| corpus | tool | input | messages | MB | runs | wall s (median) | msg/s | MB/s | peak RSS MB |"
          " store MB | time / interlocutor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (corpus, tool, kind), r in rows.items():
        s = statistics.median(r["secs"])
        mb = r["bytes"] / 1048576
        base = ours.get((corpus, kind))
        ratio = "%.2fx" % (s / base) if base and tool != "interlocutor ingest" and not tool.startswith("re-ingest") \
            else ("%.1f %%" % (100 * s / ours[(corpus, kind)]) if base and tool.startswith("re-ingest") else "1.00x")
        print("| %s | %s | %s | %d | %.1f | %d | %.3f | %.0f | %.1f | %.0f | %.1f | %s |" % (
            corpus, tool, kind, r["msgs"], mb, len(r["secs"]), s, r["msgs"] / s if s else 0, mb / s if s else 0,
            max(r["kb"]) / 1024, r["store"] / 1048576, ratio))


if __name__ == "__main__":
    main()
