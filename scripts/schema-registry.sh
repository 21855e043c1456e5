#!/usr/bin/env bash
# Runs Apicurio Registry with in-memory storage for the Schema Registry tests and local
# development. Its Confluent-compatible API (/apis/ccompat/v6 and /v7) is what streamkit's
# SchemaRegistryClient speaks. No download source other than Maven Central.
#
#   scripts/schema-registry.sh start    build the registry if needed, start, wait until it answers
#   scripts/schema-registry.sh stop     stop the registry started by this script
#   scripts/schema-registry.sh status   exit 0 if a Confluent-compatible registry answers on the port
#   scripts/schema-registry.sh fetch    only fetch and build
#   scripts/schema-registry.sh url      print the Confluent-compatible base URL
#
# Apicurio publishes no runnable jar on Maven Central, only the application's classes
# (io.apicurio:apicurio-registry-app). `fetch` writes a small Maven project that depends on them
# and packages them with the quarkus-maven-plugin into one runnable jar, as Apicurio's own build
# does. Version 2.4.2.Final is the newest whose dependencies Maven Central serves (3.x and later
# 2.x releases depend on modules that are not published there), with two substitutions:
#   - org.everit.json.schema comes from com.github.erosb:everit-json-schema (same classes; the
#     original coordinates are only on JitPack);
#   - apicurio-common-app-components-config-index is left out (its Quarkus deployment module is not
#     published) and a producer of an empty DynamicConfigPropertyList stands in for its build step:
#     the registry's settings cannot be changed at run time through its admin API, which the tests
#     do not use.
#
# Everything lives under .cache/schema-registry/ (git-ignored). Environment overrides:
#   SCHEMA_REGISTRY_PORT (default 8081), SCHEMA_REGISTRY_HEAP (384m),
#   SCHEMA_REGISTRY_START_TIMEOUT seconds (300).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="2.4.2.Final"
PORT="${SCHEMA_REGISTRY_PORT:-8081}"
HEAP="${SCHEMA_REGISTRY_HEAP:-384m}"
START_TIMEOUT="${SCHEMA_REGISTRY_START_TIMEOUT:-300}"
CACHE="$ROOT/.cache/schema-registry"
BUILD="$CACHE/build-$VERSION"
JAR="$CACHE/apicurio-registry-$VERSION-runner.jar"
PIDFILE="$CACHE/schema-registry.pid"
LOG="$CACHE/schema-registry.log"
URL="http://127.0.0.1:$PORT/apis/ccompat/v7"

log() { printf '[schema-registry] %s\n' "$*" >&2; }
answers() { registry_answers; }
# shellcheck source=lib/background-service.sh
source "$ROOT/scripts/lib/background-service.sh"


# A registry "answers" when the Confluent-compatible API lists subjects, not merely when the port
# is open: the port opens before the storage is initialised.
registry_answers() {
  node -e "
    fetch('$URL/subjects', { signal: AbortSignal.timeout(2000) })
      .then(async (r) => process.exit(r.ok && Array.isArray(await r.json()) ? 0 : 1), () => process.exit(1));
  " >/dev/null 2>&1
}


write_project() {
  mkdir -p "$BUILD/src/main/java/streamkit/registry"
  cat >"$BUILD/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamkit.local</groupId>
  <artifactId>apicurio-registry</artifactId>
  <version>$VERSION</version>
  <properties>
    <maven.compiler.source>11</maven.compiler.source>
    <maven.compiler.target>11</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <!-- the versions Apicurio was built with (Quarkus 2.16) -->
      <dependency><groupId>io.apicurio</groupId><artifactId>apicurio-registry</artifactId><version>$VERSION</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.apicurio</groupId><artifactId>apicurio-registry-app</artifactId><version>$VERSION</version>
      <exclusions>
        <exclusion><groupId>io.apicurio</groupId><artifactId>apicurio-common-app-components-config-index</artifactId></exclusion>
        <exclusion><groupId>com.github.everit-org.json-schema</groupId><artifactId>org.everit.json.schema</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency><groupId>com.github.erosb</groupId><artifactId>everit-json-schema</artifactId><version>1.14.2</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <!-- the registry's own application.properties becomes this application's -->
        <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.6.1</version>
        <executions><execution>
          <id>unpack-application-properties</id><phase>generate-resources</phase><goals><goal>unpack</goal></goals>
          <configuration>
            <artifactItems><artifactItem><groupId>io.apicurio</groupId><artifactId>apicurio-registry-app</artifactId><version>$VERSION</version></artifactItem></artifactItems>
            <includes>application.properties</includes>
            <outputDirectory>\${project.build.outputDirectory}</outputDirectory>
          </configuration>
        </execution></executions>
      </plugin>
      <plugin>
        <groupId>io.quarkus</groupId><artifactId>quarkus-maven-plugin</artifactId><version>2.16.4.Final</version>
        <executions><execution><goals><goal>build</goal></goals></execution></executions>
      </plugin>
    </plugins>
  </build>
</project>
POM
  cat >"$BUILD/src/main/java/streamkit/registry/DynamicConfigPropertyListProducer.java" <<'JAVA'
package streamkit.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stands in for the build step of apicurio-common-app-components-config-index, whose Quarkus
 * deployment module is not on Maven Central: no setting is changeable at run time.
 */
@ApplicationScoped
public class DynamicConfigPropertyListProducer {
  @Produces
  @Singleton
  DynamicConfigPropertyList dynamicConfigPropertyList() {
    return new DynamicConfigPropertyList(List.of());
  }
}
JAVA
}

fetch() {
  if [[ -f "$JAR" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn not found: install Maven (apt-get install maven)"; exit 1; }
  command -v java >/dev/null || { log "java not found: install a JDK 17+"; exit 1; }
  log "fetching Apicurio Registry $VERSION from Maven Central and packaging it into $JAR"
  local t0=$SECONDS attempt
  rm -rf "$BUILD"
  write_project
  # Build-time settings: the registry's classes come from a dependency jar without a Jandex
  # index, so Quarkus is told to index it; one runnable jar; a value Quarkus' BOM would normally
  # supply for native builds (unused here).
  for attempt in 1 2 3; do
    if mvn -q -B -f "$BUILD/pom.xml" package -DskipTests \
      -Dquarkus.package.type=uber-jar \
      -Dquarkus.index-dependency.apicurio-app.group-id=io.apicurio \
      -Dquarkus.index-dependency.apicurio-app.artifact-id=apicurio-registry-app \
      -Dquarkus.native.builder-image=unused >"$BUILD/build.log" 2>&1; then
      break
    fi
    if ((attempt == 3)); then
      log "Maven could not fetch or package Apicurio Registry $VERSION; last lines of $BUILD/build.log:"
      grep -E 'ERROR|BUILD' "$BUILD/build.log" | tail -n 20 >&2 || tail -n 20 "$BUILD/build.log" >&2
      exit 1
    fi
    log "Maven build failed (attempt $attempt); retrying"
    sleep $((attempt * 5))
  done
  mv "$BUILD/target/apicurio-registry-$VERSION-runner.jar" "$JAR.tmp"
  mv "$JAR.tmp" "$JAR"
  rm -rf "$BUILD/target"
  log "packaged in $((SECONDS - t0))s ($(du -m "$JAR" | cut -f1) MB)"
}

start() {
  mkdir -p "$CACHE"
  if running_pid >/dev/null; then
    if wait_ready 30; then log "already running (pid $(cat "$PIDFILE")) at $URL"; return 0; fi
    log "pid $(cat "$PIDFILE") is alive but the registry does not answer; see $LOG"; exit 1
  fi
  if port_open "$PORT"; then
    if registry_answers; then log "a registry already answers at $URL; using it"; return 0; fi
    log "port $PORT is taken by something that is not a Confluent-compatible registry (set SCHEMA_REGISTRY_PORT)"; exit 1
  fi
  local t0=$SECONDS
  fetch
  log "starting Apicurio Registry $VERSION (in-memory storage) at $URL (log: $LOG)"
  launch "java -Xms64m -Xmx$HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port=$PORT \
    -Dquarkus.log.console.color=false -Dquarkus.http.access-log.enabled=false \
    -jar '$JAR'" "$t0" "$START_TIMEOUT"
}



case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if port_open "$PORT" && registry_answers; then echo "running at $URL"; else echo "not running"; exit 1; fi ;;
  fetch) mkdir -p "$CACHE"; fetch ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|fetch|url" >&2; exit 2 ;;
esac
