-- silver: parse, filter and derive every Silver column, then count and write nothing.
-- The counting sink takes every column so the planner cannot prune the derived ones.
CREATE TABLE silver_count WITH ('connector' = 'streamkit-count') AS SELECT * FROM silver;
