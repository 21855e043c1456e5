/**
 * vitest globalSetup: makes sure a Confluent-compatible Schema Registry answers before the Kafka
 * integration tests run (test/kafka/schema-registry.test.ts needs one), starting Apicurio
 * Registry with `scripts/schema-registry.sh start` if needed, and stopping it afterwards only if
 * this setup started it.
 *
 * Like the broker, it is started only when the run may include `test/kafka/`. Tests read the
 * Confluent-compatible base URL with `inject('schemaRegistryUrl')`. Set `SCHEMA_REGISTRY_URL` to
 * use another registry (nothing is started then), e.g. `http://localhost:18081` for the Redpanda
 * of docker-compose.yml.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { runMayIncludeKafka } from './kafka-global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Confluent-compatible Schema Registry API for the integration tests. */
    schemaRegistryUrl: string;
  }
}

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/schema-registry.sh', import.meta.url));

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const external = process.env.SCHEMA_REGISTRY_URL;
  if (external) {
    project.provide('schemaRegistryUrl', external.replace(/\/+$/, ''));
    return;
  }
  project.provide('schemaRegistryUrl', (await run('bash', [script, 'url'])).stdout.trim());
  if (!runMayIncludeKafka(process.argv.slice(2))) return;

  const wasRunning = await run('bash', [script, 'status']).then(
    () => true,
    () => false,
  );
  if (wasRunning) return;
  // the first start packages the registry with Maven (about a minute); later ones take seconds
  await run('bash', [script, 'start'], { timeout: 600_000 });
  return async () => {
    await run('bash', [script, 'stop'], { timeout: 60_000 });
  };
}
