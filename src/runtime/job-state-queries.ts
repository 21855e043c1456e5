import { PipelineError } from '../core/errors.js';
import { encodeKey } from '../core/key-encoding.js';
import { compareKeys, type KeyedStateQuery, type StateEntry, type StateQuery, type StateRangeOptions } from '../core/state-query.js';
import type { OperatorGraph } from './operator-graph.js';

/**
 * The queryable state of one job (`job.query(uid)`): reads wait until the job has opened and
 * restored its state, then read the operators of every running graph (one, or one per partition
 * task) between batches. A key lives in one task, so `get` takes the first task that holds it and
 * listings merge the tasks' keys in key order ({@link compareKeys}).
 */
export class JobStateQueries {
  /** The job's graph: it names the operator ids (every partition task's graph has the same ones). */
  private graph: OperatorGraph | undefined;
  private running: () => readonly OperatorGraph[] = () => [];
  private readonly ready: Promise<void>;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor() {
    this.ready = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // A job that fails to open rejects its reads, not the process.
    this.ready.catch(() => undefined);
  }

  /** The job has opened and restored: `graph` names the operators, `running` returns the graphs holding state. */
  opened(graph: OperatorGraph, running: () => readonly OperatorGraph[]): void {
    this.graph = graph;
    this.running = running;
    this.settle.resolve();
  }

  /** The job failed before it opened: reads reject with `error`. */
  failed(error: unknown): void {
    this.settle.reject(error);
  }

  /** A view of the state of the stateful operator with id `uid` (checked at each read). */
  query(uid: string): StateQuery {
    if (typeof uid !== 'string') throw new TypeError(`query(uid): uid must be an operator id string, got ${typeof uid}`);
    return {
      uid,
      get: async (key) => {
        const hooks = await this.hooksOf(uid);
        encodeKey(key);
        for (const hook of hooks) {
          const value = hook.get(key);
          if (value !== undefined) return value;
        }
        return undefined;
      },
      entries: async (options = {}) => {
        const listed = await this.list(await this.hooksOf(uid), options);
        return listed.map(([key, hook]): StateEntry => ({ key, value: hook.get(key) }));
      },
      keys: async (options = {}) => (await this.list(await this.hooksOf(uid), options)).map(([key]) => key),
    };
  }

  /** The query hooks of operator `uid` in the running graphs. */
  private async hooksOf(uid: string): Promise<KeyedStateQuery[]> {
    await this.ready;
    const hook = this.graph!.stateQuery(uid);
    if (hook === undefined) {
      const uids = this.graph!.statefulUids();
      throw new PipelineError(
        `query(${JSON.stringify(uid)}): no stateful operator has this id; ${
          uids.length === 0 ? 'this pipeline keeps no state' : `its stateful operators are ${uids.map((u) => JSON.stringify(u)).join(', ')}`
        }`,
      );
    }
    if (hook === null) {
      throw new PipelineError(`query(${JSON.stringify(uid)}): this operator keeps state but offers no view of it (it has no stateQuery)`);
    }
    const hooks: KeyedStateQuery[] = [];
    for (const graph of this.running()) {
      const h = graph.stateQuery(uid);
      if (h) hooks.push(h);
    }
    return hooks;
  }

  /** The keys of every hook within `options`, in key order, each with the hook holding it. */
  private async list(hooks: KeyedStateQuery[], options: StateRangeOptions): Promise<Array<[unknown, KeyedStateQuery]>> {
    const { from, to, limit } = checkRange(options);
    const byText = new Map<string, [unknown, KeyedStateQuery]>();
    for (const hook of hooks) {
      for await (const key of hook.keys()) {
        if ((from !== undefined && compareKeys(key, from) < 0) || (to !== undefined && compareKeys(key, to) > 0)) continue;
        const text = encodeKey(key);
        if (!byText.has(text)) byText.set(text, [key, hook]);
      }
    }
    const listed = [...byText.values()].sort((a, b) => compareKeys(a[0], b[0]));
    return limit === undefined ? listed : listed.slice(0, limit);
  }
}

function checkRange(options: StateRangeOptions): StateRangeOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError('entries(options): options must be an object such as { limit: 10 }');
  const { from, to, limit } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`entries(options): limit must be a non-negative integer, got ${JSON.stringify(limit)}`);
  }
  if (from !== undefined) encodeKey(from);
  if (to !== undefined) encodeKey(to);
  return { from, to, limit };
}
