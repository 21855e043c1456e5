import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { readLevelTable, toLevel } from '../../src/sinks/level-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { inspectLevelState, levelState } from '../../src/state/level-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { runCli } from '../../src/cli/run-cli.js';
import { tumbling } from '../../src/windowing/tumbling.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `streamkit …` as its own process, the way a user at a shell does (as `uid` when given). */
function streamkit(args: string[], uid?: number): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args],
      { cwd: repo, timeout: 60_000, ...(uid === undefined ? {} : { uid, gid: uid }) },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const events = Array.from({ length: 900 }, (_, i) => ({ id: `e${i}`, zone: `z${i % 4}`, t: 5_000 + i * 100 }));

describe('the streamkit command', () => {
  let root: string;
  let stateDir: string;
  let tableDir: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-cli-'));
    stateDir = join(root, 'state');
    tableDir = join(root, 'table');
    const job = from(fromArray(events, { batchSize: 30 }))
      .withTimestamps((e) => e.t, boundedOutOfOrderness(200))
      .dedup((e) => e.id, { within: '1m' })
      .keyBy((e) => e.zone)
      .window(tumbling(10_000))
      .uid('zone-10s')
      .aggregate(count())
      .to(toLevel<WindowResult<string, number>>(tableDir))
      .run({
        state: levelState(stateDir),
        checkpointEvery: { records: 150 },
        credits: 1,
        onEvent: (e) => e.type === 'checkpoint.completed' && e.id === 3 && job.stop(),
      });
    await job;
    // A copy with its write-ahead log as the job left it (opening a directory moves the log into a table).
    await cp(stateDir, join(root, 'damaged'), { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('inspect-state prints the checkpoint id, source position, format and each operator with its fingerprint and size', async () => {
    const stored = (await inspectLevelState(stateDir))!;
    const { code, stdout, stderr } = await streamkit(['inspect-state', stateDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`state directory  ${stateDir}`);
    expect(stdout).toMatch(/^state format {5}2$/m);
    expect(stdout).toMatch(new RegExp(`^checkpoint {7}${stored.checkpointId}$`, 'm'));
    expect(stdout).toContain(`source position  ${JSON.stringify(stored.sourcePosition)}`);
    expect(stdout).toMatch(/^operators {8}2$/m);
    for (const op of stored.operators) {
      expect(stdout).toMatch(
        new RegExp(`^  ${op.uid.replace('#', '\\#')} +${op.entries} entries  ${op.bytes} bytes  fingerprint [0-9a-f]{12}$`, 'm'),
      );
    }
    expect(stored.operators.map((o) => o.uid)).toEqual(['dedup#0', 'zone-10s']);
    expect(stored.operators.every((o) => o.entries > 0)).toBe(true);
    expect(stdout).toContain('assigner: tumbling(10000ms)');
    expect(stdout).toContain('within: 60000ms');
  });

  it('inspect-state --json gives the same as inspectLevelState, with fingerprint hashes', async () => {
    const stored = (await inspectLevelState(stateDir))!;
    const { code, stdout } = await streamkit(['inspect-state', '--json', stateDir]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(printed.checkpointId).toBe(stored.checkpointId);
    expect(printed.operators.map((o: { uid: string; entries: number }) => [o.uid, o.entries])).toEqual(
      stored.operators.map((o) => [o.uid, o.entries]),
    );
    expect(printed.operators[0].fingerprintHash).toMatch(/^[0-9a-f]{12}$/);
  });

  it('read-table prints a table in id order, as text or JSON lines, with --limit', async () => {
    const rows = [...(await readLevelTable<WindowResult<string, number>>(tableDir))];
    expect(rows.length).toBeGreaterThan(3);
    const text = await streamkit(['read-table', tableDir, '--limit', '3']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')).toEqual([
      ...rows.slice(0, 3).map(([id, row]) => `${id}\t${JSON.stringify(row)}`),
      '(3 rows, --limit 3)',
      '',
    ]);
    const json = await streamkit(['read-table', '--json', tableDir]);
    expect(json.code).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(rows.map(([id, row]) => ({ id, row })));
  });

  it('answers a command line it does not understand with the usage and exit code 2, never a stack trace', async () => {
    const unknown = await streamkit(['inspect-state', stateDir, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^streamkit: unknown option --bogus\n\nusage: streamkit <command>/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    // The same parser in this process, for the other mistakes.
    for (const args of [
      [],
      ['frobnicate', stateDir],
      ['read-table'],
      ['read-table', tableDir, '--limit', 'ten'],
      ['read-table', 'a', 'b'],
      ['read-table', tableDir, '--limit'],
    ]) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: { write: (t: string) => out.push(t) }, err: { write: (t: string) => err.push(t) } });
      expect(code, args.join(' ')).toBe(2);
      expect(out).toEqual([]);
      expect(err.join('')).toMatch(/^streamkit: .+\n\nusage: streamkit <command>/);
    }
    const help = await runCli(['--help'], {
      out: { write: (t: string) => expect(t).toMatch(/^usage: streamkit/) },
      err: { write: () => undefined },
    });
    expect(help).toBe(0);
  });

  it('reports a missing, foreign or damaged directory in one line with its error code, exit code 1', async () => {
    const missing = await streamkit(['inspect-state', join(root, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^streamkit: levelState\(.*nowhere\): there is no state directory at this path \[STATE_INCOMPATIBLE\]\n$/,
    );
    const notATable = await streamkit(['read-table', stateDir]);
    expect(notATable.code).toBe(1);
    expect(notATable.stderr).toMatch(/not a streamkit table .*\[SINK_FAILED\]/);

    const damaged = join(root, 'damaged');
    const log = (await readdir(damaged)).find((f) => f.endsWith('.log'))!;
    const fh = await open(join(damaged, log), 'r+');
    await fh.write(Buffer.alloc(32, 0x42), 0, 32, Math.floor((await stat(join(damaged, log))).size / 2));
    await fh.close();
    const corrupt = await streamkit(['inspect-state', damaged]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/write-ahead log \d+\.log is damaged at byte \d+ .*\[STATE_CORRUPT\]\n$/);
    expect(corrupt.stderr.split('\n')).toHaveLength(2);
  });

  it('reports a directory it may not read as ACCESS_DENIED naming the path', async () => {
    const locked = join(root, 'locked');
    await cp(stateDir, locked, { recursive: true });
    // Root passes permission bits: run as an unprivileged user then; anyone else meets the bits.
    const asRoot = process.getuid?.() === 0;
    await chmod(locked, asRoot ? 0o700 : 0o000);
    const { code, stderr } = await streamkit(['inspect-state', locked], asRoot ? 65534 : undefined);
    await chmod(locked, 0o755);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `${locked.replace(/[/.]/g, '\\$&')}.* is not accessible to this process \\(permission denied\\) \\(EACCES\\).*\\[ACCESS_DENIED\\]`,
      ),
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
