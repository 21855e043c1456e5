package dev.streamkit.bench.flink;

import java.util.Properties;

import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Creates the {@link BenchMetricsReporter}; the runner names this class in
 * {@code metrics.reporter.streamkit.factory.class}.
 */
public final class BenchMetricsReporterFactory implements MetricReporterFactory {
  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    return new BenchMetricsReporter();
  }
}
