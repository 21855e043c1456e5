package dev.streamkit.bench.flink;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableSinkFactory;

/**
 * Table connector {@code 'connector' = 'streamkit-count'}: a sink that counts the rows it receives
 * and writes nothing, so the silver job measures parsing, filtering and derived columns only.
 *
 * <p>Unlike {@code blackhole} it reports how many rows arrived. The count lives in a static
 * counter, which is correct because the benchmark runs Flink as a local mini-cluster inside the
 * runner's own JVM.
 */
public final class CountingSinkFactory implements DynamicTableSinkFactory {
  /** Rows received by every instance of the sink in this JVM since it started. */
  public static final AtomicLong COUNT = new AtomicLong();
  /** Wall-clock ms when the first row reached a sink (0 until then): the silver job's first result. */
  public static final AtomicLong FIRST_ROW_AT = new AtomicLong();
  /** Records the source had emitted when the first row reached a sink. */
  public static final AtomicLong SOURCE_RECORDS_AT_FIRST_ROW = new AtomicLong();

  @Override
  public String factoryIdentifier() {
    return "streamkit-count";
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of();
  }

  @Override
  public DynamicTableSink createDynamicTableSink(Context context) {
    return new CountingTableSink();
  }

  private static final class CountingTableSink implements DynamicTableSink {
    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
      return ChangelogMode.insertOnly();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
      return SinkV2Provider.of(new CountingSink());
    }

    @Override
    public DynamicTableSink copy() {
      return new CountingTableSink();
    }

    @Override
    public String asSummaryString() {
      return "streamkit-count";
    }
  }

  private static final class CountingSink implements Sink<RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public SinkWriter<RowData> createWriter(WriterInitContext context) {
      return new CountingWriter();
    }
  }

  private static final class CountingWriter implements SinkWriter<RowData> {
    // A plain field per writer: the shared atomic is touched once per flush, not per row.
    private long pending;

    @Override
    public void write(RowData element, Context context) {
      if (pending == 0 && FIRST_ROW_AT.get() == 0) {
        long now = System.currentTimeMillis();
        if (FIRST_ROW_AT.compareAndSet(0, now)) {
          SOURCE_RECORDS_AT_FIRST_ROW.set(BenchMetricsReporter.sourceRecords());
        }
      }
      pending++;
    }

    @Override
    public void flush(boolean endOfInput) {
      COUNT.addAndGet(pending);
      pending = 0;
    }

    @Override
    public void close() {
      flush(true);
    }
  }
}
