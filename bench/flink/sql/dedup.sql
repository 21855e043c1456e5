-- dedup: Silver, keep the first arrival of each trip_id, then zone-5m.
-- Deduplication keeps a trip_id for 1 hour of state TTL, the Flink SQL form of "dedup within 1 h".
SET 'table.exec.state.ttl' = '1 h';

CREATE VIEW silver_deduped AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY trip_id ORDER BY proc_time ASC) AS rn
  FROM (SELECT *, PROCTIME() AS proc_time FROM silver)
) WHERE rn = 1;

SELECT
  pickup_location_id AS zone,
  UNIX_TIMESTAMP(DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowStart,
  UNIX_TIMESTAMP(DATE_FORMAT(window_end, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowEnd,
  COUNT(*) AS trips,
  SUM(total_amount) AS revenue,
  AVG(fare_amount) AS avgFare,
  AVG(trip_distance_miles) AS avgDistance
FROM TABLE(TUMBLE(TABLE silver_deduped, DESCRIPTOR(pickup_datetime), INTERVAL '5' MINUTES))
GROUP BY pickup_location_id, window_start, window_end;
