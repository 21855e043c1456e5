package dev.streamkit.bench.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs one benchmark job, written in Flink SQL under {@code sql/}, on a local mini-cluster in
 * streaming mode and prints one JSON result line on stdout.
 *
 * <p>Usage: {@code run --job silver|zone-5m|sessions|dedup|dedup-ids|sessions-keys --input FILE
 * --out DIR --parallelism N --watermark-delay-ms MS [--watermark-interval-ms MS]
 * [--state-backend hashmap|rocksdb] [--checkpoint-interval-ms MS] [--sql-dir DIR]}. A taxi job's
 * statements are {@code sql/common.sql} (the raw source, its watermark and the Silver view)
 * followed by {@code sql/<job>.sql}; the synthetic state jobs ({@code dedup-ids},
 * {@code sessions-keys}) bring their own source table in {@code sql/<job>.sql}. A final {@code SELECT} is collected and each row is written to
 * {@code <out>/<job>.jsonl} as it arrives, one JSON object per line, so the runner keeps no rows in
 * memory; a final {@code INSERT} into the counting sink reports its row count.
 *
 * <p>The watermark interval is Flink's default (200 ms) unless {@code --watermark-interval-ms} sets
 * it; 0 emits a watermark whenever it advances, i.e. after every record.
 */
public final class FlinkBench {
  private static final List<String> JOBS =
      List.of("silver", "zone-5m", "sessions", "dedup", "dedup-ids", "sessions-keys");
  /** Jobs whose SQL file declares its own source table: common.sql (the taxi source) is not read. */
  private static final List<String> SELF_CONTAINED = List.of("dedup-ids", "sessions-keys");
  private static final List<String> STATE_BACKENDS = List.of("hashmap", "rocksdb");
  private static final Pattern SET =
      Pattern.compile("^SET\\s+'([^']+)'\\s*=\\s*'([^']*)'$", Pattern.CASE_INSENSITIVE);

  private FlinkBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parseArgs(args);
    String job = require(opts, "job");
    if (!JOBS.contains(job)) {
      throw new IllegalArgumentException("--job must be one of " + JOBS + ", got " + job);
    }
    Path input = Paths.get(require(opts, "input")).toAbsolutePath();
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("--input must be an existing file, got " + input);
    }
    Path out = Paths.get(opts.getOrDefault("out", "out/flink")).toAbsolutePath();
    int parallelism = Integer.parseInt(opts.getOrDefault("parallelism", "1"));
    if (parallelism < 1) {
      throw new IllegalArgumentException("--parallelism must be an integer >= 1, got " + parallelism);
    }
    Path sqlDir = Paths.get(opts.getOrDefault("sql-dir", defaultSqlDir())).toAbsolutePath();
    long watermarkDelayMs = Long.parseLong(require(opts, "watermark-delay-ms"));
    if (watermarkDelayMs < 0) {
      throw new IllegalArgumentException("--watermark-delay-ms must be >= 0, got " + watermarkDelayMs);
    }
    String watermarkIntervalMs = opts.get("watermark-interval-ms");
    if (watermarkIntervalMs != null && Long.parseLong(watermarkIntervalMs) < 0) {
      throw new IllegalArgumentException("--watermark-interval-ms must be >= 0, got " + watermarkIntervalMs);
    }

    String stateBackend = opts.getOrDefault("state-backend", "hashmap");
    if (!STATE_BACKENDS.contains(stateBackend)) {
      throw new IllegalArgumentException("--state-backend must be one of " + STATE_BACKENDS + ", got " + stateBackend);
    }
    String checkpointIntervalMs = opts.get("checkpoint-interval-ms");
    if (checkpointIntervalMs != null && Long.parseLong(checkpointIntervalMs) <= 0) {
      throw new IllegalArgumentException("--checkpoint-interval-ms must be > 0, got " + checkpointIntervalMs);
    }

    // Wall time is measured from JVM start, as the other engines measure from process start.
    long startMs = ManagementFactory.getRuntimeMXBean().getStartTime();

    String jobSql = Files.readString(sqlDir.resolve(job + ".sql"));
    String script = SELF_CONTAINED.contains(job)
        ? jobSql
        : Files.readString(sqlDir.resolve("common.sql")) + "\n" + jobSql;
    script = script.replace("${input}", input.toUri().toString());
    script = script.replace("${watermarkDelay}", hourToSecond(watermarkDelayMs));
    List<String> statements = splitStatements(script);

    // Flink unpacks its planner and RPC jars (about 60 MB) into the temp directory on every start
    // and does not always delete them when the JVM exits: give each run its own directory and
    // remove it at exit.
    Path tmp = Files.createTempDirectory("streamkit-flink-");
    System.setProperty("java.io.tmpdir", tmp.toString());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(tmp)));

    Configuration conf = new Configuration();
    conf.setString("io.tmp.dirs", tmp.toString());
    conf.setString("execution.runtime-mode", "STREAMING");
    conf.setString("parallelism.default", Integer.toString(parallelism));
    conf.setString("table.exec.resource.default-parallelism", Integer.toString(parallelism));
    // Naive pickup strings are New York wall-clock time: window bounds are converted to epoch
    // milliseconds in this zone (sql/*.sql use UNIX_TIMESTAMP, which reads the session zone).
    conf.setString("table.local-time-zone", "America/New_York");
    // Left at Flink's default (200 ms) unless asked: Flink SQL's watermark assigner then emits on a
    // 200 ms processing-time timer and also whenever the watermark has advanced by more than 200 ms
    // of event time since the last one it emitted. 0 emits whenever it advances, after every record.
    if (watermarkIntervalMs != null) {
      conf.setString("pipeline.auto-watermark-interval", watermarkIntervalMs + " ms");
    }
    // Where keyed state lives: on the JVM heap (hashmap, Flink's default) or in RocksDB on local
    // disk, off the heap. With a checkpoint interval, checkpoints go to a directory under the run's
    // temp directory (incremental for RocksDB).
    conf.setString("state.backend.type", stateBackend);
    if (checkpointIntervalMs != null) {
      conf.setString("execution.checkpointing.interval", checkpointIntervalMs + " ms");
      conf.setString("execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString());
      conf.setString("execution.checkpointing.incremental", Boolean.toString(stateBackend.equals("rocksdb")));
    }
    // Reads Flink's own late-record and source counters; the reporter is not scheduled, so it adds
    // no work per record.
    conf.setString("metrics.reporter.streamkit.factory.class", BenchMetricsReporterFactory.class.getName());
    TableEnvironment tEnv = TableEnvironment.create(
        EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());

    for (int i = 0; i < statements.size() - 1; i++) {
      Matcher set = SET.matcher(statements.get(i));
      if (set.matches()) {
        // TableEnvironment has no SET statement (only the SQL client does): apply it here.
        tEnv.getConfig().set(set.group(1), set.group(2));
      } else {
        tEnv.executeSql(statements.get(i));
      }
    }
    String last = statements.get(statements.size() - 1);
    boolean isQuery = last.regionMatches(true, 0, "SELECT", 0, 6) || last.regionMatches(true, 0, "WITH", 0, 4);

    long outputRows = 0;
    Long firstResultMs = null;
    Long recordsAtFirstResult = null;
    long wallMs;
    Files.createDirectories(out);
    if (isQuery) {
      TableResult result = tEnv.executeSql(last);
      List<String> names = result.getResolvedSchema().getColumnNames();
      // Each row is written as it arrives: the runner holds no rows, so peak RSS is Flink's own.
      try (CloseableIterator<Row> it = result.collect();
          BufferedWriter w = Files.newBufferedWriter(out.resolve(job + ".jsonl"), StandardCharsets.UTF_8)) {
        while (it.hasNext()) {
          Row row = it.next();
          if (row.getKind() != RowKind.INSERT) {
            // Window aggregates are append-only; an update would mean the plan is not the one
            // being benchmarked, and the written rows would be wrong.
            throw new IllegalStateException("expected append-only results, got " + row.getKind() + " " + row);
          }
          if (firstResultMs == null) {
            firstResultMs = System.currentTimeMillis() - startMs;
            recordsAtFirstResult = BenchMetricsReporter.sourceRecords();
          }
          w.write(jsonLine(names, row));
          outputRows++;
        }
      }
      wallMs = System.currentTimeMillis() - startMs;
    } else {
      tEnv.executeSql(last).await();
      wallMs = System.currentTimeMillis() - startMs;
      outputRows = CountingSinkFactory.COUNT.get();
      long firstAt = CountingSinkFactory.FIRST_ROW_AT.get();
      if (firstAt > 0) {
        firstResultMs = firstAt - startMs;
        recordsAtFirstResult = CountingSinkFactory.SOURCE_RECORDS_AT_FIRST_ROW.get();
      }
      Files.writeString(out.resolve(job + ".json"), "{\"silverRows\":" + outputRows + "}\n");
    }

    long records = countLines(input);
    StringBuilder line = new StringBuilder();
    line.append("{\"engine\":\"flink\",\"job\":").append(quote(job))
        .append(",\"parallelism\":").append(parallelism)
        .append(",\"stateBackend\":").append(quote(stateBackend))
        .append(",\"checkpointIntervalMs\":").append(checkpointIntervalMs == null ? "null" : checkpointIntervalMs)
        .append(",\"records\":").append(records)
        .append(",\"wallMs\":").append(wallMs);
    if (firstResultMs != null) {
      line.append(",\"firstResultMs\":").append(firstResultMs);
    }
    if (recordsAtFirstResult != null) {
      line.append(",\"recordsAtFirstResult\":").append(recordsAtFirstResult);
    }
    line.append(",\"outputRows\":").append(outputRows)
        .append(",\"windowInputRecords\":").append(BenchMetricsReporter.windowInputRecords())
        .append(",\"lateRowsDropped\":").append(BenchMetricsReporter.lateRowsDropped())
        .append(",\"watermarkDelayMs\":").append(watermarkDelayMs)
        .append(",\"watermarkIntervalMs\":").append(watermarkIntervalMs == null ? "200" : watermarkIntervalMs)
        .append(",\"eventsPerSec\":").append(wallMs > 0 ? Math.round(records * 1000.0 / wallMs) : 0)
        .append(",\"flinkVersion\":").append(quote(flinkVersion()))
        .append('}');
    System.out.println(line);
    System.out.flush();
    // Collect-sink and mini-cluster threads can keep the JVM alive briefly after the job ends.
    System.exit(0);
  }

  private static Map<String, String> parseArgs(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    int i = 0;
    if (i < args.length && args[i].equals("run")) {
      i++;
    }
    for (; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + a);
      }
      opts.put(a.substring(2), args[++i]);
    }
    return opts;
  }

  private static String require(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  private static String defaultSqlDir() {
    String prop = System.getProperty("streamkit.flink.sqlDir");
    return prop != null ? prop : "bench/flink/sql";
  }

  /** Splits a script on semicolons that end a line, dropping full-line comments. */
  static List<String> splitStatements(String script) {
    StringBuilder clean = new StringBuilder();
    for (String l : script.split("\n", -1)) {
      if (!l.trim().startsWith("--")) {
        clean.append(l).append('\n');
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : clean.toString().split(";\\s*\n")) {
      String t = s.trim();
      if (t.endsWith(";")) {
        t = t.substring(0, t.length() - 1).trim();
      }
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** One output row as a JSON object line, keys in the query's column order. */
  private static String jsonLine(List<String> names, Row row) {
    StringBuilder sb = new StringBuilder("{");
    for (int c = 0; c < names.size(); c++) {
      if (c > 0) {
        sb.append(',');
      }
      sb.append(quote(names.get(c))).append(':').append(jsonValue(row.getField(c)));
    }
    return sb.append("}\n").toString();
  }

  /**
   * A duration as the text of a SQL {@code INTERVAL '...' HOUR TO SECOND} literal, e.g. 7,260,000 ms
   * as {@code 2:01:00.000}: a plain {@code SECOND} interval allows only two leading digits.
   */
  static String hourToSecond(long ms) {
    return String.format(Locale.ROOT, "%d:%02d:%02d.%03d",
        ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
  }

  private static String jsonValue(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        return "null";
      }
      // Integral doubles print as "12" rather than "12.0" so both engines' JSON read the same.
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString(d.longValue());
      }
      return d.toString();
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    return quote(v.toString());
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort at exit: a leftover temp directory is harmless.
    }
  }

  private static long countLines(Path file) throws IOException {
    long n = 0;
    boolean pending = false;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int r;
      while ((r = in.read(buf)) > 0) {
        for (int i = 0; i < r; i++) {
          if (buf[i] == '\n') {
            n++;
            pending = false;
          } else {
            pending = true;
          }
        }
      }
    }
    return pending ? n + 1 : n;
  }

  private static String flinkVersion() {
    String v = org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
    return v == null ? "unknown" : v;
  }
}
