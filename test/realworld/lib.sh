# Shared by the apps' setup.sh scripts (sourced).

# Ends a server started with setsid (its pid is its process group): TERM to the group, a few
# seconds' grace (second argument, default 5), then KILL, so that forked workers
# (PHP_CLI_SERVER_WORKERS, puma) go too.
stop_group() {
  local pid=$1 grace=${2:-5}
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
