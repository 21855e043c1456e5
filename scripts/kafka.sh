#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker (KRaft: broker and controller in one JVM) for tests and
# local development, with no download source other than Maven Central.
#
#   scripts/kafka.sh start    fetch Kafka if needed, format storage once, start, wait until it answers
#   scripts/kafka.sh stop     stop the broker started by this script
#   scripts/kafka.sh status   exit 0 if a broker answers on the port
#   scripts/kafka.sh fetch    only fetch the jars
#   scripts/kafka.sh reset    stop and delete the broker's data
#
# Everything lives under .cache/kafka/ (git-ignored). Environment overrides:
#   KAFKA_VERSION (default 3.9.1), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
#   KAFKA_HEAP (512m), KAFKA_START_TIMEOUT seconds (300: a JVM on a busy machine can take minutes), KAFKA_INSTANCE (a name: a second broker
#   with its own data, pid and log under .cache/kafka/instances/NAME; give it other ports too).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${KAFKA_VERSION:-3.9.1}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${KAFKA_HEAP:-512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-300}"
CACHE="$ROOT/.cache/kafka"
LIBS="$CACHE/libs-$VERSION"
INSTANCE="${KAFKA_INSTANCE:-}"
HOME_DIR="$CACHE${INSTANCE:+/instances/$INSTANCE}"
DATA="$HOME_DIR/data"
CONF="$HOME_DIR/config"
PIDFILE="$HOME_DIR/kafka.pid"
LOG="$HOME_DIR/kafka.log"

log() { printf '[kafka] %s\n' "$*" >&2; }
answers() { broker_answers; }
# shellcheck source=lib/background-service.sh
source "$ROOT/scripts/lib/background-service.sh"


# A broker "answers" when a Kafka client gets cluster metadata, not merely when the port is open:
# the port opens before the broker has registered with the controller.
broker_answers() {
  (cd "$ROOT" && node --input-type=module -e "
    import kafkajs from 'kafkajs';
    const { Kafka, logLevel } = kafkajs;
    const kafka = new Kafka({ brokers: ['127.0.0.1:$PORT'], logLevel: logLevel.NOTHING,
      connectionTimeout: 1000, requestTimeout: 2000, retry: { retries: 0 } });
    const admin = kafka.admin();
    try { await admin.connect(); await admin.describeCluster(); await admin.disconnect(); process.exit(0); }
    catch { process.exit(1); }
  ") >/dev/null 2>&1
}


fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn not found: install Maven (apt-get install maven)"; exit 1; }
  command -v java >/dev/null || { log "java not found: install a JDK 17+"; exit 1; }
  log "fetching Apache Kafka $VERSION from Maven Central into $LIBS"
  local t0=$SECONDS work
  work="$CACHE/fetch-$VERSION"
  mkdir -p "$work"
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamkit.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "$LIBS.tmp"
  local attempt
  for attempt in 1 2 3; do
    if mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >&2; then
      break
    fi
    if ((attempt == 3)); then log "Maven could not fetch Kafka $VERSION"; exit 1; fi
    log "Maven fetch failed (attempt $attempt); retrying"
    sleep $((attempt * 5))
  done
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  touch "$LIBS/.complete"
  log "fetched $(ls "$LIBS" | wc -l) jars in $((SECONDS - t0))s"
}

write_config() {
  mkdir -p "$CONF" "$DATA"
  cat >"$CONF/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
log.retention.hours=24
log.cleaner.dedupe.buffer.size=8388608
num.network.threads=2
num.io.threads=2
background.threads=2
PROPS
  cat >"$CONF/log4j.properties" <<PROPS
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
PROPS
}

java_cp() {
  java -Xms128m -Xmx"$HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$CONF/log4j.properties" -cp "$LIBS/*" "$@"
}

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then return 0; fi
  local id
  id="$(java_cp kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  log "formatting storage in $DATA (cluster id $id)"
  java_cp kafka.tools.StorageTool format -t "$id" -c "$CONF/server.properties" --ignore-formatted >&2
}

start() {
  mkdir -p "$CACHE" "$HOME_DIR"
  if running_pid >/dev/null; then
    if wait_ready 30; then log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return 0; fi
    log "pid $(cat "$PIDFILE") is alive but the broker does not answer; see $LOG"; exit 1
  fi
  if port_open "$PORT"; then
    if broker_answers; then log "a broker already answers on 127.0.0.1:$PORT; using it"; return 0; fi
    log "port $PORT is taken by something that is not a Kafka broker"; exit 1
  fi
  local t0=$SECONDS
  fetch
  write_config
  format_storage
  log "starting Kafka $VERSION on 127.0.0.1:$PORT (log: $LOG)"
  launch "java -Xms128m -Xmx$HEAP -XX:+UseSerialGC \
    -Dlog4j.configuration=file:$CONF/log4j.properties -cp '$LIBS/*' \
    kafka.Kafka '$CONF/server.properties'" "$t0" "$START_TIMEOUT"
}



case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if port_open "$PORT" && broker_answers; then echo "running on 127.0.0.1:$PORT"; else echo "not running"; exit 1; fi ;;
  fetch) mkdir -p "$CACHE"; fetch ;;
  reset) stop; rm -rf "$DATA"; log "data deleted" ;;
  *) echo "usage: $0 start|stop|status|fetch|reset" >&2; exit 2 ;;
esac
