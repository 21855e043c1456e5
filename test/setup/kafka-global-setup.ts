/**
 * vitest globalSetup: makes sure a Kafka broker answers on 127.0.0.1:9092 before the Kafka
 * integration tests run, starting one with `scripts/kafka.sh start` if needed, and stopping it
 * afterwards only if this setup started it.
 *
 * The broker is started only when the run may include `test/kafka/` (no file filter, or a filter
 * naming kafka), so other areas' test runs do not pay for a JVM. Tests read the address with
 * `inject('kafkaBrokers')`. Set `KAFKA_BROKERS` to use another broker (nothing is started then).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Broker addresses for the Kafka integration tests. */
    kafkaBrokers: string[];
  }
}

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/kafka.sh', import.meta.url));

/** Whether a `vitest run|watch|dev [filters…]` command line may select files under `test/kafka/`. */
export function runMayIncludeKafka(argv: readonly string[]): boolean {
  const i = argv.findIndex((a) => a === 'run' || a === 'watch' || a === 'dev');
  const filters = argv.slice(i + 1).filter((a) => !a.startsWith('-'));
  if (filters.length === 0) return true;
  return filters.some((f) => f.includes('kafka') || f === 'test' || f === 'test/');
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    project.provide(
      'kafkaBrokers',
      external.split(',').map((b) => b.trim()),
    );
    return;
  }
  project.provide('kafkaBrokers', ['127.0.0.1:9092']);
  if (!runMayIncludeKafka(process.argv.slice(2))) return;

  const wasRunning = await run('bash', [script, 'status']).then(
    () => true,
    () => false,
  );
  if (wasRunning) return;
  await run('bash', [script, 'start'], { timeout: 300_000 });
  return async () => {
    await run('bash', [script, 'stop'], { timeout: 60_000 });
  };
}
