#!/usr/bin/env python3
"""Medians per row of llamacpp-compare.sh's results.tsv, with our rows' ratios to llama.cpp
(decode against Q4_0, prefill against Q8_0: the issue's targets) as a markdown table."""
import statistics
import sys

rows, header = {}, []
for line in open(sys.argv[1]):
    if line.startswith("#"):
        header.append(line[1:].strip())
        continue
    f = line.rstrip("\n").split("\t")
    if f[0] == "round" or len(f) < 6 or not f[2] or not f[3]:
        continue
    r = rows.setdefault(f[1], {"pp": [], "tg": [], "rss": [], "load": []})
    r["pp"].append(float(f[2]))
    r["tg"].append(float(f[3]))
    r["rss"].append(int(f[4] or 0))
    r["load"].append(float(f[5]))

med = {k: (statistics.median(v["pp"]), statistics.median(v["tg"]), max(v["rss"]), len(v["pp"]),
           min(v["load"]), max(v["load"])) for k, v in rows.items()}
q4 = med.get("llama.cpp-Q4_0", (0, 0))[1]
q8 = med.get("llama.cpp-Q8_0", (0, 0))[0]
for h in header:
    print("<!-- " + h + " -->")
print("| row | runs | pp128 tok/s | tg128 tok/s | peak RSS MiB | decode / llama.cpp Q4_0 | prefill / llama.cpp Q8_0 | load avg |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for k, (pp, tg, rss, n, lo, hi) in med.items():
    dr = "%.2fx" % (tg / q4) if q4 else "-"
    pr = "%.2fx" % (pp / q8) if q8 else "-"
    print("| %s | %d | %.1f | %.1f | %d | %s | %s | %.1f-%.1f |" % (k, n, pp, tg, rss, dr, pr, lo, hi))
