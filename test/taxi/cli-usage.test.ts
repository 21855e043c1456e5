/**
 * The taxi command line: a mistake prints one line saying what is wrong and the usage, exit
 * status 2, never a stack trace; a failing job prints one line and exits with 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function taxi(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/taxi/cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('taxi CLI usage errors', () => {
  it.each([
    [['--bogus'], 'npm run taxi: unknown option --bogus'],
    [['--events'], "npm run taxi: Option '--events <value>' argument missing"],
    [['--events', 'many'], 'npm run taxi: --events many: must be a positive integer'],
    [['--events', '0'], 'npm run taxi: --events 0: must be a positive integer'],
    [['--duplicates', '2'], 'npm run taxi: --duplicates 2: must be a probability from 0 to 1'],
    [['--seed', '-5'], "npm run taxi: --seed: a value starting with '-' is written --seed=-…"],
    [['extra'], "npm run taxi: Unexpected argument 'extra'"],
    [['--checkpoint-every', '1s'], 'npm run taxi: --checkpoint-every needs --state DIR'],
    [['--state', 'x', '--checkpoint-every', '5 min'], 'npm run taxi: --checkpoint-every: cannot parse duration "5 min"'],
    [['--parquet', '/no/such/file.parquet'], 'npm run taxi: --parquet /no/such/file.parquet: no such file'],
  ])('%j: one line and the usage, status 2, no stack trace', (args, first) => {
    const { status, stdout, stderr } = taxi(...args);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.split('\n');
    expect(lines[0].startsWith(first)).toBe(true);
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('Usage: npm run taxi -- [options]');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/node:internal|Error:/);
  });

  it('--help prints the usage on stdout, status 0', () => {
    const { status, stdout } = taxi('--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run taxi -- \[options\]/);
    expect(stdout).toContain('--checkpoint-every D');
  });

  it('a job that fails prints one line naming the cause, status 1, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taxi-cli-'));
    const notADirectory = join(dir, 'file');
    writeFileSync(notADirectory, '');
    const { status, stderr } = taxi('--events', '10', '--out', notADirectory);
    expect(status).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^npm run taxi: the job failed: Error: ENOTDIR: not a directory, mkdir '.*file\/gold'$/);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
