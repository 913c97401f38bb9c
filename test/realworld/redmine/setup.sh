#!/usr/bin/env bash
# Redmine 5.0 (Debian bookworm's `redmine` + `redmine-pgsql`, served by Debian's `puma`) on
# 127.0.0.1:8183, as a replayfarm real-world test target. Run as root. Idempotent.
#
#   setup.sh install      apt packages (dbconfig preseeded off: we make our own database)
#   setup.sh start        instance `rf` under /tmp/rf-realworld/redmine, database rf_redmine in
#                         PostgreSQL, migrations + default data + admin + project `rf`, puma on :8183
#   setup.sh stop         ends the server's whole process group
#   setup.sh reset        the database back to its freshly seeded state (restarts a running server);
#                         the seeded copy is the database rf_redmine_seeded, built once by start
#                         (drop it to rebuild after changing seed.rb)
#   setup.sh logout-all   deletes every session/autologin token; proves with curl that a cookie
#                         that was logged in is anonymous afterwards
#   setup.sh sql "..."    runs SQL on rf_redmine (psql -At: one row a line, columns joined by |)
#   setup.sh break-form   adds a required issue custom field: the new-issue form changes under a
#                         recorded workflow and a post without it re-renders with an error
#   setup.sh status
#
# Debian's Redmine serves several instances from one code tree: REDMINE_INSTANCE=rf selects
# /usr/share/redmine/instances/rf (= /var/lib/redmine/rf), which we make a symlink to our scratch
# folder, so config, secret key, logs, cache and files all live under /tmp/rf-realworld/redmine.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT=8183
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
SCRATCH=/tmp/rf-realworld/redmine
INSTANCE=rf
INST_DIR="$SCRATCH/instance"
INST_LINK=/var/lib/redmine/$INSTANCE
PIDFILE="$SCRATCH/puma.pid"
LOG="$SCRATCH/puma.log"
DB=rf_redmine
DB_USER=rf_redmine
DB_TEMPLATE=rf_redmine_seeded
ADMIN_USER=admin
ADMIN_PASSWORD='rf-Admin-pass1'
REDMINE_ROOT=/usr/share/redmine

log() { echo "[redmine] $*" >&2; }
die() { echo "[redmine] ERROR: $*" >&2; exit 1; }

pg() { psql -h 127.0.0.1 -p 5432 -U postgres -v ON_ERROR_STOP=1 -Atq "$@"; }
app_sql() { psql -h 127.0.0.1 -p 5432 -U "$DB_USER" -d "$DB" -v ON_ERROR_STOP=1 -At "$@"; }

as_www() {
  # Redmine's own rake/rails commands, as www-data in the code tree, for our instance.
  (cd "$REDMINE_ROOT" && setpriv --reuid=www-data --regid=www-data --init-groups \
    env HOME=/tmp REDMINE_INSTANCE=$INSTANCE RAILS_ENV=production REDMINE_LANG=en "$@")
}

need_root() { [ "$(id -u)" = 0 ] || die "run as root (apt, setpriv to www-data)"; }

cmd_install() {
  need_root
  local pkgs=(redmine redmine-pgsql puma postgresql-client curl)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "packages already installed"; return 0; fi
  # dbconfig-common would ask to create redmine_default; we make our own database instead.
  debconf-set-selections <<'EOF'
redmine redmine/current-instances string default
redmine redmine/instances/default/dbconfig-install boolean false
redmine redmine/instances/default/database-type select pgsql
redmine redmine/instances/default/default-language select en
EOF
  if ! apt-cache show redmine >/dev/null 2>&1; then apt-get update; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}"
}

pid_alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
port_taken() { ss -Hltn "sport = :$PORT" | grep -q .; }
port_owner_is_ours() {
  pid_alive || return 1
  local pgid; pgid="$(cat "$PIDFILE")"
  # any process of our group listening on the port
  ss -Hltnp "sport = :$PORT" | grep -oE 'pid=[0-9]+' | cut -d= -f2 | while read -r p; do
    [ "$(ps -o pgid= -p "$p" | tr -d ' ')" = "$pgid" ] && echo yes
  done | grep -q yes
}

make_instance() {
  mkdir -p "$INST_DIR"/{config,log,tmp/cache,tmp/pids,tmp/sockets,files,public/plugin_assets}
  chmod 755 /tmp/rf-realworld "$SCRATCH" 2>/dev/null || true
  cat >"$INST_DIR/config/database.yml" <<EOF
production:
  adapter: postgresql
  database: $DB
  host: 127.0.0.1
  port: 5432
  username: $DB_USER
  encoding: utf8
  pool: 8
EOF
  # attachments in the scratch folder too
  cat >"$INST_DIR/config/configuration.yml" <<EOF
production:
  attachments_storage_path: $INST_DIR/files
EOF
  [ -s "$INST_DIR/config/secret_key.txt" ] || ruby -rsecurerandom -e 'puts SecureRandom.hex(32)' >"$INST_DIR/config/secret_key.txt"
  chown -R www-data:www-data "$INST_DIR"
  chmod 640 "$INST_DIR/config/database.yml" "$INST_DIR/config/secret_key.txt"
  if [ -L "$INST_LINK" ]; then
    [ "$(readlink "$INST_LINK")" = "$INST_DIR" ] || ln -sfn "$INST_DIR" "$INST_LINK"
  elif [ -e "$INST_LINK" ]; then
    die "$INST_LINK exists and is not our symlink; remove it or pick another instance name"
  else
    ln -s "$INST_DIR" "$INST_LINK"
  fi
}

db_exists() { [ "$(pg -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$1'")" = 1 ]; }

ensure_role() {
  [ "$(pg -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" = 1 ] ||
    pg -d postgres -c "CREATE ROLE $DB_USER LOGIN"
}

# The seeded template: migrations + default data + admin + project, built once (slow: ~1 min),
# then every reset copies it (fast).
ensure_template() {
  ensure_role
  if db_exists "$DB_TEMPLATE" && [ "$(pg -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname='$DB_TEMPLATE'")" = t ] &&
    [ "$(pg -d "$DB_TEMPLATE" -c "SELECT count(*) FROM projects WHERE identifier='rf'" 2>/dev/null)" = 1 ]; then
    return 0
  fi
  log "building the seeded database (migrations, default data, admin, project rf)"
  pg -d postgres -c "DROP DATABASE IF EXISTS $DB_TEMPLATE WITH (FORCE)"
  pg -d postgres -c "CREATE DATABASE $DB_TEMPLATE OWNER $DB_USER ENCODING 'UTF8' TEMPLATE template0"
  local yml="$INST_DIR/config/database.yml"
  sed -i "s/^  database: .*/  database: $DB_TEMPLATE/" "$yml"
  # www-data may not read the checkout (CI clones under a root-only temp folder): run a copy.
  install -m 0644 "$HERE/seed.rb" "$SCRATCH/seed.rb"
  if ! { as_www env SCHEMA=/dev/null bundle exec rake db:migrate >"$SCRATCH/migrate.log" 2>&1 &&
    as_www env RF_ADMIN_PASSWORD="$ADMIN_PASSWORD" bundle exec rails runner "$SCRATCH/seed.rb" >"$SCRATCH/seed.log" 2>&1; }; then
    sed -i "s/^  database: .*/  database: $DB/" "$yml"
    tail -n 30 "$SCRATCH/migrate.log" "$SCRATCH/seed.log" >&2 || true
    die "migrations or seeding failed (logs: $SCRATCH/migrate.log, $SCRATCH/seed.log)"
  fi
  sed -i "s/^  database: .*/  database: $DB/" "$yml"
  cat "$SCRATCH/seed.log" >&2
}

recreate_db() {
  pg -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  pg -d postgres -c "CREATE DATABASE $DB OWNER $DB_USER TEMPLATE $DB_TEMPLATE"
}

wait_ready() {
  local i code
  for i in $(seq 1 240); do
    if ! pid_alive; then tail -40 "$LOG" >&2 || true; die "puma exited during start (log: $LOG)"; fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/login" || true)"
    if [ "$code" = 200 ]; then return 0; fi
    sleep 0.5
  done
  tail -40 "$LOG" >&2 || true
  die "Redmine did not answer 200 on $BASE/login within 120 s (log: $LOG)"
}

cmd_start() {
  need_root
  if pid_alive && port_owner_is_ours; then log "already running (pid $(cat "$PIDFILE")) on $BASE"; return 0; fi
  if port_taken; then
    die "port $PORT is taken by something else: $(ss -Hltnp "sport = :$PORT" | tr -s ' ')"
  fi
  if pid_alive; then log "stale server without the port; stopping it"; cmd_stop; fi
  command -v puma >/dev/null && [ -d "$REDMINE_ROOT" ] || die "packages missing: run '$0 install' first"
  mkdir -p "$SCRATCH"
  make_instance
  ensure_template
  db_exists "$DB" || recreate_db
  : >"$LOG"
  chown www-data:www-data "$LOG"
  log "starting puma on $BASE"
  # setsid: the server leads its own process group, so stop ends it and anything it forked.
  # exec: the pid file holds puma's own pid (= the group id).
  setsid bash -c "echo \$\$ >'$PIDFILE'; cd '$REDMINE_ROOT' && exec setpriv --reuid=www-data --regid=www-data --init-groups \
    env HOME=/tmp REDMINE_INSTANCE=$INSTANCE RAILS_ENV=production RAILS_LOG_TO_STDOUT=1 \
    puma --environment production --bind tcp://$HOST:$PORT --threads 1:8 --pidfile '$INST_DIR/tmp/pids/puma.pid' config.ru" \
    >>"$LOG" 2>&1 </dev/null &
  local i
  for i in $(seq 1 20); do [ -s "$PIDFILE" ] && break; sleep 0.1; done
  wait_ready
  log "running (pid $(cat "$PIDFILE")) on $BASE; admin login: $ADMIN_USER / $ADMIN_PASSWORD"
}

cmd_stop() {
  if ! [ -f "$PIDFILE" ]; then log "not running"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    stop_group "$pid" 10
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

cmd_reset() {
  need_root
  make_instance
  ensure_template
  local was_running=0
  if pid_alive; then was_running=1; cmd_stop; fi
  recreate_db
  rm -rf "$INST_DIR/tmp/cache"/* "$INST_DIR/files"/* 2>/dev/null || true
  log "database $DB recreated from $DB_TEMPLATE"
  if [ $was_running = 1 ]; then cmd_start; fi
}

# Logs in over HTTP with curl; prints the cookie jar path. $1: jar file.
curl_login() {
  local jar="$1" page token code
  page="$(curl -s -c "$jar" -b "$jar" "$BASE/login")"
  token="$(printf '%s' "$page" | grep -o 'name="authenticity_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')"
  [ -n "$token" ] || die "no authenticity_token on /login"
  code="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" \
    --data-urlencode "authenticity_token=$token" --data-urlencode "username=$ADMIN_USER" \
    --data-urlencode "password=$ADMIN_PASSWORD" --data-urlencode "login=Login" "$BASE/login")"
  case "$code" in 302\ *) ;; *) die "curl login answered $code";; esac
}

# 200 when the jar's session is logged in (/my/account), 302 to /login when anonymous.
my_account_code() { curl -s -o /dev/null -w '%{http_code}' -b "$1" "$BASE/my/account"; }

cmd_logout_all() {
  local jar; jar="$(mktemp)"
  trap 'rm -f "$jar"' RETURN
  curl_login "$jar"
  local before; before="$(my_account_code "$jar")"
  [ "$before" = 200 ] || die "proof cookie not logged in before logout-all (/my/account answered $before)"
  local n; n="$(app_sql -c "WITH d AS (DELETE FROM tokens WHERE action IN ('session','autologin') RETURNING 1) SELECT count(*) FROM d")"
  local after; after="$(my_account_code "$jar")"
  [ "$after" = 302 ] || die "a cookie that was logged in is not anonymous after logout-all (/my/account answered $after)"
  log "logout-all: deleted $n session/autologin tokens; a cookie logged in before now gets /my/account → $after (anonymous)"
}

cmd_break_form() {
  # A required "Ticket reference" string field on every tracker, for all projects.
  app_sql -c "
    INSERT INTO custom_fields (type, name, field_format, is_required, is_for_all, is_filter, position,
                               searchable, editable, visible, multiple, default_value, description, format_store)
    SELECT 'IssueCustomField', 'Ticket reference', 'string', true, true, false, 1, false, true, true, false, '', '',
           E'--- !ruby/hash:ActiveSupport::HashWithIndifferentAccess\nregexp: \"\"\ntext_formatting: \"\"\nurl_pattern: \"\"\n'
    WHERE NOT EXISTS (SELECT 1 FROM custom_fields WHERE name = 'Ticket reference');
    INSERT INTO custom_fields_trackers (custom_field_id, tracker_id)
    SELECT cf.id, t.id FROM custom_fields cf CROSS JOIN trackers t
    WHERE cf.name = 'Ticket reference'
      AND NOT EXISTS (SELECT 1 FROM custom_fields_trackers x WHERE x.custom_field_id = cf.id AND x.tracker_id = t.id);" >/dev/null
  log "issue form changed: required custom field 'Ticket reference' added"
}

cmd_status() {
  if pid_alive && port_owner_is_ours; then echo "running pid $(cat "$PIDFILE") $BASE"; else echo "stopped"; fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  reset) cmd_reset ;;
  logout-all) cmd_logout_all ;;
  sql) shift; [ $# -ge 1 ] || die "usage: $0 sql \"SELECT ...\""; app_sql -c "$1" ;;
  break-form) cmd_break_form ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|start|stop|restart|reset|logout-all|sql \"...\"|break-form|status" >&2; exit 2 ;;
esac
