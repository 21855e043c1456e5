-- zone-5m: Silver, the watermark on pickup time (declared on raw_trips), tumbling 5 minutes
-- per pickup zone. Window bounds are epoch milliseconds (America/New_York).
SELECT
  pickup_location_id AS zone,
  UNIX_TIMESTAMP(DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowStart,
  UNIX_TIMESTAMP(DATE_FORMAT(window_end, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowEnd,
  COUNT(*) AS trips,
  SUM(total_amount) AS revenue,
  AVG(fare_amount) AS avgFare,
  AVG(trip_distance_miles) AS avgDistance
FROM TABLE(TUMBLE(TABLE silver, DESCRIPTOR(pickup_datetime), INTERVAL '5' MINUTES))
GROUP BY pickup_location_id, window_start, window_end;
