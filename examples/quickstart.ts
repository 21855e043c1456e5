// A first streamkit job: page views, out of order, counted per page in 1-minute event-time windows.
// Run it with `npm run example`.
import { boundedOutOfOrderness, count, from, fromArray, max, tumbling } from '../src/index.js';

interface PageView {
  page: string;
  at: number; // epoch ms, when the view happened
  ms: number; // time on page
}

const t0 = Date.UTC(2024, 0, 15, 9, 0, 0);
const views: PageView[] = [
  { page: '/home', at: t0 + 5_000, ms: 1200 },
  { page: '/pricing', at: t0 + 20_000, ms: 5400 },
  { page: '/home', at: t0 + 61_000, ms: 300 },
  { page: '/home', at: t0 + 40_000, ms: 800 }, // arrives late, but within the 30 s bound
  { page: '/pricing', at: t0 + 75_000, ms: 2100 },
  { page: '/home', at: t0 + 130_000, ms: 900 },
];

// `collect()` runs the job and returns its results typed: r.value is { views: number; longestMs: number | null }.
const { items, summary } = await from(fromArray(views, { batchSize: 1 }))
  .withTimestamps((v) => v.at, boundedOutOfOrderness('30s'))
  .keyBy((v) => v.page)
  .window(tumbling('1m'))
  .aggregate({ views: count(), longestMs: max((v: PageView) => v.ms) })
  .collect();

for (const r of items) {
  const start = new Date(r.window.start).toISOString().slice(11, 16);
  const end = new Date(r.window.end).toISOString().slice(11, 16);
  console.log(`${r.key.padEnd(9)} [${start}, ${end})  views=${r.value.views}  longest=${r.value.longestMs} ms  pane=${r.pane.timing}`);
}
console.log(`\n${summary.records} records → ${summary.results} window results in ${summary.durationMs} ms`);
