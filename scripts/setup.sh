#!/usr/bin/env bash
# Idempotent set-up run before `npm start`, `npm test` and `npm run demo`:
# npm dependencies, Chromium and Xvfb from Debian where missing, Redis on 127.0.0.1:6379 when
# nothing answers there. Where a step cannot be done automatically it stops with one sentence.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

node_major=$(node -p 'process.versions.node.split(".").map(Number).join(" ")' | awk '{print ($1*1000+$2)}')
[ "$node_major" -ge 20019 ] || fail "Node.js >= 20.19 is required (found $(node --version)); install a newer Node.js."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

if [ -z "${BROWSER_EXECUTABLE:-}" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if can_apt; then say "installing Chromium from Debian"; apt_install chromium;
  else fail "Chromium is missing: run 'sudo apt-get install -y chromium' or set BROWSER_EXECUTABLE to a Chromium binary."; fi
fi

if [ -z "${DISPLAY:-}" ] && ! command -v Xvfb >/dev/null 2>&1; then
  if can_apt; then say "installing Xvfb (headed browsers need a display)"; apt_install xvfb xauth;
  else fail "Xvfb is missing and there is no DISPLAY: run 'sudo apt-get install -y xvfb' for headed recording."; fi
fi

# xdotool types into real browser windows in the headed-recording tests (as a person would)
if [ "${1:-}" = "--test" ] && ! command -v xdotool >/dev/null 2>&1; then
  if can_apt; then say "installing xdotool (headed recording tests)"; apt_install xdotool;
  else fail "xdotool is missing (the headed-recording tests type with it): run 'sudo apt-get install -y xdotool'."; fi
fi

redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
if [ "$redis_url" = "redis://127.0.0.1:6379" ] || [ "$redis_url" = "redis://localhost:6379" ]; then
  redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && [[ $line == +PONG* ]]) 2>/dev/null; }
  if ! redis_up; then
    if ! command -v redis-server >/dev/null 2>&1; then
      if can_apt; then say "installing Redis from Debian"; apt_install redis-server;
      else fail "Redis is not answering on 127.0.0.1:6379 and redis-server is missing: run 'sudo apt-get install -y redis-server' or set REDIS_URL."; fi
    fi
    say "starting redis-server on 127.0.0.1:6379"
    mkdir -p /tmp/replayfarm-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/replayfarm-redis --logfile /tmp/replayfarm-redis/redis.log >&2
    for _ in $(seq 1 50); do redis_up && break; sleep 0.1; done
    redis_up || fail "redis-server did not start; see /tmp/replayfarm-redis/redis.log."
  fi
fi
