/** A bad record set aside with why: bad timestamp, unparseable bytes, an exception in user code. */
export interface DeadLetter {
  reason: string;
  raw: unknown;
  /** Source partition and position of the record, when known. */
  position?: { partition: number; offset: number };
  /** The operator that rejected it. */
  operator?: string;
}
