/**
 * The taxi resume demo, as a user runs it: `npm run taxi -- --state DIR`, killed with SIGKILL
 * midway and started again, ends with "Gold equals batch" and exit status 0, and its progress
 * never goes back.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the taxi CLI; `killWhen` sees stderr as it grows and, when it returns true, the process is SIGKILLed. */
function taxi(args: string[], killWhen?: (stderr: string) => boolean): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/taxi/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (killWhen?.(stderr) && child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The counts the progress lines show, in order. */
function progressCounts(stderr: string): number[] {
  return [...stderr.matchAll(/\] +\d+% ([\d,]+)\//g)].map((m) => Number(m[1].replaceAll(',', '')));
}

const EVENTS = 30_000;

describe('taxi resume demo', () => {
  it('killed with SIGKILL after a checkpoint and started again, it ends with Gold equals batch', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taxi-resume-'));
    const args = ['--events', String(EVENTS), '--state', join(dir, 'state'), '--checkpoint-every', '500ms', '--out', join(dir, 'out')];

    // Killed once a checkpoint covers some of the input, well before the end.
    const first = await taxi(args, (stderr) =>
      [...stderr.matchAll(/checkpoint \d+ complete, ([\d,]+) events read/g)].some((m) => Number(m[1].replaceAll(',', '')) >= 1_024),
    );
    expect(first.signal).toBe('SIGKILL');
    expect(first.stdout).not.toContain('Gold equals batch');

    const second = await taxi(args);
    expect(second.stderr).toMatch(/^resuming from checkpoint \d+ in /m);
    expect(second.stdout).toMatch(/resumed +from checkpoint \d+; [\d,]+ events processed before it/);
    expect(second.stdout).toMatch(/Gold vs DuckDB batch +Gold equals batch/);
    expect(second.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.batchEqual).toBe(true);
    expect(summary.restoredFrom).toBeGreaterThanOrEqual(1);
    expect(summary.counts.events).toBeLessThan(EVENTS);

    // Progress counts from the start of the input, never goes back, and reaches 100 % once.
    const counts = progressCounts(second.stderr);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(EVENTS);
    expect(second.stderr.match(/100%/g)).toHaveLength(1);
  });
});
