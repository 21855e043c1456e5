# Shared by scripts/kafka.sh and scripts/schema-registry.sh: a Java service started in the
# background with a pid file. The including script sets PIDFILE, LOG and PORT and defines
# log() and answers() (true once the service serves requests).

port_open() {
  # bash's /dev/tcp avoids depending on nc being installed
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# wait_ready SECONDS: true once the service answers; false if its process exits or time runs out.
wait_ready() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    if ! running_pid >/dev/null; then
      # the process may be ours but exited; one started by someone else on the port is fine too
      if port_open "$PORT" && answers; then return 0; fi
      log "process exited; last log lines:"; tail -n 30 "$LOG" >&2 || true
      return 1
    fi
    if port_open "$PORT" && answers; then return 0; fi
    sleep 0.5
  done
  return 1
}

# launch COMMAND STARTED_AT TIMEOUT: starts COMMAND detached, records its pid, waits until ready.
launch() {
  # setsid: the service outlives the shell that started it and gets no terminal signals
  setsid bash -c "exec $1" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if wait_ready "$3"; then
    log "ready in $((SECONDS - $2))s (pid $(cat "$PIDFILE"))"
  else
    log "no answer within ${3}s; last log lines:"
    tail -n 30 "$LOG" >&2 || true
    stop
    exit 1
  fi
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped"; return 0; }
    sleep 0.5
  done
  log "pid $pid did not stop within 30s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}
