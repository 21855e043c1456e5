-- Raw taxi trips (Bronze input) and the Silver view, shared by every benchmark job.
-- ${input} is replaced by the runner with the input file's URI.
--
-- Timestamps are naive New York wall-clock strings. They stay naive TIMESTAMP(3) here: 5-minute
-- and session windows over wall-clock time align exactly with windows over the instant, except
-- across a DST change, which January 2024 does not contain. Window bounds are turned into epoch
-- milliseconds with UNIX_TIMESTAMP under table.local-time-zone = America/New_York.
--
-- Broken JSON lines are skipped and unparsable fields read as NULL (json.ignore-parse-errors);
-- NULLs then fail the Silver predicates under SQL three-valued logic. Flink's JSON format has no
-- strict mode: a number written as a string ("fare_amount":"17.7") is read as the number, where
-- streamkit's Bronze sends it to the dead letters. Compare outputs on input without bad records.
--
-- Flink SQL declares a watermark only on a table, while streamkit derives it after the Silver
-- filter. So the event-time column is the pickup time only for rows that pass Silver and the
-- epoch for the others: a rejected row (a 2009 pickup, a February edge) never advances the
-- watermark, and the rowtime is never NULL, which Flink's watermark assigner rejects.
-- The watermark is max - delay - 1 ms, streamkit's boundedOutOfOrderness(delay); the runner puts
-- the delay in for ${watermarkDelay} (--watermark-delay-ms) as an HOUR TO SECOND literal. The
-- watermark interval is Flink's default unless the runner is given --watermark-interval-ms.
CREATE TABLE raw_trips (
  VendorID INT,
  tpep_pickup_datetime STRING,
  tpep_dropoff_datetime STRING,
  passenger_count INT,
  trip_distance DOUBLE,
  RatecodeID INT,
  store_and_fwd_flag STRING,
  PULocationID INT,
  DOLocationID INT,
  payment_type INT,
  fare_amount DOUBLE,
  extra DOUBLE,
  mta_tax DOUBLE,
  tip_amount DOUBLE,
  tolls_amount DOUBLE,
  improvement_surcharge DOUBLE,
  total_amount DOUBLE,
  congestion_surcharge DOUBLE,
  Airport_fee DOUBLE,
  pickup_raw AS TO_TIMESTAMP(tpep_pickup_datetime, 'yyyy-MM-dd''T''HH:mm:ss'),
  dropoff_ts AS TO_TIMESTAMP(tpep_dropoff_datetime, 'yyyy-MM-dd''T''HH:mm:ss'),
  -- The Silver predicates (pickup only for the January range; zero fare and zero distance are
  -- kept). A NULL anywhere makes the conjunction NULL, and IS TRUE rejects it.
  is_silver AS (
    TO_TIMESTAMP(tpep_pickup_datetime, 'yyyy-MM-dd''T''HH:mm:ss') >= TIMESTAMP '2024-01-01 00:00:00'
    AND TO_TIMESTAMP(tpep_pickup_datetime, 'yyyy-MM-dd''T''HH:mm:ss') < TIMESTAMP '2024-02-01 00:00:00'
    AND TO_TIMESTAMP(tpep_dropoff_datetime, 'yyyy-MM-dd''T''HH:mm:ss') IS NOT NULL
    AND trip_distance >= 0
    AND fare_amount >= 0
  ) IS TRUE,
  pickup_ts AS CASE
    WHEN (
      TO_TIMESTAMP(tpep_pickup_datetime, 'yyyy-MM-dd''T''HH:mm:ss') >= TIMESTAMP '2024-01-01 00:00:00'
      AND TO_TIMESTAMP(tpep_pickup_datetime, 'yyyy-MM-dd''T''HH:mm:ss') < TIMESTAMP '2024-02-01 00:00:00'
      AND TO_TIMESTAMP(tpep_dropoff_datetime, 'yyyy-MM-dd''T''HH:mm:ss') IS NOT NULL
      AND trip_distance >= 0
      AND fare_amount >= 0
    ) IS TRUE
    THEN TO_TIMESTAMP(tpep_pickup_datetime, 'yyyy-MM-dd''T''HH:mm:ss')
    ELSE TIMESTAMP '1970-01-01 00:00:00'
  END,
  WATERMARK FOR pickup_ts AS pickup_ts - INTERVAL '${watermarkDelay}' HOUR TO SECOND - INTERVAL '0.001' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${input}',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true',
  'json.fail-on-missing-field' = 'false'
);

-- Silver: the rows that pass the predicates above, snake_case names, money rounded to
-- 2 decimals, pickup_date, and trip_id: sha256 hex of the seven natural-key fields joined with
-- '|', written canonically as examples/taxi/silver.ts does (integers plain, timestamps as the
-- naive text, money rounded half away from zero with exactly two decimals, NULL as '').
CREATE VIEW silver AS
SELECT
  SHA256(CONCAT_WS('|',
    COALESCE(CAST(VendorID AS STRING), ''),
    COALESCE(tpep_pickup_datetime, ''),
    COALESCE(tpep_dropoff_datetime, ''),
    COALESCE(CAST(PULocationID AS STRING), ''),
    COALESCE(CAST(DOLocationID AS STRING), ''),
    COALESCE(CAST(CAST(fare_amount AS DECIMAL(12, 2)) AS STRING), ''),
    COALESCE(CAST(CAST(total_amount AS DECIMAL(12, 2)) AS STRING), ''))) AS trip_id,
  VendorID AS vendor_id,
  pickup_ts AS pickup_datetime,
  dropoff_ts AS dropoff_datetime,
  CAST(pickup_ts AS DATE) AS pickup_date,
  passenger_count,
  trip_distance AS trip_distance_miles,
  RatecodeID AS rate_code_id,
  store_and_fwd_flag,
  PULocationID AS pickup_location_id,
  DOLocationID AS dropoff_location_id,
  payment_type AS payment_type_id,
  ROUND(fare_amount, 2) AS fare_amount,
  ROUND(extra, 2) AS extra_amount,
  ROUND(mta_tax, 2) AS mta_tax,
  ROUND(tip_amount, 2) AS tip_amount,
  ROUND(tolls_amount, 2) AS tolls_amount,
  ROUND(improvement_surcharge, 2) AS improvement_surcharge,
  ROUND(total_amount, 2) AS total_amount,
  ROUND(congestion_surcharge, 2) AS congestion_surcharge,
  ROUND(Airport_fee, 2) AS airport_fee
FROM raw_trips
WHERE is_silver;
