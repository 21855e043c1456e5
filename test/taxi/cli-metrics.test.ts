import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function counter(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.split(' ').pop());
  return total;
}

describe('taxi CLI --metrics-port', () => {
  it('serves Prometheus metrics of the running job over HTTP', async () => {
    const port = await freePort();
    const out = mkdtempSync(join(tmpdir(), 'taxi-metrics-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/taxi/cli.ts', '--events', '400000', '--metrics-port', String(port), '--no-batch-check', '--out', out],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      let scraped = '';
      const deadline = Date.now() + 60_000;
      // Scrape until the job has read records; the endpoint is up while the pipeline runs.
      while (Date.now() < deadline && child.exitCode === null) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          scraped = await res.text();
          expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
          if (counter(scraped, 'streamkit_records_in_total') > 0) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(stderr).toContain(`http://127.0.0.1:${port}/metrics`);
      expect(counter(scraped, 'streamkit_records_in_total')).toBeGreaterThan(0);
      expect(scraped).toMatch(/^streamkit_watermark_timestamp_seconds\{/m);
      expect(scraped).toMatch(/^streamkit_process_resident_memory_bytes /m);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
