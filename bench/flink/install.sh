#!/usr/bin/env bash
# Installs the Apache Flink side of the benchmark: resolves the pinned Flink jars from Maven
# Central into bench/flink/.cache/m2 (project-local, gitignored) and builds the runner
# (bench/flink/target). Needs Java 17+ and Maven; no Flink distribution download.
# Idempotent: a second run resolves nothing and only recompiles what changed.
#
#   bash bench/flink/install.sh           # install / update
#   bash bench/flink/install.sh --smoke   # then run every job on a small generated input
#                                         # and check it against bench/flink/reference.py
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
started=$(date +%s)

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install.sh: '$tool' is required (Java 17+ and Maven 3.6+)" >&2
    exit 1
  fi
done
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [[ -z "$java_major" || "${java_major%%.*}" -lt 17 ]]; then
  echo "install.sh: Flink 2.x here needs Java 17+, found '${java_major:-unknown}'" >&2
  exit 1
fi

mkdir -p "$here/target"
# Maven's output goes to a log (quiet mode still prints terminal colour codes), shown on failure.
if ! mvn -B -q -Dmaven.repo.local="$here/.cache/m2" -f "$here/pom.xml" package >"$here/target/mvn.log" 2>&1; then
  cat "$here/target/mvn.log" >&2
  exit 1
fi
# Publish by rename (a new inode): a JVM still running the previous build keeps reading its jar.
changed=0
for f in streamkit-flink-bench-0.1.0.jar classpath.txt; do
  if ! cmp -s "$here/target/build/$f" "$here/target/$f"; then
    cp "$here/target/build/$f" "$here/target/.$f.tmp"
    mv -f "$here/target/.$f.tmp" "$here/target/$f"
    changed=1
  fi
done

# A class-data-sharing archive of the classes a job loads (standard JDK AppCDS), recorded from
# one small dedup run: later runs map it instead of loading and verifying those classes again,
# which saves about a quarter of the JVM's start-up CPU. bench/flink/run uses it when present.
jsa="$here/target/flink-classes.jsa"
if [[ "$changed" == 1 || ! -f "$jsa" ]]; then
  tmp_cds="$(mktemp -d)"
  python3 "$here/gen_taxi.py" --events 2000 --dup-rate 0.05 --out "$tmp_cds/in.jsonl"
  rm -f "$jsa"
  FLINK_CDS=0 FLINK_JAVA_OPTS="-Xmx2g -XX:ArchiveClassesAtExit=$jsa.tmp" \
    "$here/run" --job dedup --input "$tmp_cds/in.jsonl" --out "$tmp_cds/out" --parallelism 1 --watermark-delay-ms 30000 >/dev/null 2>"$tmp_cds/log" \
    || { cat "$tmp_cds/log" >&2; rm -rf "$tmp_cds"; exit 1; }
  mv -f "$jsa.tmp" "$jsa"
  rm -rf "$tmp_cds"
fi
echo "Flink runner built in $(( $(date +%s) - started )) s: bench/flink/run --job zone-5m --input FILE --out DIR --parallelism 1 --watermark-delay-ms 7260000"

if [[ "${1:-}" == "--smoke" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 "$here/gen_taxi.py" --events 2000 --dup-rate 0.05 --out "$tmp/in.jsonl"
  for job in silver zone-5m sessions dedup; do
    # gen_taxi.py's input is made for a 30 s delay; one watermark per record, as reference.py reads.
    "$here/run" --job "$job" --input "$tmp/in.jsonl" --out "$tmp/out" --parallelism 1 \
      --watermark-delay-ms 30000 --watermark-interval-ms 0 2>"$tmp/$job.log" \
      || { cat "$tmp/$job.log" >&2; exit 1; }
    ext=jsonl; [[ "$job" == silver ]] && ext=json
    python3 "$here/reference.py" --job "$job" --input "$tmp/in.jsonl" --watermark-delay-ms 30000 --flink "$tmp/out/$job.$ext"
  done
fi
