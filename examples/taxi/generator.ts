import { formatNaiveTimestamp, nyNaiveToEpoch } from './ny-time.js';
import { ArrivalHeap, type Pending } from './arrival-heap.js';
import { cumulativeWeights, Prng } from './prng.js';
import { rawTripLine, type RawTrip } from './raw-trip.js';
import { MANHATTAN_CORE_ZONES, pickupZoneWeights, UNUSED_PICKUP_ZONES, ZONE_COUNT, ZONES } from './zones.js';

/** Options of {@link generateTrips}. */
export interface GenerateTripsOptions {
  /** Number of trips (one raw line each, before duplicates). A positive integer. */
  events: number;
  /** Seed of the PRNG; equal seeds give byte-identical output. Default 1. */
  seed?: number;
  /**
   * Probability that a trip is delivered twice: the exact bytes of the line as first delivered
   * (bad or not), seconds to minutes later. Default 0.
   */
  duplicates?: number;
  /**
   * Probability that a line is replaced by a bad record: broken JSON, a missing timestamp, or a
   * string where a number belongs (one third each). Default 0.
   */
  bad?: number;
}

/** One generated line with when it arrives. */
export interface TripEvent {
  /** The compact JSON line (or a broken one when `kind` is `'bad'`). */
  line: string;
  /** Arrival time, epoch ms: lines come out in this order. */
  arrivalTs: number;
  kind: 'trip' | 'duplicate' | 'bad';
}

/** Rows in the real January 2024 yellow-taxi file: the scale every daily/hourly figure refers to. */
export const JANUARY_2024_TRIPS = 2_964_624;

/**
 * Longest a trip's record can take to arrive, counted from its pickup, unless it is a
 * store-and-forward (`"Y"`) record: the meter sends a trip when it ends, at most
 * {@link MAX_SEND_AFTER_PICKUP_MS} after pickup (longer trips are closed and sent by the meter's
 * timeout), and the network adds up to {@link MAX_NETWORK_DELAY_MS}. Every non-S&F trip therefore
 * arrives before any trip picked up more than this much later has arrived, so a watermark delay of
 * this bound (`boundedOutOfOrderness('2h1m')`) makes every non-S&F trip on time. Store-and-forward
 * records arrive minutes to two days after dropoff, many beyond the bound: they are the late
 * records of the demo.
 */
export const MAX_SEND_AFTER_PICKUP_MS = 2 * 3_600_000;
/** Upper bound of the network delay added to each record's send time. */
export const MAX_NETWORK_DELAY_MS = 60_000;
/** Max event-time disorder of non-store-and-forward trips: {@link MAX_SEND_AFTER_PICKUP_MS} + {@link MAX_NETWORK_DELAY_MS}. */
export const TRIP_DISORDER_BOUND_MS = MAX_SEND_AFTER_PICKUP_MS + MAX_NETWORK_DELAY_MS;

/**
 * Trips per day at full scale, January 1–31, 2024 (a Monday). Low on New Year's Day, the snowy
 * Sunday the 7th and Martin Luther King Day (the 15th); high on late-month Thursdays. Range
 * 65.8k–108.3k; scaled so the month totals {@link JANUARY_2024_TRIPS}.
 */
const DAILY_TRIPS: readonly number[] = [
  76_000, 82_000, 89_000, 95_000, 96_500, 88_000, 65_800, 84_000, 78_000, 96_000, 103_000, 100_500, 97_000, 80_000, 74_000, 93_000, 101_000,
  104_500, 103_000, 98_000, 81_000, 92_000, 100_000, 104_000, 108_300, 105_000, 101_000, 84_000, 94_000, 103_000, 105_000,
];
/** Days that follow the weekend's hourly shape: Saturdays, Sundays and the two holidays. */
const WEEKEND_SHAPED_DAYS = new Set([1, 6, 7, 13, 14, 15, 20, 21, 27, 28]);
/**
 * Weekday trips per hour at full scale. The two holiday Mondays follow the weekend shape but count
 * as weekdays, so this shape sits a little below the target averages over all 23 weekdays: ~390 at
 * 04:00 and a peak of ~7,000 at 18:00.
 */
const WEEKDAY_HOURS: readonly number[] = [
  1800, 950, 580, 390, 355, 630, 1720, 3380, 4400, 4600, 4650, 4920, 5200, 5400, 5950, 6180, 6300, 6720, 7230, 6450, 5580, 5330, 4800, 3350,
];
/** Average weekend trips per hour at full scale: busy nights, peak ~6,000 at 16:00. */
const WEEKEND_HOURS: readonly number[] = [
  3500, 2800, 2000, 1300, 800, 600, 750, 1200, 1900, 2800, 3900, 4800, 5400, 5600, 5650, 5750, 6000, 5700, 5500, 5300, 4900, 4700, 4500,
  3900,
];
/** Traffic speed factor by local hour: free-flowing nights, congested afternoons. */
const HOUR_SPEED: readonly number[] = [
  1.3, 1.35, 1.4, 1.4, 1.4, 1.3, 1.15, 1.0, 0.92, 0.9, 0.9, 0.88, 0.87, 0.86, 0.85, 0.83, 0.82, 0.82, 0.85, 0.92, 1.0, 1.05, 1.1, 1.2,
];
/** Trips at full scale picked up just outside the month (the 2023-12-31 and 2024-02-01 edges). */
const EDGE_HOUR_TRIPS = 4.5;

const HOUR_MS = 3_600_000;
const JAN_1 = Date.UTC(2024, 0, 1);

// Dirty-row rates, per trip, calibrated on the real month.
const P_NEGATIVE_FARE = 0.0126;
const P_NULL_PASSENGERS = 0.047;
/** Of null-passenger rows, the share where the other nullable columns are null too. */
const P_CORRELATED_NULLS = 0.97;
const P_GARBAGE_CLOCK = 3e-6;
const P_VENDOR_6 = 0.00009;
const P_STORE_AND_FORWARD = 0.0045;
// Impossible trips (0.78 % under the rounded-minute rule), by cause.
const P_UNDER_30S = 0.0045;
const P_30_TO_60S = 0.0027;
const P_OVERLONG = 0.0006;
const P_BACKWARDS = 0.0002;
const P_GPS_GLITCH = 0.0025;

/** The hours trips are drawn from (naive start ms) with their full-scale trip counts. */
function hourTable(): { starts: number[]; weights: number[] } {
  const starts: number[] = [JAN_1 - HOUR_MS];
  const weights: number[] = [EDGE_HOUR_TRIPS];
  let weekday = 0;
  let weekend = 0;
  for (const h of WEEKDAY_HOURS) weekday += h;
  for (const h of WEEKEND_HOURS) weekend += h;
  for (let d = 0; d < 31; d++) {
    const isWeekendShape = WEEKEND_SHAPED_DAYS.has(d + 1);
    const shape = isWeekendShape ? WEEKEND_HOURS : WEEKDAY_HOURS;
    const shapeSum = isWeekendShape ? weekend : weekday;
    for (let h = 0; h < 24; h++) {
      starts.push(JAN_1 + (d * 24 + h) * HOUR_MS);
      weights.push((DAILY_TRIPS[d] * shape[h]) / shapeSum);
    }
  }
  starts.push(JAN_1 + 31 * 24 * HOUR_MS);
  weights.push(EDGE_HOUR_TRIPS);
  return { starts, weights };
}

/** Splits `total` trips over hours in proportion to weights (largest remainder, deterministic). */
function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) counts[order[k][1]]++;
  return counts;
}

/** One generated trip, before it is sent. */
export interface SampledTrip {
  trip: RawTrip;
  /** Naive New York time of the true pickup (the meter may have recorded another). */
  pickupNaive: number;
  /** Naive New York time the ride ended (the card is charged then), whatever the meter recorded. */
  endNaive: number;
  /** Naive New York time the meter sends the record. */
  sendNaive: number;
}

/** Draws the trips of one generator run; all randomness flows from one seeded PRNG. */
class TripSampler {
  private readonly zoneCum: Float64Array;
  private readonly dropoffCum: Float64Array;
  private readonly usedZones: number[] = [];

  constructor(private readonly r: Prng) {
    const w = pickupZoneWeights();
    this.zoneCum = cumulativeWeights(w);
    // Dropoffs spread wider than pickups: a share of every zone, Unknown (264) included.
    this.dropoffCum = cumulativeWeights(w.map((x, z) => (z === 0 ? 0 : x * 0.85 + 15 / ZONE_COUNT)));
    for (let z = 1; z <= ZONE_COUNT; z++) if (!UNUSED_PICKUP_ZONES.includes(z)) this.usedZones.push(z);
  }

  /**
   * One trip picked up at naive time `pickup`. Returns the raw record, when the ride really ended
   * and when the record is sent (both clocks run on the true pickup even when the meter's clock
   * was wrong).
   */
  trip(pickupNaive: number): SampledTrip {
    const r = this.r;
    const hour = Math.floor(pickupNaive / HOUR_MS) % 24;
    // Day 0 of the epoch, 1970-01-01, was a Thursday (4).
    const dow = (Math.floor(pickupNaive / (24 * HOUR_MS)) + 4) % 7;
    const weekday = dow >= 1 && dow <= 5;
    const pu = this.r.pick(this.zoneCum);
    const isJfk = pu === ZONES.jfkAirport;
    const isLga = pu === ZONES.laGuardiaAirport;
    const airport = isJfk || isLga;
    let rateCode = 1;
    let distance: number;
    let seconds: number;
    let fareCents: number;
    let doZone: number;
    let flat = false;
    if (isJfk && r.chance(0.62)) {
      // JFK ↔ Manhattan flat fare.
      flat = true;
      rateCode = 2;
      doZone = MANHATTAN_CORE_ZONES[r.int(MANHATTAN_CORE_ZONES.length)];
      distance = Math.max(9, 17.5 + 2.2 * r.normal());
      seconds = (r.logNormal(48, 0.3) * 60) / HOUR_SPEED[hour] ** 0.5;
      fareCents = 7000;
    } else {
      doZone = airport && r.chance(0.6) ? MANHATTAN_CORE_ZONES[r.int(MANHATTAN_CORE_ZONES.length)] : r.pick(this.dropoffCum);
      const minutes = airport ? r.logNormal(35, 0.4) : r.logNormal(11.5, 0.5);
      const speed = (airport ? r.logNormal(19, 0.25) : r.logNormal(10.65, 0.33) * (minutes / 11.5) ** 0.22) * HOUR_SPEED[hour];
      seconds = minutes * 60;
      distance = (speed * minutes) / 60;
      if (r.chance(0.004))
        rateCode = 5; // negotiated fare
      else if (r.chance(0.002)) rateCode = 99;
      fareCents = this.meteredFare(distance, minutes);
    }
    seconds = Math.max(61, Math.round(seconds));
    let distanceHundredths = Math.round(distance * 100);

    // Impossible trips: meters started and stopped at once, clocks that ran on, GPS glitches.
    let u = r.next();
    if (u < P_UNDER_30S) {
      seconds = r.int(30);
      distanceHundredths = r.chance(0.6) ? 0 : r.int(20);
      fareCents = 300 + 70 * r.int(2);
    } else if ((u -= P_UNDER_30S) < P_30_TO_60S) {
      seconds = 30 + r.int(30);
      distanceHundredths = r.chance(0.5) ? 0 : r.int(40);
      fareCents = 300 + 70 * r.int(3);
    } else if ((u -= P_30_TO_60S) < P_OVERLONG) {
      seconds = Math.round((721 + r.exponential(600)) * 60);
    } else if ((u -= P_OVERLONG) < P_BACKWARDS) {
      seconds = -(60 + r.int(3600));
    } else if (u - P_BACKWARDS < P_GPS_GLITCH) {
      distanceHundredths = Math.round((seconds / 3600) * (110 + r.exponential(400)) * 100);
    }

    const overnight = hour >= 20 || hour < 6;
    const peak = weekday && hour >= 16 && hour < 20;
    const extraCents = flat ? (peak ? 500 : 0) : peak ? 250 : overnight ? 100 : 0;
    const mtaCents = 50;
    const improvementCents = 100;
    const congestionCents =
      flat || (!airport && r.chance(0.93)) || (airport && doZone !== pu && MANHATTAN_CORE_ZONES.includes(doZone)) ? 250 : 0;
    const airportFeeCents = airport ? 175 : 0;
    const tollsCents = airport ? (r.chance(0.45) ? 694 : 0) : r.chance(0.04) ? 694 : 0;

    let vendor = r.chance(0.76) ? 2 : 1;
    if (r.chance(P_VENDOR_6)) vendor = 6;
    let passengers: number | null = this.passengers();
    let payment = this.payment();
    let flag: 'Y' | 'N' | null = r.chance(P_STORE_AND_FORWARD) ? 'Y' : 'N';
    let rate: number | null = rateCode;
    let congestion: number | null = congestionCents;
    let airportFee: number | null = airportFeeCents;
    if (vendor === 6 || r.chance(P_NULL_PASSENGERS)) {
      // Rows from the newer dispatch feed: payment type 0, and usually every nullable column null.
      passengers = null;
      payment = 0;
      if (vendor === 6 || r.chance(P_CORRELATED_NULLS)) {
        rate = null;
        flag = null;
        congestion = null;
        airportFee = null;
      }
    }

    const surchargeCents = extraCents + mtaCents + improvementCents + (congestion ?? congestionCents) + (airportFee ?? airportFeeCents);
    const tipCents = this.tip(payment, fareCents, surchargeCents + tollsCents);
    // A refund adjustment re-sends the trip with every amount negated, as a dispute or no-charge.
    const refund = r.chance(P_NEGATIVE_FARE);
    if (refund) payment = r.chance(0.7) ? 4 : 3;
    const sign = refund ? -1 : 1;
    const fare = sign * fareCents;
    const extra = sign * extraCents;
    const mta = sign * mtaCents;
    const tip = refund ? 0 : tipCents;
    const tolls = sign * tollsCents;
    const improvement = sign * improvementCents;
    const cong = sign * (congestion ?? 0);
    const apt = sign * (airportFee ?? 0);
    const total = fare + extra + mta + tip + tolls + improvement + cong + apt;
    let recordedPickup = pickupNaive;
    if (r.chance(P_GARBAGE_CLOCK)) {
      // A meter with a reset clock: 2002-12-31 or 2009-01-01, same time of day.
      const base = r.chance(0.6) ? Date.UTC(2002, 11, 31) : Date.UTC(2009, 0, 1);
      recordedPickup = base + (pickupNaive % (24 * HOUR_MS));
    }
    const dropoffNaive = recordedPickup + seconds * 1000;
    const trip: RawTrip = {
      VendorID: vendor,
      tpep_pickup_datetime: formatNaiveTimestamp(recordedPickup),
      tpep_dropoff_datetime: formatNaiveTimestamp(dropoffNaive),
      passenger_count: passengers,
      trip_distance: distanceHundredths / 100,
      RatecodeID: rate,
      store_and_fwd_flag: flag,
      PULocationID: pu,
      DOLocationID: doZone,
      payment_type: payment,
      fare_amount: dollars(fare),
      extra: dollars(extra),
      mta_tax: dollars(mta),
      tip_amount: dollars(tip),
      tolls_amount: dollars(tolls),
      improvement_surcharge: dollars(improvement),
      total_amount: dollars(total),
      congestion_surcharge: congestion === null ? null : dollars(cong),
      Airport_fee: airportFee === null ? null : dollars(apt),
    };
    const tripMs = Math.min(Math.max(seconds * 1000, 0), MAX_SEND_AFTER_PICKUP_MS);
    let sendNaive = pickupNaive + tripMs + Math.min(r.exponential(8_000), MAX_NETWORK_DELAY_MS);
    if (flag === 'Y') {
      // Stored in the cab with no connection, uploaded minutes to two days later.
      sendNaive = pickupNaive + Math.max(seconds * 1000, 0) + Math.min(r.logNormal(3 * HOUR_MS, 1.1), 48 * HOUR_MS);
    }
    return { trip, pickupNaive, endNaive: pickupNaive + Math.max(seconds * 1000, 0), sendNaive };
  }

  /** 2024 metered fare: $3.00 plus $0.70 per unit, a unit being 1/5 mile or a minute in slow traffic. */
  private meteredFare(miles: number, minutes: number): number {
    const slowMinutes = Math.max(0, minutes - miles * 3.2) * 0.55;
    return 300 + 70 * Math.round(miles * 5 + slowMinutes);
  }

  private passengers(): number {
    const u = this.r.next();
    if (u < 0.76) return 1;
    if (u < 0.91) return 2;
    if (u < 0.945) return 3;
    if (u < 0.965) return 4;
    if (u < 0.977) return 5;
    if (u < 0.985) return 6;
    return 0;
  }

  private payment(): number {
    const u = this.r.next();
    if (u < 0.805) return 1;
    if (u < 0.975) return 2;
    if (u < 0.982) return 3;
    return 4;
  }

  /** Card tips from the screen's 20/25/30 % presets of the fare plus surcharges; cash tips unrecorded. */
  private tip(payment: number, fareCents: number, otherCents: number): number {
    const r = this.r;
    if (payment !== 1 && payment !== 0) return 0;
    if (payment === 0 && r.chance(0.35)) return 0;
    if (r.chance(0.1)) return 0;
    const base = fareCents + otherCents;
    const u = r.next();
    const pct = u < 0.4 ? 0.2 : u < 0.7 ? 0.25 : u < 0.82 ? 0.3 : 0.08 + r.next() * 0.22;
    return Math.round(base * pct);
  }
}

const dollars = (cents: number): number => cents / 100;

function corrupt(line: string, r: Prng): string {
  const k = r.int(3);
  if (k === 0) return line.slice(0, 1 + r.int(line.length - 2));
  if (k === 1) {
    const field = r.chance(0.5) ? 'tpep_pickup_datetime' : 'tpep_dropoff_datetime';
    return r.chance(0.5)
      ? line.replace(new RegExp(`"${field}":"[^"]*",`), '')
      : line.replace(new RegExp(`"${field}":"[^"]*"`), `"${field}":null`);
  }
  return line.replace(/"fare_amount":(-?[0-9.]+)/, '"fare_amount":"$1"');
}

/**
 * Generates realistic January-2024 yellow-taxi raw events, as they would arrive on the topic.
 * Deterministic: the same options give byte-identical output. Streams: memory holds only the
 * records still in flight (about two hours of trips plus delayed store-and-forward ones).
 *
 * Calibrated on the real month (2,964,624 trips; all figures at that scale are multiplied by
 * `events / 2,964,624`): dirty rows (negative fares 1.26 %, null passenger_count 4.7 % with
 * correlated nulls and payment type 0, impossible trips 0.78 % under the rounded-minute rule,
 * VendorID 6 0.009 %, pickups outside January ~6 per million), the valid-trip shape (duration mean
 * ~15 / median ~12 min, speed ~11.4 mph, tip ~23 % of fare, 260 pickup zones led by 161, 237, 132),
 * daily volumes 65.8k–108.3k, weekday and weekend hourly profiles. Events come out in arrival
 * order; see {@link TRIP_DISORDER_BOUND_MS} for how far that is from pickup order.
 *
 * @param options - see {@link GenerateTripsOptions}.
 * @returns the events in arrival order, lazily.
 * @example
 * for (const e of generateTripEvents({ events: 10_000, seed: 1 })) console.log(e.arrivalTs, e.line);
 */
export function* generateTripEvents(options: GenerateTripsOptions): Generator<TripEvent> {
  const { duplicates = 0, bad = 0, seed = 1 } = options;
  checkEventsAndSeed(options.events, seed);
  for (const [name, p] of [
    ['duplicates', duplicates],
    ['bad', bad],
  ] as const) {
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${p}`);
  }
  const trips = sampledTrips(options);
  // A separate stream for duplicates and corruption, so turning them on keeps the trips the same.
  const noise = new Prng(seed ^ 0x5bd1e995);
  const heap = new ArrivalHeap<{ line: string; kind: TripEvent['kind'] }>();
  let seq = 0;
  for (const { trip, pickupNaive, sendNaive } of trips) {
    // Trips come in pickup order and none arrives before its pickup: everything due by then can go.
    for (const p of heap.popUntil(pickupNaive)) yield event(p);
    let line = rawTripLine(trip);
    let kind: TripEvent['kind'] = 'trip';
    if (bad > 0 && noise.chance(bad)) {
      line = corrupt(line, noise);
      kind = 'bad';
    }
    heap.push({ arrivalNaive: Math.round(sendNaive), seq: seq++, item: { line, kind } });
    if (duplicates > 0 && noise.chance(duplicates)) {
      // At-least-once redelivery: the same bytes again, seconds to minutes later.
      heap.push({ arrivalNaive: Math.round(sendNaive + noise.exponential(30_000)), seq: seq++, item: { line, kind: 'duplicate' } });
    }
  }
  for (const p of heap.popUntil(Number.POSITIVE_INFINITY)) yield event(p);
}

function checkEventsAndSeed(events: number, seed: number): void {
  if (!Number.isSafeInteger(events) || events < 1) {
    throw new RangeError(`events must be a positive integer, got ${events}`);
  }
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
}

function event(p: Pending<{ line: string; kind: TripEvent['kind'] }>): TripEvent {
  return { line: p.item.line, arrivalTs: nyNaiveToEpoch(p.arrivalNaive), kind: p.item.kind };
}

/**
 * The trips of a run in pickup order (the true pickup, whatever the meter recorded), before they
 * are sent: the one sequence both the trip feed and the settlement feed are drawn from.
 *
 * @param options - `events` and `seed`; duplicates and bad records are the feed's business.
 * @returns the sampled trips, lazily.
 * @example for (const { trip, endNaive } of sampledTrips({ events: 100, seed: 1 })) console.log(trip.PULocationID, endNaive);
 */
export function* sampledTrips(options: Pick<GenerateTripsOptions, 'events' | 'seed'>): Generator<SampledTrip> {
  const { events, seed = 1 } = options;
  checkEventsAndSeed(events, seed);
  const r = new Prng(seed);
  const sampler = new TripSampler(r);
  const { starts, weights } = hourTable();
  const counts = allocate(events, weights);
  const pickups: number[] = [];
  for (let h = 0; h < starts.length; h++) {
    pickups.length = 0;
    for (let i = 0; i < counts[h]; i++) pickups.push(starts[h] + r.int(HOUR_MS / 1000) * 1000);
    pickups.sort((a, b) => a - b);
    for (const pickupNaive of pickups) yield sampler.trip(pickupNaive);
  }
}

/**
 * Generates raw trip lines in arrival order: {@link generateTripEvents} without the metadata.
 *
 * @param options - see {@link GenerateTripsOptions}.
 * @returns JSON lines, lazily.
 * @example
 * const lines = [...generateTrips({ events: 1000, seed: 7, duplicates: 0.01, bad: 0.001 })];
 */
export function* generateTrips(options: GenerateTripsOptions): Generator<string> {
  for (const e of generateTripEvents(options)) yield e.line;
}
