#!/usr/bin/env bash
# phpMyAdmin 5.2 (Debian bookworm package) served by PHP's built-in server on 127.0.0.1:8182,
# cookie auth against MariaDB at 127.0.0.1:3306, as a replayfarm test target.
#
#   setup.sh install      apt packages (dbconfig preseeded off, no web server)
#   setup.sh start        config overlay + MariaDB user/database + php -S (a second start is a no-op)
#   setup.sh stop         ends the PHP server (its whole process group)
#   setup.sh reset        drops and recreates the database rf_pma_data (table notes)
#   setup.sh logout-all   deletes every PHP session file and proves with curl that the old cookies are anonymous
#   setup.sh sql "..."    runs SQL in rf_pma_data as root (tab-separated, no column names)
#   setup.sh rename-column OLD NEW   renames a column of notes (the "form changed" case)
#
# Idempotent; run as root. Everything of ours lives under /tmp/rf-realworld/phpmyadmin except the
# one-line shim /etc/phpmyadmin/conf.d/rf-realworld.php, which loads our overlay only when the
# server was started with RF_PMA_CONFIG set (so it changes nothing for any other use of the package).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PORT=8182
HOST=127.0.0.1
BASE_URL="http://$HOST:$PORT"
ROOT=/tmp/rf-realworld/phpmyadmin
DOCROOT=/usr/share/phpmyadmin
PIDFILE="$ROOT/php.pid"
LOG="$ROOT/php.log"
SESSIONS="$ROOT/sessions"
OVERLAY="$ROOT/config.inc.php"
SHIM=/etc/phpmyadmin/conf.d/rf-realworld.php
DB=rf_pma_data
DB_USER=rf_pma
DB_PASS='rf-pma-Secret-1'
# A second person with the same rights (a workflow recorded by one user must run for another).
DB_USER2=rf_pma_bob
DB_PASS2='rf-pma-Bob-2'
BLOWFISH='rfRealworldPmaBlowfish0123456789' # exactly 32 bytes
MYSQL=(mysql --protocol=TCP -h 127.0.0.1 -P 3306 -u root)

die() { echo "setup.sh (phpmyadmin): $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }
# Pids listening on our port (needs ss from iproute2; as root it names every owner).
port_pids() { ss -ltnpH "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }
# True when every listener on the port is in our server's process group.
port_is_ours() {
  local pid=$1 p pgid owners; owners=$(port_pids)
  [ -n "$owners" ] || return 1
  for p in $owners; do
    pgid=$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ')
    [ "$pgid" = "$pid" ] || return 1
  done
}

our_pid() {
  # The pid in our pid file, if that process is alive and is PHP serving our docroot.
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-S $HOST:$PORT" || return 1
  echo "$pid"
}

cmd_install() {
  local missing=0
  for p in phpmyadmin php8.2-cli php8.2-mysql php8.2-mbstring php8.2-xml curl mariadb-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing=1
  done
  if [ "$missing" = 0 ]; then echo "phpmyadmin: packages already installed"; return 0; fi
  debconf-set-selections <<'EOF'
phpmyadmin phpmyadmin/dbconfig-install boolean false
phpmyadmin phpmyadmin/reconfigure-webserver multiselect
EOF
  if ! apt-cache show phpmyadmin >/dev/null 2>&1; then apt-get -o DPkg::Lock::Timeout=900 update; fi
  # php8.2-* named explicitly so that the php/httpd virtual dependencies do not pull in Apache.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    phpmyadmin php8.2-cli php8.2-mysql php8.2-mbstring php8.2-xml php8.2-zip php8.2-bz2 curl mariadb-client
}

write_config() {
  mkdir -p "$ROOT" "$SESSIONS" "$ROOT/tmp"
  cat >"$OVERLAY" <<EOF
<?php
// replayfarm test overlay, loaded by $SHIM when RF_PMA_CONFIG points here.
\$cfg['blowfish_secret'] = '$BLOWFISH';
\$cfg['TempDir'] = '$ROOT/tmp';
\$cfg['VersionCheck'] = false;
\$cfg['SendErrorReports'] = 'never';
\$cfg['ShowGitRevision'] = false;
\$cfg['AllowArbitraryServer'] = false;
\$cfg['LoginCookieValidity'] = 14400;
\$cfg['Servers'] = [1 => [
    'auth_type' => 'cookie',
    'host' => '127.0.0.1',
    'port' => '3306',
    'connect_type' => 'tcp',
    'compress' => false,
    'AllowNoPassword' => false,
]];
EOF
  chmod 0644 "$OVERLAY"
  chown -R www-data:www-data "$ROOT/sessions" "$ROOT/tmp"
  chmod 0700 "$SESSIONS"
  mkdir -p "$(dirname "$SHIM")"
  local shim='<?php
// replayfarm test/realworld: an overlay only for a server started with RF_PMA_CONFIG (see test/realworld/phpmyadmin/setup.sh).
if (getenv("RF_PMA_CONFIG") && is_readable(getenv("RF_PMA_CONFIG"))) { require getenv("RF_PMA_CONFIG"); }
'
  if [ ! -f "$SHIM" ] || [ "$(cat "$SHIM")" != "$(printf '%s' "$shim")" ]; then printf '%s' "$shim" >"$SHIM"; chmod 0644 "$SHIM"; fi
}

ensure_db() {
  "${MYSQL[@]}" <<EOF
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE TABLE IF NOT EXISTS $DB.notes (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200), body TEXT) ENGINE=InnoDB;
GRANT ALL PRIVILEGES ON $DB.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON $DB.* TO '$DB_USER'@'127.0.0.1';
CREATE USER IF NOT EXISTS '$DB_USER2'@'localhost' IDENTIFIED BY '$DB_PASS2';
CREATE USER IF NOT EXISTS '$DB_USER2'@'127.0.0.1' IDENTIFIED BY '$DB_PASS2';
ALTER USER '$DB_USER2'@'localhost' IDENTIFIED BY '$DB_PASS2';
ALTER USER '$DB_USER2'@'127.0.0.1' IDENTIFIED BY '$DB_PASS2';
GRANT ALL PRIVILEGES ON $DB.* TO '$DB_USER2'@'localhost';
GRANT ALL PRIVILEGES ON $DB.* TO '$DB_USER2'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF
}

cmd_start() {
  if pid=$(our_pid); then
    if port_open && port_is_ours "$pid"; then ensure_db; echo "phpmyadmin: already running (pid $pid) on $BASE_URL"; return 0; fi
  fi
  if port_open; then die "port $PORT is already taken by another process; not starting (ss -ltnp 'sport = :$PORT' says who)"; fi
  [ -d "$DOCROOT" ] || die "$DOCROOT missing: run setup.sh install first"
  command -v php8.2 >/dev/null || die "php8.2 missing: run setup.sh install first"
  write_config
  ensure_db
  : >"$LOG"; chown www-data:www-data "$LOG"
  # setsid + exec: the pid file holds PHP's own pid, and its process group holds the forked workers.
  RF_PMA_CONFIG="$OVERLAY" PHP_CLI_SERVER_WORKERS=4 setsid bash -c "echo \$\$ >'$PIDFILE'; cd '$DOCROOT'; exec setpriv --reuid=www-data --regid=www-data --init-groups \
    php8.2 -S $HOST:$PORT -t '$DOCROOT' \
      -d session.save_path='$SESSIONS' -d session.gc_maxlifetime=14400 \
      -d upload_tmp_dir='$ROOT/tmp' -d sys_temp_dir='$ROOT/tmp' -d memory_limit=256M \
      -d display_errors=0 -d log_errors=1 -d error_log='$LOG'" \
    >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    if port_open; then break; fi
    sleep 0.1
  done
  port_open || { tail -20 "$LOG" >&2; die "php -S did not open port $PORT"; }
  local pid; pid=$(our_pid) || { tail -20 "$LOG" >&2; die "php -S exited (port $PORT taken by another process?)"; }
  port_is_ours "$pid" || { tail -20 "$LOG" >&2; die "port $PORT is held by another process (pids $(port_pids | tr '\n' ' ')), not our php -S"; }
  # The login page must render with our cookie auth (a token field) and reach MariaDB.
  local page; page=$(curl -sS --max-time 20 "$BASE_URL/index.php")
  grep -q 'name="token"' <<<"$page" || { echo "$page" | head -50 >&2; die "login page has no token field"; }
  echo "phpmyadmin: started (pid $(cat "$PIDFILE")) on $BASE_URL; users $DB_USER / $DB_PASS and $DB_USER2 / $DB_PASS2"
}

cmd_stop() {
  if pid=$(our_pid); then
    stop_group "$pid"
    echo "phpmyadmin: stopped"
  else
    echo "phpmyadmin: not running"
  fi
  rm -f "$PIDFILE"
}

cmd_reset() {
  "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $DB;"
  ensure_db
  echo "phpmyadmin: database $DB recreated"
}

cmd_logout_all() {
  local jar; jar=$(mktemp)
  # Evidence first: a logged-in session answers with the logged-in page, and after the session files are gone the same cookies get the login form.
  local login_page token
  login_page=$(curl -sS -c "$jar" -b "$jar" "$BASE_URL/index.php")
  token=$(grep -o 'name="token" value="[^"]*"' <<<"$login_page" | head -1 | sed 's/.*value="//;s/"$//')
  curl -sS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "pma_username=$DB_USER" --data-urlencode "pma_password=$DB_PASS" \
    --data-urlencode "server=1" --data-urlencode "route=/" --data-urlencode "token=$token" --data-urlencode "set_session=$(grep -o 'name="set_session" value="[^"]*"' <<<"$login_page" | sed 's/.*value="//;s/"$//')" \
    "$BASE_URL/index.php?route=/"
  local before; before=$(curl -sS -c "$jar" -b "$jar" "$BASE_URL/index.php?route=/database/structure&db=$DB")
  if ! grep -q 'href="index.php?route=/logout"' <<<"$before"; then
    rm -f "$jar"; die "logout-all: could not log in with curl to prove the logout"
  fi
  find "$SESSIONS" -maxdepth 1 -type f -name 'sess_*' -delete
  local after; after=$(curl -sS -b "$jar" "$BASE_URL/index.php?route=/database/structure&db=$DB")
  rm -f "$jar"
  if ! grep -q 'name="pma_username"' <<<"$after"; then die "logout-all: the old cookies still reach a logged-in page"; fi
  echo "phpmyadmin: every session ended (session files deleted; old cookies now get the login form)"
}

cmd_sql() {
  [ $# -ge 1 ] || die "usage: setup.sh sql \"SELECT ...\""
  "${MYSQL[@]}" -N -B "$DB" -e "$1"
}

cmd_rename_column() {
  [ $# -ge 2 ] || die "usage: setup.sh rename-column OLD NEW"
  "${MYSQL[@]}" "$DB" -e "ALTER TABLE notes RENAME COLUMN \`$1\` TO \`$2\`;"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  reset) cmd_reset ;;
  logout-all) cmd_logout_all ;;
  sql) shift; cmd_sql "$@" ;;
  rename-column) shift; cmd_rename_column "$@" ;;
  *) die "usage: setup.sh install|start|stop|reset|logout-all|sql \"...\"|rename-column OLD NEW" ;;
esac
