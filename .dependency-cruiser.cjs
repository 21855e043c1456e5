/**
 * The layering of src/ (docs/architecture.md), checked by `npm run lint`: dependencies point
 * inward, and no two modules import each other, directly or through others.
 *
 *   core                                  contracts and values; imports nothing of ours
 *   fast                                  hand-tuned encoders beside their plain definitions
 *   state                                 keyed state and checkpoint storage (memory, LevelDB)
 *   watermarks, windowing, joins,         the engine's parts; each imports core, fast and state,
 *   delivery, process, serde,             never one another (observability/mask-secrets.ts, what a
 *   observability
 *                                         secret looks like, is a leaf each of them may use)
 *   sources, sinks, kafka                 integrations; may use the engine's parts
 *   parallel                              key groups, the exchange between worker threads and file
 *                                         splits; imports core, windowing/murmur3.ts and the JSONL
 *                                         reader it splits, nothing further out
 *   runtime                               runs a plan: the run loop, operator graph, checkpoints
 *   pipeline                              the typed Stream builder users call
 *   index.ts, testing                     the public entry points
 */
const ENGINE = '(watermarks|windowing|joins|delivery|process|serde|observability)';
const INTEGRATIONS = '(sources|sinks|kafka)';

/** A rule forbidding `from` folder(s) to import `to` folder(s). */
const forbid = (name, comment, from, to) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: `^src/${to}/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'Modules must not import each other, directly or through others: layers point inward.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing',
      comment: 'core holds the contracts every other folder builds on; it imports nothing else of ours.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    forbid(
      'fast-only-core',
      'fast paths depend on core alone.',
      'fast',
      `(${ENGINE.slice(1, -1)}|${INTEGRATIONS.slice(1, -1)}|runtime|pipeline|testing)`,
    ),
    {
      name: 'engine-parts-apart',
      comment: 'The engine parts import core, fast and state only, never each other or anything further out.',
      severity: 'error',
      from: { path: `^src/${ENGINE}/` },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/fast/', '^src/state/', `^src/$1/`, '^src/observability/mask-secrets\\.ts$'] },
    },
    {
      name: 'state-below-operators',
      comment: 'State storage serves every operator; it imports core and fast only.',
      severity: 'error',
      from: { path: '^src/state/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/fast/', '^src/state/'] },
    },
    forbid(
      'integrations-inward',
      'sources, sinks and kafka never import the runtime, the builder or the entry points.',
      INTEGRATIONS,
      '(runtime|pipeline|testing)',
    ),
    {
      name: 'parallel-below-runtime',
      comment:
        'parallel holds the parts parallel runs are built on: it imports core, the murmur3 hash and the JSONL reader it splits only.',
      severity: 'error',
      from: { path: '^src/parallel/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/parallel/', '^src/windowing/murmur3\\.ts$', '^src/sources/jsonl-source\\.ts$'] },
    },
    forbid(
      'runtime-below-pipeline',
      'the runtime runs plans; it never imports the builder that makes them.',
      'runtime',
      '(pipeline|testing)',
    ),
    {
      name: 'entry-points-last',
      comment: 'Nothing imports the public barrel src/index.ts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
