import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One row of the TLC taxi zone table (`taxi_zone_lookup.csv`), under its original column names. */
export interface TaxiZone {
  LocationID: number;
  /** `Manhattan`, `Queens`, …; `Unknown` for zone 264, `N/A` for 265 (outside of NYC). */
  Borough: string;
  Zone: string;
  service_zone: string;
}

/**
 * Where the zone table is: beside this module when it runs from the sources, and in
 * `examples/taxi/` of the project when it runs from the bundle `npm run taxi` builds in
 * `node_modules/.cache/streamkit-taxi/`.
 */
function defaultPath(): string {
  const candidates = ['./taxi_zone_lookup.csv', '../../../examples/taxi/taxi_zone_lookup.csv'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/** The fields of one CSV line: separated by commas, a field in double quotes may hold commas and `""`. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const end = line.indexOf('"', i);
        if (end < 0) throw new SyntaxError(`unterminated quote in ${JSON.stringify(line)}`);
        value += line.slice(i, end);
        i = end + 1;
        if (line[i] !== '"') break;
        value += '"';
        i++;
      }
      fields.push(value);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      fields.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}

/**
 * Parses the TLC zone table: a header `LocationID,Borough,Zone,service_zone`, then one zone a line.
 *
 * @param text - the CSV text.
 * @returns the zones, in file order.
 * @throws SyntaxError naming the line when a line is not a zone.
 * @example parseZoneTable('"LocationID","Borough","Zone","service_zone"\n1,"EWR","Newark Airport","EWR"\n')[0].Borough; // 'EWR'
 */
export function parseZoneTable(text: string): TaxiZone[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = csvFields(lines[0] ?? '').join(',');
  if (header !== 'LocationID,Borough,Zone,service_zone')
    throw new SyntaxError(`not the TLC zone table header: ${JSON.stringify(lines[0])}`);
  return lines.slice(1).map((line, i) => {
    const [id, Borough, Zone, service_zone, ...rest] = csvFields(line);
    const LocationID = Number(id);
    if (!Number.isInteger(LocationID) || service_zone === undefined || rest.length > 0) {
      throw new SyntaxError(`line ${i + 2} is not a zone: ${JSON.stringify(line)}`);
    }
    return { LocationID, Borough, Zone, service_zone };
  });
}

/**
 * Reads the TLC taxi zone table shipped with the example (`taxi_zone_lookup.csv`, 265 zones,
 * public reference data), or another copy of it.
 *
 * @param path - the CSV file; default the shipped one.
 * @returns the zones.
 * @example readZoneTable().find((z) => z.LocationID === 132)?.Zone; // 'JFK Airport'
 */
export function readZoneTable(path: string = defaultPath()): TaxiZone[] {
  return parseZoneTable(readFileSync(path, 'utf8'));
}

/**
 * Checks one zone row read as JSON (from the `taxi.zones` topic in `--brokers` mode).
 *
 * @param value - the parsed row.
 * @returns the zone.
 * @throws TypeError naming what is missing, so the row goes to the dead letters.
 * @example parseZoneRow({ LocationID: 1, Borough: 'EWR', Zone: 'Newark Airport', service_zone: 'EWR' }).Borough; // 'EWR'
 */
export function parseZoneRow(value: unknown): TaxiZone {
  const z = value as Partial<TaxiZone> | null;
  if (
    z === null ||
    typeof z !== 'object' ||
    !Number.isInteger(z.LocationID) ||
    typeof z.Borough !== 'string' ||
    typeof z.Zone !== 'string' ||
    typeof z.service_zone !== 'string'
  ) {
    throw new TypeError(`not a zone row (LocationID, Borough, Zone, service_zone): ${JSON.stringify(value)}`);
  }
  return { LocationID: z.LocationID as number, Borough: z.Borough, Zone: z.Zone, service_zone: z.service_zone };
}
