import { Prng } from './prng.js';

/** Number of TLC taxi zones (ids 1–265; 264 and 265 are "Unknown" and "Outside of NYC"). */
export const ZONE_COUNT = 265;

/** Zones that see no yellow-taxi pickups in January 2024 (islands and a landfill): 260 of 265 in use. */
export const UNUSED_PICKUP_ZONES: readonly number[] = [103, 104, 105, 110, 199];

/** Named zones the example refers to. */
export const ZONES = {
  newarkAirport: 1,
  jfkAirport: 132,
  laGuardiaAirport: 138,
  midtownCenter: 161,
  upperEastSideSouth: 237,
} as const;

/**
 * Share (%) of January 2024 pickups of the busiest zones, in descending order; Midtown Center,
 * Upper East Side South and JFK lead. The remaining in-use zones share the rest along a Zipf tail.
 */
const TOP_PICKUP_SHARES: readonly (readonly [number, number])[] = [
  [161, 4.75],
  [237, 4.6],
  [132, 4.45],
  [236, 4.1],
  [162, 3.55],
  [230, 3.35],
  [186, 3.2],
  [142, 3.15],
  [138, 2.95],
  [170, 2.9],
  [163, 2.8],
  [239, 2.65],
  [48, 2.5],
  [68, 2.35],
  [141, 2.1],
  [79, 2.05],
  [234, 1.95],
  [107, 1.85],
  [140, 1.8],
  [249, 1.7],
  [164, 1.65],
  [229, 1.5],
  [100, 1.45],
  [43, 1.4],
  [113, 1.35],
  [90, 1.3],
  [238, 1.25],
  [263, 1.2],
  [246, 1.15],
  [262, 1.1],
  [137, 1.05],
  [233, 1.0],
  [231, 0.95],
  [148, 0.9],
  [151, 0.8],
  [143, 0.8],
  [114, 0.75],
  [50, 0.7],
  [211, 0.7],
  [13, 0.65],
  [144, 0.6],
  [158, 0.55],
  [87, 0.5],
  [125, 0.45],
  [166, 0.4],
  [88, 0.35],
  [75, 0.35],
  [24, 0.3],
  [74, 0.3],
  [41, 0.3],
];

/** Zones served mostly by the flat-fare and congestion-zone rules: Manhattan's busiest. */
export const MANHATTAN_CORE_ZONES: readonly number[] = TOP_PICKUP_SHARES.map(([z]) => z).filter(
  (z) => z !== ZONES.jfkAirport && z !== ZONES.laGuardiaAirport,
);

/**
 * Pickup weight of every zone id (index = zone id; index 0 unused), summing to 100. Fixed, not
 * seeded: the city's geography does not change with the generator's seed.
 *
 * @returns weights indexed by zone id.
 * @example
 * pickupZoneWeights()[161]; // 4.75
 */
export function pickupZoneWeights(): number[] {
  const weights = new Array<number>(ZONE_COUNT + 1).fill(0);
  let top = 0;
  for (const [zone, share] of TOP_PICKUP_SHARES) {
    weights[zone] = share;
    top += share;
  }
  const tail: number[] = [];
  for (let z = 1; z <= ZONE_COUNT; z++) {
    if (weights[z] === 0 && !UNUSED_PICKUP_ZONES.includes(z)) tail.push(z);
  }
  const r = new Prng(265);
  for (let i = tail.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [tail[i], tail[j]] = [tail[j], tail[i]];
  }
  // Zipf tail starting just below the smallest top share.
  const raw = tail.map((_, i) => (i + 16) ** -1.6);
  const rawSum = raw.reduce((a, b) => a + b, 0);
  tail.forEach((z, i) => {
    weights[z] = ((100 - top) * raw[i]) / rawSum;
  });
  return weights;
}
