/**
 * Every broker, registry or console address a page quotes exists where the page sends the reader:
 * a `localhost:port` or `127.0.0.1:port` is published by `docker-compose.yml`, opened by one of the
 * `scripts/` (`npm run kafka:start`, `registry:start`) or configured on the same page
 * (`port: 9464`); a `redpanda:port` is a port the compose service listens on inside its network.
 * A sentence about `docker compose` that quotes a local address must quote one compose publishes,
 * and one that speaks of its port must say which.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, sentences } from './markdown-parts.js';
import { markdownFiles, root } from './markdown-files.js';

/** What `docker-compose.yml` makes reachable: host ports it publishes, and `service:port` inside its network. */
export function composeAddresses(yaml: string): { published: Set<number>; internal: Set<string> } {
  const published = new Set<number>();
  const internal = new Set<string>();
  let service: string | undefined;
  let section: string | undefined;
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    const serviceName = /^ {2}([\w-]+):\s*$/.exec(line);
    if (serviceName) {
      service = serviceName[1];
      continue;
    }
    if (/^\S/.test(line)) service = undefined;
    const key = /^ {4}([\w-]+):/.exec(line);
    if (key) section = key[1];
    if (!service) continue;
    const port = section === 'ports' && /^\s+-\s*['"]?(?:[\d.]+:)?(\d+):(\d+)(?:\/\w+)?['"]?\s*$/.exec(line);
    if (port) {
      published.add(Number(port[1]));
      internal.add(`${service}:${port[2]}`);
    }
    // Listeners in the service's own command line: internal://0.0.0.0:9092, internal://redpanda:9092
    for (const m of line.matchAll(/internal:\/\/([\w.-]+):(\d+)/g)) internal.add(`${m[1] === '0.0.0.0' ? service : m[1]}:${m[2]}`);
  }
  return { published, internal };
}

/** Ports the local scripts open on 127.0.0.1: their `PORT="${NAME_PORT:-9092}"` defaults. */
export function scriptPorts(scripts: string[]): Set<number> {
  const ports = new Set<number>();
  for (const text of scripts) for (const m of text.matchAll(/^\s*PORT="\$\{\w+:-(\d+)\}"/gm)) ports.add(Number(m[1]));
  return ports;
}

/** Ports a page configures itself: `port: 9464`, `--metrics-port 9464`, `PORT=9464`. */
export function configuredPorts(markdown: string): Set<number> {
  return new Set([...markdown.matchAll(/\b(?:port:\s*|-port[ =]|_PORT=)(\d{2,5})\b/gi)].map((m) => Number(m[1])));
}

const ADDRESS = /\b(localhost|127\.0\.0\.1|redpanda):(\d{2,5})\b/g;

/** What is wrong with the addresses one page quotes. */
export function addressProblems(
  markdown: string,
  known: { published: Set<number>; internal: Set<string>; scripts: Set<number> },
): string[] {
  const problems: string[] = [];
  const own = configuredPorts(markdown);
  const check = (text: string, line: number, aboutCompose: boolean) => {
    for (const m of text.matchAll(ADDRESS)) {
      const [address, host, portText] = m;
      const port = Number(portText);
      if (host === 'redpanda') {
        if (!known.internal.has(address)) problems.push(`${line}: ${address} is no port of the compose service redpanda`);
      } else if (aboutCompose) {
        if (!known.published.has(port))
          problems.push(`${line}: ${address} is quoted for docker compose, which publishes ${[...known.published].join(', ')}`);
      } else if (!known.published.has(port) && !known.scripts.has(port) && !own.has(port)) {
        problems.push(`${line}: ${address} is neither published by docker-compose.yml, opened by scripts/, nor configured on this page`);
      }
    }
  };
  for (const block of codeBlocks(markdown)) {
    block.code.split('\n').forEach((text, i) => check(text, block.line + 1 + i, /docker[ -]compose/.test(text)));
  }
  for (const { text, line } of sentences(markdown)) {
    const aboutCompose = /docker[ -]compose/.test(text);
    check(text, line, aboutCompose);
    if (aboutCompose && /\bports?\b/.test(text) && text.match(ADDRESS) === null && !/\b\d{4,5}\b/.test(text)) {
      problems.push(`${line}: a sentence about docker compose speaks of a port without saying which: "${text.replace(/\s+/g, ' ')}"`);
    }
  }
  return problems;
}

describe('docs: quoted addresses and ports', () => {
  const compose = composeAddresses(readFileSync(join(root, 'docker-compose.yml'), 'utf8'));
  const scriptsDir = join(root, 'scripts');
  const scripts = scriptPorts(
    readdirSync(scriptsDir)
      .filter((f) => f.endsWith('.sh'))
      .map((f) => readFileSync(join(scriptsDir, f), 'utf8')),
  );
  const known = { ...compose, scripts };

  it('reads the ports from docker-compose.yml and scripts/', () => {
    expect(compose.published).toContain(19092);
    expect(compose.published).not.toContain(9092);
    expect(compose.internal).toContain('redpanda:9092');
    expect(scripts).toEqual(new Set([9092, 8081]));
  });

  it('flags a wrong port, and a docker compose port left unsaid', () => {
    const page = [
      'Run `npm run kafka:start`: the broker is on `127.0.0.1:9092`.',
      '`docker compose up -d` starts Redpanda on the same port.',
      'With Docker, `docker compose up -d` serves the Kafka API on `localhost:9092`.',
      'Metrics are on `http://localhost:9464/metrics`, scraped at `localhost:9999`.',
      '```ts\nrun({ metrics: { port: 9464 } }); // inside the network: redpanda:9093\n```',
    ].join('\n\n');
    expect(addressProblems(page, known)).toEqual([
      '10: redpanda:9093 is no port of the compose service redpanda',
      '3: a sentence about docker compose speaks of a port without saying which: "`docker compose up -d` starts Redpanda on the same port."',
      '5: localhost:9092 is quoted for docker compose, which publishes 18081, 18082, 19092, 19644, 8080',
      '7: localhost:9999 is neither published by docker-compose.yml, opened by scripts/, nor configured on this page',
    ]);
  });

  for (const file of markdownFiles()) {
    const name = relative(root, file);
    it(`${name}: every address it quotes exists`, () => {
      expect(addressProblems(readFileSync(file, 'utf8'), known).map((p) => `${name}:${p}`)).toEqual([]);
    });
  }
});
