# The processes the scripts start, recorded by their own PID and start time, so that scripts/down
# stops exactly those (and a PID the kernel has since given to another program is never killed).
# shellcheck shell=bash

# A process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with the PID, it
# names one process for the life of the machine.
proc_start_time() { # pid
  local stat; stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  awk '{ print $20 }' <<<"${stat##*) }"
}

proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }

# Records a process started in the background: `record_started NAME $!`.
record_started() { # name pid
  mkdir -p "$RUN_DIR"
  echo "$2 $(proc_start_time "$2")" >"$RUN_DIR/$1.pid"
}

# Prints the PID recorded for NAME if that very process is still alive.
recorded_pid() { # name
  local file="$RUN_DIR/$1.pid" pid start
  [ -f "$file" ] || return 1
  read -r pid start <"$file" || return 1
  [ -n "$pid" ] && [ "$(proc_start_time "$pid" 2>/dev/null)" = "$start" ] && echo "$pid"
}

# PIDs of tempered worker processes (dist/workers/) whose environment names this state directory,
# whichever checkout started them.
workers_of_state_dir() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    case "$(proc_cmdline "$pid")" in *dist/workers/*) ;; *) continue ;; esac
    tr '\0' '\n' <"$dir/environ" 2>/dev/null | grep -qxF "TEMPERED_STATE_DIR=$STATE_DIR" && echo "$pid"
  done
  return 0
}

proc_cwd() { readlink "/proc/$1/cwd" 2>/dev/null || echo '?'; }

# TERM, then up to GRACE seconds for it to finish (saying so every 10 s), then KILL; returns once gone.
stop_pid() { # name pid grace-seconds
  local name="$1" pid="$2" grace="$3" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((grace * 5)) ]; do
    sleep 0.2; waited=$((waited + 1))
    [ $((waited % 50)) -eq 0 ] && say "waiting for $name (pid $pid) to shut down gracefully: $((waited / 5)) of ${grace}s"
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) still running after ${grace}s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  say "stopped $name (pid $pid) in $(((waited + 4) / 5))s"
}

# Stops the process recorded for NAME, if it is still the process that was started.
stop_started() { # name [grace-seconds]
  local name="$1" grace="${2:-30}" file="$RUN_DIR/$1.pid" pid start
  [ -f "$file" ] || return 0
  read -r pid start <"$file" || true
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then rm -f "$file"; return 0; fi
  if [ "$(proc_start_time "$pid")" != "$start" ]; then
    say "not stopping pid $pid: $file names a $name started earlier; pid $pid is now another process ($(proc_cmdline "$pid" | cut -c1-80))"
    rm -f "$file"
    return 0
  fi
  stop_pid "$name" "$pid" "$grace"
  rm -f "$file"
}

# The workers: the recorded process, then any other worker of this state directory. One started from
# this checkout is ours (an orphan of an interrupted or older scripts/up) and is stopped; one started
# from another checkout is reported, never killed.
stop_workers() {
  stop_started workers "$WORKER_GRACE_SECONDS"
  local pid
  for pid in $(workers_of_state_dir); do
    if [ "$(proc_cwd "$pid")" = "$REPO_ROOT" ]; then
      say "worker pid $pid for $STATE_DIR is not in $RUN_DIR/workers.pid (an orphan of an earlier scripts/up): stopping it"
      stop_pid workers "$pid" "$WORKER_GRACE_SECONDS"
    else
      say "NOT stopped: pid $pid is a tempered worker for $STATE_DIR started from $(proc_cwd "$pid"), another checkout; stop it there (scripts/down) or with: kill $pid"
    fi
  done
}
