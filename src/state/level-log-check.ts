import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, unmaskCrc32c } from './crc32c.js';

/** LevelDB's log format (db/log_format.h): 32 KiB blocks of records with a 7-byte header. */
const BLOCK_SIZE = 32768;
const HEADER_SIZE = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
/** A log record holds a write batch: an 8-byte sequence number and a 4-byte count come first. */
const MIN_BATCH_SIZE = 12;

/** Where a write-ahead log is damaged. */
export interface LogDamage {
  /** The log file's name (`000003.log`). */
  file: string;
  /** Byte offset of the first damaged record. */
  offset: number;
  /** What is wrong, in LevelDB's words where it has them. */
  reason: string;
}

/**
 * Checks the write-ahead logs of a LevelDB directory before LevelDB opens it.
 *
 * Why: LevelDB replays its log at open and, unless `paranoid_checks` is on (classic-level offers
 * no way to turn it on), drops every record whose checksum or framing is wrong, only noting it in
 * its info `LOG`, then writes what survived into a table and deletes the log. The checkpoints in
 * the dropped records vanish without an error: a directory whose last checkpoints were damaged
 * opens at an older one, or empty. This reads each log as LevelDB's `log::Reader` does and reports
 * the first record it would drop, so the directory can be refused while it is still untouched.
 *
 * What is not damage, as for LevelDB: a record cut short at the end of the file (the writer died
 * while writing it, so the checkpoint it held never completed), the zero padding at the end of a
 * block, and zeros up to the end of the file (space a crash left allocated but unwritten). Damage
 * confined to the last record looks exactly like such a crash: LevelDB then opens the checkpoint
 * before it, which restores exactly, as after a crash (the source replays from its position).
 * @param dir the LevelDB directory.
 * @returns the first damage found, or `undefined` when every log reads cleanly.
 * @example const damage = await checkLevelLogs('./state'); if (damage) throw …
 */
export async function checkLevelLogs(dir: string): Promise<LogDamage | undefined> {
  const logs = (await readdir(dir)).filter((name) => /^\d+\.log$/.test(name)).sort();
  for (const file of logs) {
    const reason = checkLog(await readFile(join(dir, file)));
    if (reason) return { file, ...reason };
  }
  return undefined;
}

/** The first record of one log that LevelDB's reader would drop (db/log_reader.cc, LevelDB 1.20). */
function checkLog(bytes: Buffer): { offset: number; reason: string } | undefined {
  let fragment = -1; // start of the fragmented record being read, or -1
  let fragmentBytes = 0;
  for (let block = 0; block < bytes.length; block += BLOCK_SIZE) {
    const end = Math.min(block + BLOCK_SIZE, bytes.length);
    // LevelDB knows it reached the end of the file when a read returns less than a block.
    const lastRead = end - block < BLOCK_SIZE;
    let at = block;
    while (end - at >= HEADER_SIZE) {
      const length = bytes[at + 4] | (bytes[at + 5] << 8);
      const type = bytes[at + 6];
      if (HEADER_SIZE + length > end - at) {
        // Inside the file: damage. Past its end, a record cut short by a crash, unless whole records
        // follow: then a damaged length hides them, and LevelDB would drop them unreported.
        return lastRead && !recordAfter(bytes, at + 1) ? undefined : { offset: at, reason: 'bad record length' };
      }
      if (type === 0 && length === 0) {
        // LevelDB skips the rest of the block without a word; only zeros to the end of the file are harmless.
        return zeroFrom(bytes, at) ? undefined : { offset: at, reason: 'zeroed bytes followed by more records' };
      }
      if (crc32c(bytes, at + 6, at + HEADER_SIZE + length) !== unmaskCrc32c(bytes.readUInt32LE(at))) {
        return { offset: at, reason: 'checksum mismatch' };
      }
      switch (type) {
        case FULL:
          if (fragment >= 0 && fragmentBytes > 0) return { offset: fragment, reason: 'partial record without end' };
          if (length < MIN_BATCH_SIZE) return { offset: at, reason: 'log record too small' };
          fragment = -1;
          break;
        case FIRST:
          if (fragment >= 0 && fragmentBytes > 0) return { offset: fragment, reason: 'partial record without end' };
          fragment = at;
          fragmentBytes = length;
          break;
        case MIDDLE:
          if (fragment < 0) return { offset: at, reason: 'missing start of fragmented record' };
          fragmentBytes += length;
          break;
        case LAST:
          if (fragment < 0) return { offset: at, reason: 'missing start of fragmented record' };
          if (fragmentBytes + length < MIN_BATCH_SIZE) return { offset: fragment, reason: 'log record too small' };
          fragment = -1;
          break;
        default:
          return { offset: at, reason: `unknown record type ${type}` };
      }
      at += HEADER_SIZE + length;
    }
    // Fewer than 7 bytes left in a block are its zero trailer; at the end of the file, a header cut short.
  }
  // A fragmented record still open at the end of the file was being written when the writer died.
  return undefined;
}

/** True when a record with a valid checksum starts anywhere from `start` on. */
function recordAfter(bytes: Buffer, start: number): boolean {
  for (let at = start; at + HEADER_SIZE <= bytes.length; at++) {
    const type = bytes[at + 6];
    if (type < FULL || type > LAST) continue;
    const length = bytes[at + 4] | (bytes[at + 5] << 8);
    if (at + HEADER_SIZE + length > bytes.length) continue;
    if (crc32c(bytes, at + 6, at + HEADER_SIZE + length) === unmaskCrc32c(bytes.readUInt32LE(at))) return true;
  }
  return false;
}

function zeroFrom(bytes: Buffer, start: number): boolean {
  for (let i = start; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
