#!/usr/bin/env python3
"""Runs the Flink jobs over a matrix of inputs and parallelisms and records, per run, the
runner's result line plus peak RSS and CPU seconds (from /usr/bin/time -v, which waits on the JVM
itself since bench/flink/run execs java), optionally checking each output against reference.py.

  measure.py --input 10k=taxi-10k.jsonl --input 1m=taxi-1m.jsonl \\
             --dedup-input 10k=taxi-10k-dup.jsonl --dedup-input 1m=taxi-1m-dup.jsonl \\
             --parallelism 1,2 --out-dir /tmp/flink-out --results results.jsonl [--check]
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
JOBS = ["silver", "zone-5m", "sessions", "dedup"]


def pairs(values):
    out = {}
    for v in values or []:
        name, _, path = v.partition("=")
        if not path:
            sys.exit(f"expected NAME=FILE, got {v}")
        out[name] = path
    return out


def run_one(job, size, path, p, out_dir, check):
    out = os.path.join(out_dir, f"{job}-{size}-p{p}")
    cmd = ["/usr/bin/time", "-v", os.path.join(HERE, "run"), "--job", job, "--input", path,
           "--out", out, "--parallelism", str(p)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        return {"job": job, "size": size, "parallelism": p, "error": proc.returncode}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    result["size"] = size
    result["peakRssMb"] = round(int(rss.group(1)) / 1024) if rss else None
    # CPU seconds (user + system) of the JVM: on a shared machine the wall time depends on the
    # other load, the CPU time much less.
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", proc.stderr)]
    result["cpuSec"] = round(sum(cpu), 1) if cpu else None
    if check:
        ext = "json" if job == "silver" else "jsonl"
        ref = subprocess.run([sys.executable, os.path.join(HERE, "reference.py"), "--job", job,
                              "--input", path, "--flink", os.path.join(out, f"{job}.{ext}")],
                             capture_output=True, text=True)
        verdict = json.loads(ref.stdout.strip().splitlines()[-1])
        result["referenceEqual"] = ref.returncode == 0
        if ref.returncode != 0:
            result["referenceDiff"] = verdict
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", action="append", help="NAME=FILE for silver, zone-5m, sessions")
    ap.add_argument("--dedup-input", action="append", help="NAME=FILE (with duplicates) for dedup")
    ap.add_argument("--jobs", default=",".join(JOBS))
    ap.add_argument("--parallelism", default="1,2")
    ap.add_argument("--out-dir", default="out/flink")
    ap.add_argument("--results", default=None, help="append one JSON line per run here")
    ap.add_argument("--check", action="store_true", help="compare each output with reference.py")
    args = ap.parse_args()
    inputs, dedup_inputs = pairs(args.input), pairs(args.dedup_input)
    for size in inputs or dedup_inputs:
        for job in args.jobs.split(","):
            path = (dedup_inputs if job == "dedup" else inputs).get(size)
            if path is None:
                continue
            for p in (int(x) for x in args.parallelism.split(",")):
                r = run_one(job, size, path, p, args.out_dir, args.check)
                line = json.dumps(r)
                print(line, flush=True)
                if args.results:
                    with open(args.results, "a") as f:
                        f.write(line + "\n")


if __name__ == "__main__":
    main()
