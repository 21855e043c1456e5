-- dedup-ids (state-scale benchmark): many distinct ids, keep the first arrival of each, count.
-- Its own source: lines {"id":"<16 hex>","t":<epoch ms>} (common.sql's taxi source is not read).
--
-- streamkit's `dedup(r => r.id, { within: '24h' })` emits a record the moment its id is first seen
-- and drops later ones until the watermark passes first sighting + 24 h. The Flink SQL equivalent
-- is the processing-time keep-first deduplication (ROW_NUMBER ordered by PROCTIME(), rn = 1) with
-- a 24 h state TTL: it too emits on arrival, append-only, and remembers each id for 24 h. The
-- event-time form (ORDER BY the rowtime) would instead emit updates whenever an earlier-timed
-- copy arrives later, a different kind of work. On this input the two keep the same records: every
-- duplicate arrives within an hour of its id's first line, and no run lasts 24 h, so no id expires
-- under either rule. The watermark is declared as in streamkit's job (1 min delay) but unused.
SET 'table.exec.state.ttl' = '24 h';

CREATE TABLE ids (
  id STRING,
  t BIGINT,
  ts AS TO_TIMESTAMP_LTZ(t, 3),
  WATERMARK FOR ts AS ts - INTERVAL '${watermarkDelay}' HOUR TO SECOND - INTERVAL '0.001' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${input}',
  'format' = 'json'
);

CREATE TABLE kept WITH ('connector' = 'streamkit-count') AS
SELECT id, t FROM (
  SELECT id, t, ROW_NUMBER() OVER (PARTITION BY id ORDER BY proc_time ASC) AS rn
  FROM (SELECT id, t, PROCTIME() AS proc_time FROM ids)
) WHERE rn = 1;
