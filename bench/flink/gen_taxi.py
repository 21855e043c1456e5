#!/usr/bin/env python3
"""Small deterministic generator of raw taxi JSONL for exercising the Flink jobs by hand.

The project's calibrated generator is examples/taxi/generator.ts; this one only has to produce
the same shape (19 TLC columns, naive New York timestamps, out-of-order arrival, a few dirty
and broken lines, optional exact duplicates) so the Flink side can be run without Node.

Usage: gen_taxi.py --events 10000 --out FILE [--seed 1] [--dup-rate 0.05] [--bad-rate 0.001]
"""
import argparse
import datetime as dt
import json
import random

START = dt.datetime(2024, 1, 1)
MONTH_SECONDS = 31 * 24 * 3600


def trip(rng: random.Random, pickup: dt.datetime) -> dict:
    minutes = max(0.5, rng.gammavariate(2.0, 7.5))
    dropoff = pickup + dt.timedelta(seconds=int(minutes * 60))
    distance = round(max(0.0, rng.gauss(11.4, 4.0) * minutes / 60), 2)
    fare = round(3.0 + 2.8 * distance + 0.7 * minutes, 2)
    if rng.random() < 0.0126:
        fare = -fare
    tip = round(fare * 0.231, 2) if rng.random() < 0.7 else 0.0
    total = round(fare + 1.0 + 0.5 + tip + 1.0 + 2.5, 2)
    missing = rng.random() < 0.047
    return {
        "VendorID": 1 if rng.random() < 0.25 else 2,
        "tpep_pickup_datetime": pickup.strftime("%Y-%m-%dT%H:%M:%S"),
        "tpep_dropoff_datetime": dropoff.strftime("%Y-%m-%dT%H:%M:%S"),
        "passenger_count": None if missing else rng.choice([1, 1, 1, 2, 3]),
        "trip_distance": distance,
        "RatecodeID": None if missing else 1,
        "store_and_fwd_flag": None if missing else "N",
        "PULocationID": int(min(265, 1 + rng.paretovariate(1.2) * 20)) if rng.random() < 0.6 else rng.randint(1, 265),
        "DOLocationID": rng.randint(1, 265),
        "payment_type": rng.choice([1, 1, 1, 2]),
        "fare_amount": fare,
        "extra": 1.0,
        "mta_tax": 0.5,
        "tip_amount": tip,
        "tolls_amount": 0.0,
        "improvement_surcharge": 1.0,
        "total_amount": total,
        "congestion_surcharge": None if missing else 2.5,
        "Airport_fee": None if missing else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-rate", type=float, default=0.0)
    ap.add_argument("--bad-rate", type=float, default=0.001)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    step = MONTH_SECONDS / max(1, args.events)
    written = 0
    with open(args.out, "w") as out:
        i = 0
        while written < args.events:
            # Arrival order drifts from event order by up to ~20 s, so the 30 s watermark
            # bound keeps almost everything; a few store-and-forward trips arrive much later.
            delay = rng.uniform(0, 20) if rng.random() > 0.002 else rng.uniform(60, 3600)
            pickup = START + dt.timedelta(seconds=int(i * step - delay))
            i += 1
            r = rng.random()
            if r < args.bad_rate / 2:
                out.write('{"VendorID":2,"tpep_pickup_datetime":"2024-01-0\n')
                written += 1
                continue
            rec = trip(rng, pickup)
            if r < args.bad_rate:
                rec["fare_amount"] = "oops"
            line = json.dumps(rec, separators=(",", ":")) + "\n"
            out.write(line)
            written += 1
            if written < args.events and rng.random() < args.dup_rate:
                out.write(line)
                written += 1


if __name__ == "__main__":
    main()
