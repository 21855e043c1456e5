/**
 * The plan digest: what the main thread and each worker thread of a parallel run compare, so that
 * a module that builds a different pipeline in a worker (randomness, the environment, `workerData`)
 * fails clearly instead of computing wrong results. Closures cannot be compared; what is compared
 * is the plan's shape: each operator's kind, `.uid()` and state fingerprint (window assigner and
 * aggregators, dedup horizon…), fan-outs and fan-ins, and the sinks' names.
 */
import { createHash } from 'node:crypto';
import type { Operator, StateFingerprint } from '../core/operator.js';

/**
 * A pipeline plan as `runtime/operator-graph.ts` defines it (`PipelinePlan`), read structurally:
 * the parallel parts sit below the runtime and do not import it.
 */
export interface DigestedPlan extends DigestedNode {
  source: { readonly name: string };
}

/** A node of a plan: its entries in order and where its results go. */
export interface DigestedNode {
  operators: readonly DigestedEntry[];
  sinks: ReadonlyArray<{ readonly name?: string }>;
  lateSink?: { readonly name?: string };
  deadLetterSink?: { readonly name?: string };
}

/** An entry of a plan node: an operator factory, an operator with its identity, a fan-out or a fan-in. */
export type DigestedEntry =
  | (() => Operator)
  | { make: () => Operator; uid?: string; fingerprint?: StateFingerprint }
  | { branches: readonly DigestedNode[] }
  | { union: readonly DigestedNode[] };

/** A plan's shape: one readable line per source, operator, fan-out, fan-in and sink, and their hash. */
export interface PlanDigest {
  /** SHA-256 of `lines`, in hex. */
  hash: string;
  /** `0 window uid=zones window assigner=tumbling(300000ms) …`, prefixed in branches (`b0.1/`) and union inputs (`u0/`). */
  lines: string[];
}

/**
 * The digest of a plan. Equal for the same module built twice, in one thread or two; different
 * when an operator, a window size, a `.uid()`, a fingerprint part, a branch or a sink differs.
 * Makes each operator once (as the runtime does per run) to read its kind and fingerprint; an
 * operator's resources open only when the runtime opens it.
 * @example planDigest(stream.plan()).hash
 */
export function planDigest(plan: DigestedPlan): PlanDigest {
  const lines = [`source ${plan.source.name}`];
  describeNode(plan, '', lines);
  return { hash: createHash('sha256').update(lines.join('\n')).digest('hex'), lines };
}

/**
 * The first difference between two digests, in words (for the error that stops a parallel run);
 * `undefined` when they are equal.
 * @param expected the main thread's digest.
 * @param actual a worker's digest.
 * @param names what to call each side in the message.
 * @example describePlanDifference(main, worker, ['the main thread', 'worker 2'])
 */
export function describePlanDifference(
  expected: PlanDigest,
  actual: PlanDigest,
  names: readonly [string, string] = ['the main thread', 'the worker'],
): string | undefined {
  if (expected.hash === actual.hash) return undefined;
  const [first, second] = names;
  const length = Math.max(expected.lines.length, actual.lines.length);
  for (let i = 0; i < length; i++) {
    const a = expected.lines[i];
    const b = actual.lines[i];
    if (a === b) continue;
    if (a === undefined) return `${second} has more in its pipeline than ${first}: ${JSON.stringify(b)}`;
    if (b === undefined) return `${second} lacks ${JSON.stringify(a)}, which ${first} has`;
    return `${first} has ${JSON.stringify(a)} where ${second} has ${JSON.stringify(b)}`;
  }
  return `the digests differ (${expected.hash} and ${actual.hash}) though their lines are equal`;
}

function describeNode(node: DigestedNode, path: string, lines: string[]): void {
  let index = 0;
  let fanOuts = 0;
  for (const entry of node.operators) {
    if (typeof entry === 'function' || 'make' in entry) {
      const { make, uid, fingerprint } = typeof entry === 'function' ? { make: entry, uid: undefined, fingerprint: undefined } : entry;
      const op = make();
      const parts = [`${path}${index++} ${op.name}`];
      if (uid !== undefined) parts.push(`uid=${uid}`);
      // As the runtime records it: stateful operators only, with `operator: <name>` added.
      if (typeof op.snapshotState === 'function')
        parts.push(describeFingerprint({ operator: op.name, ...(fingerprint ?? op.stateFingerprint) }));
      lines.push(parts.join(' '));
    } else if ('union' in entry) {
      lines.push(`${path}union of ${entry.union.length} inputs`);
      entry.union.forEach((input, i) => describeNode(input, `${path}u${i}/`, lines));
    } else {
      const at = fanOuts++;
      lines.push(`${path}fan-out ${at} into ${entry.branches.length} branches`);
      entry.branches.forEach((branch, b) => describeNode(branch, `${path}b${at}.${b}/`, lines));
    }
  }
  lines.push(`${path}sinks: ${node.sinks.map(sinkName).join(', ') || '(none)'}`);
  if (node.lateSink) lines.push(`${path}late records to ${sinkName(node.lateSink)}`);
  if (node.deadLetterSink) lines.push(`${path}dead letters to ${sinkName(node.deadLetterSink)}`);
}

function sinkName(sink: { readonly name?: string }): string {
  return sink.name ?? '(unnamed sink)';
}

function describeFingerprint(fingerprint: StateFingerprint): string {
  return Object.entries(fingerprint)
    .map(([part, value]) => `${part}=${value}`)
    .join(' ');
}
