import { StateError } from '../core/errors.js';
import type { StateFingerprint } from '../core/operator.js';
import { checkOptions } from '../core/options.js';

/** Options of `run({ restore })`: what a restore may do with state the pipeline no longer has. */
export interface RestoreOptions {
  /**
   * Drops the state of operators the checkpoint holds but this pipeline no longer has, instead of
   * refusing the restore: `true` for any of them, or the ids of those to drop
   * (`['window#1', 'zone-5m']`), so that an operator removed by mistake is still refused. The
   * first checkpoint of the run then removes that state for good. Default: refuse.
   */
  allowDroppedState?: boolean | readonly string[];
}

/** A stateful operator of a running graph, as a restore sees it. */
export interface StatefulOperatorIdentity {
  /** The id its state is checkpointed under (`.uid()` or derived: `window#0`). */
  uid: string;
  /** The id state format 1 gave it: its position along its line and its kind (`3-window`). */
  legacyUid: string;
  fingerprint: StateFingerprint;
}

/** The checkpointed state a restore starts from: state per uid and, from state format 2 on, fingerprints. */
export interface RestoredState {
  operators: ReadonlyMap<string, unknown>;
  fingerprints?: ReadonlyMap<string, StateFingerprint>;
}

/** Which checkpointed state goes to which operator, and which is dropped. */
export interface RestoreMatch {
  /** Live operator uid → the checkpoint's uid whose state it restores. */
  sources: Map<string, string>;
  /** Checkpoint uids whose state the next checkpoint removes: dropped, or renamed from format 1. */
  retired: string[];
}

/**
 * Checks `run({ restore })` where it is given.
 * @param options the value of the `restore` option.
 * @throws TypeError naming the option and the rule.
 * @example checkRestoreOptions({ allowDroppedState: ['window#1'] })
 */
export function checkRestoreOptions(options: unknown): RestoreOptions {
  if (options === undefined) return {};
  checkOptions('run: restore', options, ['allowDroppedState']);
  const allow = (options as RestoreOptions).allowDroppedState;
  if (
    allow !== undefined &&
    typeof allow !== 'boolean' &&
    !(Array.isArray(allow) && allow.every((uid) => typeof uid === 'string' && uid.length > 0))
  ) {
    throw new TypeError(
      `run: restore.allowDroppedState must be true, false or an array of operator ids such as ['window#1'], got ${JSON.stringify(allow)}`,
    );
  }
  return options as RestoreOptions;
}

/**
 * Maps a checkpoint's operator state onto the stateful operators of a pipeline, refusing anything
 * that would not restore exactly (SEMANTICS.md, Restore compatibility):
 *
 * - State format 2: state goes to the operator with the same uid, whose fingerprint must equal the
 *   recorded one part for part. An operator the checkpoint does not know starts empty; state whose
 *   operator is gone is refused unless `allowDroppedState` names it (or is `true`).
 * - State format 1 (no fingerprints; uids were `<position>-<kind>`): state goes to the operator that
 *   had that uid in format 1, which holds only while the operators of that kind keep their places.
 *   What the checkpoint cannot show (an aggregator changed in place) cannot be checked; the window
 *   operator still checks its recorded assigner. The first checkpoint rewrites it under the new ids.
 *
 * @param operators the pipeline's stateful operators.
 * @param restored the checkpoint's state.
 * @param options `run({ restore })`.
 * @param where names the checkpoint in messages (`checkpoint 12`, `task trips/3 at checkpoint 12`).
 * @throws StateError `STATE_INCOMPATIBLE` naming each operator and what differs.
 * @example const { sources, retired } = matchRestoredState(graphOperators, restored, {}, 'checkpoint 3');
 */
export function matchRestoredState(
  operators: readonly StatefulOperatorIdentity[],
  restored: RestoredState,
  options: RestoreOptions,
  where: string,
): RestoreMatch {
  const legacy = restored.fingerprints === undefined;
  const byUid = new Map(operators.map((o) => [legacy ? o.legacyUid : o.uid, o]));
  const sources = new Map<string, string>();
  const retired: string[] = [];
  const vanished: string[] = [];
  const changed: Array<{ uid: string; difference: string; recorded?: StateFingerprint; live: StateFingerprint }> = [];
  for (const stored of restored.operators.keys()) {
    const live = byUid.get(stored);
    if (!live) {
      vanished.push(stored);
      continue;
    }
    if (!legacy) {
      const recorded = restored.fingerprints!.get(stored);
      const difference = recorded ? fingerprintDifference(recorded, live.fingerprint) : 'the checkpoint recorded no fingerprint for it';
      if (difference) {
        changed.push({ uid: stored, difference, recorded, live: live.fingerprint });
        continue;
      }
    }
    sources.set(live.uid, stored);
    if (stored !== live.uid) retired.push(stored);
  }
  // The one difference of an operator whose state moved from the heap to disk (the graph adds `storage`
  // and, for an operator that declares one, `residentLayout`).
  const moved = changed.filter(
    (c) => c.recorded?.storage === undefined && c.live.storage !== undefined && differsOnlyIn(c.recorded, c.live, RESIDENT_PARTS),
  );
  if (moved.length > 0) {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `cannot restore ${where}: ${moved.map((c) => JSON.stringify(c.uid)).join(', ')} kept its state on the heap when the checkpoint was ` +
        `written (without levelState(dir, { memory }), or by a version of streamkit that kept this kind of state on the heap) and now ` +
        `keeps it on disk, in another layout. Run with the setting and version the checkpoint was written with, or start from a new ` +
        `state directory`,
    );
  }
  // State on disk in both, in layouts of different versions: this version cannot read the other.
  const relaid = changed.filter(
    (c) => c.recorded?.storage !== undefined && c.live.storage !== undefined && differsOnlyIn(c.recorded, c.live, ['residentLayout']),
  );
  if (relaid.length > 0) {
    const described = relaid.map((c) => {
      const written = c.recorded!.residentLayout;
      return (
        `${JSON.stringify(c.uid)} keeps its state on disk in ` +
        `${written === undefined ? 'a layout without a version (written by an earlier streamkit)' : `layout ${JSON.stringify(written)}`}, ` +
        `and this version reads layout ${JSON.stringify(c.live.residentLayout)}`
      );
    });
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `cannot restore ${where}: ${described.join('; ')}. The layouts cannot be converted: restore it with the streamkit version ` +
        `that wrote it, or start from a new state directory`,
    );
  }
  if (changed.length > 0) {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `cannot restore ${where}: what the state means changed. ${changed.map((c) => `operator ${c.uid}: ${c.difference}`).join('; ')}. ` +
        `An operator cannot take the state of a different one: deploy it as it was, or give the changed operator a new .uid(…) ` +
        `(it then starts empty) and drop the old state with run({ restore: { allowDroppedState: [${changed
          .map((c) => JSON.stringify(c.uid))
          .join(', ')}] } })`,
    );
  }
  const allow = options.allowDroppedState;
  const refused = vanished.filter((uid) => !(allow === true || (Array.isArray(allow) && allow.includes(uid))));
  if (refused.length > 0) {
    const described = refused.map((uid) => {
      const recorded = restored.fingerprints?.get(uid);
      return recorded ? `${uid} (${describeFingerprint(recorded)})` : uid;
    });
    const unmatched = operators.filter((o) => !sources.has(o.uid));
    const hints = legacy ? [] : pinHints(refused, unmatched, restored.fingerprints!);
    const list = refused.map((uid) => JSON.stringify(uid)).join(', ');
    throw new StateError(
      'STATE_INCOMPATIBLE',
      legacy
        ? `cannot restore ${where}: it was written in state format 1, which named operators by their position in the pipeline ` +
            `and recorded no fingerprint of their state, and this pipeline has no operator of the same kind at the place of ${described.join(', ')}. ` +
            `Restore it with the pipeline that wrote it (its first checkpoint records stable ids and fingerprints; change the pipeline after that), ` +
            `or drop that state: run({ restore: { allowDroppedState: [${list}] } })`
        : `cannot restore ${where}: it holds the state of operators this pipeline no longer has: ${described.join(', ')}. ` +
            `${hints}Put the operator back (the same .uid(), or the same place among the operators of its kind), ` +
            `or drop its state explicitly: run({ restore: { allowDroppedState: [${list}] } })`,
    );
  }
  retired.push(...vanished);
  return { sources, retired };
}

/** The fingerprint parts the runtime adds to an operator whose state is resident (see `operator-graph.ts`). */
const RESIDENT_PARTS = ['storage', 'residentLayout'];

/** Whether two fingerprints are equal but for `parts`. */
function differsOnlyIn(recorded: StateFingerprint | undefined, live: StateFingerprint, parts: readonly string[]): boolean {
  if (recorded === undefined) return false;
  const keys = new Set([...Object.keys(recorded), ...Object.keys(live)]);
  for (const part of keys) if (!parts.includes(part) && recorded[part] !== live[part]) return false;
  return true;
}

/** Suggests pinning an id where a new operator has the fingerprint of a vanished one (it moved). */
function pinHints(
  vanished: readonly string[],
  unmatched: readonly StatefulOperatorIdentity[],
  fingerprints: ReadonlyMap<string, StateFingerprint>,
): string {
  const hints: string[] = [];
  for (const uid of vanished) {
    const recorded = fingerprints.get(uid);
    const twin = recorded && unmatched.find((o) => fingerprintDifference(recorded, o.fingerprint) === undefined);
    if (twin)
      hints.push(
        `operator ${twin.uid} of this pipeline has the same fingerprint as ${uid}: if it is that operator, give it .uid('${uid}')`,
      );
  }
  return hints.length > 0 ? `${hints.join('; ')}. ` : '';
}

/**
 * What differs between a recorded and a live fingerprint, as `part was "a", now "b"`; `undefined`
 * when they are equal.
 * @example fingerprintDifference({ aggregate: 'count@1' }, { aggregate: 'sum@1' }) // 'aggregate was "count@1", now "sum@1"'
 */
export function fingerprintDifference(recorded: StateFingerprint, live: StateFingerprint): string | undefined {
  const parts = [...new Set([...Object.keys(recorded), ...Object.keys(live)])];
  const differences = parts
    .filter((part) => recorded[part] !== live[part])
    .map((part) => `${part} was ${quoted(recorded[part])}, now ${quoted(live[part])}`);
  return differences.length > 0 ? differences.join(', ') : undefined;
}

/**
 * A fingerprint on one line: `window assigner=tumbling(300000ms) keyed=yes aggregate=count@1 mode=accumulating`.
 * @example describeFingerprint({ operator: 'dedup', within: '3600000ms' }) // 'dedup within=3600000ms'
 */
export function describeFingerprint(fingerprint: StateFingerprint): string {
  const { operator, ...parts } = fingerprint;
  return [operator ?? '?', ...Object.entries(parts).map(([k, v]) => `${k}=${v}`)].join(' ');
}

function quoted(value: string | undefined): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
