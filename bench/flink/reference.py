#!/usr/bin/env python3
"""Recomputes a benchmark job in plain Python and compares it with the Flink runner's output.

Semantics follow docs/semantics.md, read sequentially (parallelism 1): Silver filter, watermark
W = max pickup - delay - 1 ms advanced per record, a record whose window already fired
(window end - 1 <= W when it arrives) is dropped as late, end of input fires everything.
Money compares to the cent. Used to check the Flink SQL by hand, with the runner started with the
same delay and a watermark per record (--watermark-interval-ms 0):

  reference.py --job zone-5m --input FILE --watermark-delay-ms 30000 --flink OUT/zone-5m.jsonl
"""
import argparse
import datetime as dt
import hashlib
import heapq
import json
import math
from decimal import ROUND_HALF_UP, Decimal
import sys
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")
JAN = dt.datetime(2024, 1, 1)
FEB = dt.datetime(2024, 2, 1)
# Set from --watermark-delay-ms in main(): the delay plus the 1 ms of boundedOutOfOrderness.
DELAY_MS = 30_000 + 1


def num(v, kind=float):
    """Flink's JSON reader accepts numbers and numeric strings; anything else reads as NULL."""
    if v is None or isinstance(v, bool):
        return None
    try:
        return kind(v)
    except (TypeError, ValueError):
        return None


def round_half_away(x):
    """SQL ROUND(x, 2): half away from zero on the decimal the number was written as."""
    d = Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(d)


def ts(v):
    try:
        return dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError):
        return None


def epoch_ms(naive: dt.datetime) -> int:
    return int(naive.replace(tzinfo=NY).timestamp() * 1000)


def silver_rows(path):
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(r, dict):
                continue
            pickup, dropoff = ts(r.get("tpep_pickup_datetime")), ts(r.get("tpep_dropoff_datetime"))
            dist, fare = num(r.get("trip_distance")), num(r.get("fare_amount"))
            if pickup is None or dropoff is None or dist is None or fare is None:
                continue
            if not (dist >= 0 and fare >= 0 and JAN <= pickup < FEB):
                continue
            total = num(r.get("total_amount"))
            def part(k, money=False):
                v = r.get(k)
                if v is None:
                    return ""
                return f"{round_half_away(num(v)):.2f}" if money else str(v)
            key = "|".join([part("VendorID"), part("tpep_pickup_datetime"), part("tpep_dropoff_datetime"),
                            part("PULocationID"), part("DOLocationID"), part("fare_amount", True),
                            part("total_amount", True)])
            yield {
                "trip_id": hashlib.sha256(key.encode()).hexdigest(),
                "vendor": num(r.get("VendorID"), int),
                "zone": num(r.get("PULocationID"), int),
                "t": epoch_ms(pickup),
                "fare": round_half_away(fare),
                "dist": dist,
                "total": None if total is None else round_half_away(total),
            }


def zone_5m(rows):
    size = 5 * 60_000
    wm, acc = -math.inf, {}
    for r in rows:
        start = r["t"] - r["t"] % size
        if start + size - 1 > wm:
            a = acc.setdefault((r["zone"], start), [0, 0.0, 0.0, 0.0, 0, 0])
            a[0] += 1
            if r["total"] is not None:
                a[1] += r["total"]
                a[4] += 1
            a[2] += r["fare"]
            a[3] += r["dist"]
        wm = max(wm, r["t"] - DELAY_MS)
    return [
        {"zone": z, "windowStart": s, "windowEnd": s + size, "trips": a[0],
         "revenue": a[1] if a[4] else None, "avgFare": a[2] / a[0], "avgDistance": a[3] / a[0]}
        for (z, s), a in acc.items()
    ]


def sessions(rows):
    """Sessions fire and are deleted once W >= end - 1 (allowedLateness 0): a record that would
    have touched a fired session opens a new one, as in both engines (streamkit keeps a fired
    session mergeable while W = end - 1 exactly; Flink does not: a 1 ms edge case)."""
    gap = 30 * 60_000
    wm, open_, done, heap = -math.inf, {}, [], []
    for r in rows:
        k = (r["vendor"], r["zone"])
        s, e, n, rev = r["t"], r["t"] + gap, 1, r["total"] or 0.0
        keep, merged = [], False
        for w in open_.get(k, []):
            if w[0] <= e and s <= w[1]:
                s, e, n, rev = min(s, w[0]), max(e, w[1]), n + w[2], rev + w[3]
                merged = True
            else:
                keep.append(w)
        # Merge first: a record is late only if it touches no live session and its own
        # window [t, t + gap) has already fired.
        if merged or r["t"] + gap - 1 > wm:
            keep.append([s, e, n, rev])
            open_[k] = keep
            heapq.heappush(heap, (e, k))
        wm = max(wm, r["t"] - DELAY_MS)
        while heap and heap[0][0] - 1 <= wm:
            e, k = heapq.heappop(heap)
            for w in [w for w in open_.get(k, []) if w[1] == e]:
                open_[k].remove(w)
                done.append({"vendor": k[0], "zone": k[1], "windowStart": w[0], "windowEnd": w[1],
                             "trips": w[2], "revenue": w[3]})
    for (v, z), sess in open_.items():
        for s, e, n, rev in sess:
            done.append({"vendor": v, "zone": z, "windowStart": s, "windowEnd": e, "trips": n, "revenue": rev})
    return done


def dedup(rows):
    seen = set()
    for r in rows:
        if r["trip_id"] not in seen:
            seen.add(r["trip_id"])
            yield r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", required=True, choices=["silver", "zone-5m", "sessions", "dedup"])
    ap.add_argument("--input", required=True)
    ap.add_argument("--flink", required=True, help="the runner's output file")
    ap.add_argument("--watermark-delay-ms", type=int, default=30_000)
    args = ap.parse_args()
    global DELAY_MS
    DELAY_MS = args.watermark_delay_ms + 1
    rows = silver_rows(args.input)
    if args.job == "silver":
        want = sum(1 for _ in rows)
        got = json.load(open(args.flink))["silverRows"]
        print(json.dumps({"job": args.job, "reference": want, "flink": got, "equal": want == got}))
        sys.exit(0 if want == got else 1)
    ref = {"zone-5m": zone_5m, "sessions": sessions, "dedup": lambda rs: zone_5m(dedup(rs))}[args.job](rows)
    keys = ("vendor", "zone", "windowStart", "windowEnd")
    index = lambda rs: {tuple(r.get(k) for k in keys): r for r in rs}
    want = index(ref)
    got = index(json.loads(l) for l in open(args.flink))
    diffs = []
    for k in sorted(set(want) | set(got), key=str):
        a, b = want.get(k), got.get(k)
        if a is None or b is None:
            diffs.append({"key": k, "reference": a, "flink": b})
            continue
        for f, v in a.items():
            w = b.get(f)
            same = v == w if isinstance(v, int) or v is None or w is None else abs(v - w) < 0.005
            if not same:
                diffs.append({"key": k, "field": f, "reference": v, "flink": w})
    print(json.dumps({"job": args.job, "referenceRows": len(want), "flinkRows": len(got),
                      "differences": len(diffs), "first": diffs[:3]}))
    sys.exit(0 if not diffs else 1)


if __name__ == "__main__":
    main()
