package dev.streamkit.bench.flink;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;

/**
 * A metric reporter that keeps references to some of Flink's own counters, so the runner can report
 * them: {@code numRecordsOut} of the source operators (records read so far), {@code numRecordsIn}
 * of the first window aggregation operator (records that reached the windows) and
 * {@code numLateRecordsDropped} of the window operators.
 *
 * <p>Flink SQL splits a window aggregation in two phases: {@code LocalWindowAggregate} buffers and
 * pre-aggregates every record, and {@code GlobalWindowAggregate} drops the partial aggregates whose
 * window has fired. Its {@code numLateRecordsDropped} therefore counts partial aggregates, not
 * records; the records dropped as late are the window input minus the records in the output rows.
 *
 * <p>Counters are registered when a task starts and removed when it ends; a removed counter's last
 * value is kept, so a total read after the job finished is complete. The state is static, which is
 * correct because the benchmark runs Flink as a local mini-cluster inside the runner's own JVM. The
 * reporter is not scheduled: it adds no work per record.
 */
public final class BenchMetricsReporter implements MetricReporter {
  private static final Set<Counter> LATE = new HashSet<>();
  private static final Set<Counter> SOURCE_OUT = new HashSet<>();
  private static final Set<Counter> WINDOW_IN = new HashSet<>();
  private static long lateOfRemoved;
  private static long sourceOutOfRemoved;
  private static long windowInOfRemoved;

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    if (!(metric instanceof Counter counter)) {
      return;
    }
    if (System.getenv("STREAMKIT_FLINK_LIST_COUNTERS") != null) {
      System.err.println("counter " + name + " " + group.getAllVariables());
    }
    synchronized (BenchMetricsReporter.class) {
      if (name.equals("numLateRecordsDropped")) {
        LATE.add(counter);
      } else if (name.equals("numRecordsOut") && operatorStartsWith(group, "Source")) {
        SOURCE_OUT.add(counter);
      } else if (name.equals("numRecordsIn")
          && (operatorStartsWith(group, "LocalWindowAggregate") || operatorStartsWith(group, "WindowAggregate"))) {
        WINDOW_IN.add(counter);
      }
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    if (!(metric instanceof Counter counter)) {
      return;
    }
    synchronized (BenchMetricsReporter.class) {
      if (LATE.remove(counter)) {
        lateOfRemoved += counter.getCount();
      }
      if (SOURCE_OUT.remove(counter)) {
        sourceOutOfRemoved += counter.getCount();
      }
      if (WINDOW_IN.remove(counter)) {
        windowInOfRemoved += counter.getCount();
      }
    }
  }

  /** Rows the window operators of this JVM have dropped as late so far (partial aggregates in a two-phase plan). */
  public static synchronized long lateRowsDropped() {
    long n = lateOfRemoved;
    for (Counter c : LATE) {
      n += c.getCount();
    }
    return n;
  }

  /** Records every source operator of this JVM has emitted so far. */
  public static synchronized long sourceRecords() {
    long n = sourceOutOfRemoved;
    for (Counter c : SOURCE_OUT) {
      n += c.getCount();
    }
    return n;
  }

  /** Records that reached the first window aggregation operator so far. */
  public static synchronized long windowInputRecords() {
    long n = windowInOfRemoved;
    for (Counter c : WINDOW_IN) {
      n += c.getCount();
    }
    return n;
  }

  /** An operator-scope group (it names an operator) whose operator name starts with {@code prefix}. */
  private static boolean operatorStartsWith(MetricGroup group, String prefix) {
    Map<String, String> vars = group.getAllVariables();
    String operator = vars.get("<operator_name>");
    return operator != null && operator.startsWith(prefix);
  }
}
