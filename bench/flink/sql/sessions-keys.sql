-- sessions-keys (state-scale benchmark): session windows with a 30-minute gap over many keys,
-- counting each session's events. Its own source: lines {"k":"<key>","t":<epoch ms>}.
-- Event times are whole seconds; the session zone is UTC so window bounds read as epoch ms.
SET 'table.local-time-zone' = 'UTC';

CREATE TABLE key_events (
  k STRING,
  t BIGINT,
  ts AS TO_TIMESTAMP_LTZ(t, 3),
  WATERMARK FOR ts AS ts - INTERVAL '${watermarkDelay}' HOUR TO SECOND - INTERVAL '0.001' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${input}',
  'format' = 'json'
);

SELECT
  k,
  UNIX_TIMESTAMP(DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowStart,
  UNIX_TIMESTAMP(DATE_FORMAT(window_end, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowEnd,
  COUNT(*) AS n
FROM TABLE(SESSION(TABLE key_events PARTITION BY k, DESCRIPTOR(ts), INTERVAL '30' MINUTES))
GROUP BY k, window_start, window_end;
