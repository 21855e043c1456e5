-- sessions: Silver, keyed by vendor and pickup zone, session windows with a 30-minute gap.
-- A session ends 30 minutes after its last trip's pickup. Bounds are epoch ms (America/New_York).
SELECT
  vendor_id AS vendor,
  pickup_location_id AS zone,
  UNIX_TIMESTAMP(DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowStart,
  UNIX_TIMESTAMP(DATE_FORMAT(window_end, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS windowEnd,
  COUNT(*) AS trips,
  SUM(total_amount) AS revenue
FROM TABLE(SESSION(TABLE silver PARTITION BY (vendor_id, pickup_location_id),
  DESCRIPTOR(pickup_datetime), INTERVAL '30' MINUTES))
GROUP BY vendor_id, pickup_location_id, window_start, window_end;
