#!/usr/bin/env bash
# WordPress 6.1 (Debian bookworm's `wordpress` package) on 127.0.0.1:8181 for replayfarm's real-app tests.
#
#   setup.sh install      apt packages (idempotent)
#   setup.sh start        config, database, install, admin user, php -S on 127.0.0.1:8181 (no-op when running)
#   setup.sh stop         stop the server (and PHP's forked workers)
#   setup.sh reset        drop and recreate the database, install again (the server keeps running)
#   setup.sh logout-all   end every session server-side, and prove with curl that a session is now anonymous
#   setup.sh sql "..."    run SQL on the app's database (tab-separated, no header)
#   setup.sh env          print HOST/PORT/URL/ADMIN_USER/ADMIN_PASS for scripts
#
# Debian's /usr/share/wordpress/wp-config.php loads /etc/wordpress/config-$WORDPRESS_CONFIG.php when the
# server has WORDPRESS_CONFIG in $_SERVER (Apache's SetEnv); php -S does not put the environment there,
# so an auto_prepend_file in the scratch folder sets it. That config file is the only thing written
# outside the scratch folder, and it selects this instance only: other WordPress hosts are not affected.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

APP=wordpress
HOST=127.0.0.1
PORT=8181
URL="http://$HOST:$PORT"
SCRATCH=/tmp/rf-realworld/$APP
PIDFILE=$SCRATCH/php.pid
LOG=$SCRATCH/php.log
DOCROOT=/usr/share/wordpress
CONFIG_NAME=rfrealworld
CONFIG_FILE=/etc/wordpress/config-$CONFIG_NAME.php
DB=rf_wordpress
DB_USER=rf_wordpress
DB_PASS=rf_wordpress_pw
ADMIN_USER=admin
ADMIN_PASS='rf-Admin-pass-1'
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "setup.sh($APP): $*" >&2; exit 1; }
mysql_root() { mysql -h 127.0.0.1 -P 3306 -u root "$@"; }
as_www() { setpriv --reuid=www-data --regid=www-data --init-groups "$@"; }

running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

cmd_install() {
  local pkgs=(wordpress wordpress-theme-twentytwentythree php php8.2 php8.2-cli php8.2-cgi php8.2-mysql lighttpd mariadb-client curl)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && { echo "installed: ${pkgs[*]}"; return; }
  # php8.2-cgi and lighttpd satisfy the php/httpd dependencies so that nothing starts Apache
  # (policy-rc.d keeps services down anyway).
  apt-cache show wordpress >/dev/null 2>&1 || apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}"
}

write_config() {
  mkdir -p "$SCRATCH"
  local tmp
  tmp=$(mktemp)
  cat >"$tmp" <<PHP
<?php
// Written by replayfarm test/realworld/wordpress/setup.sh; selected by WORDPRESS_CONFIG=$CONFIG_NAME.
define('DB_NAME', '$DB');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASS');
define('DB_HOST', '$HOST:3306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
// Fixed salts: cookies stay valid across restarts of the server (only logout-all ends sessions).
define('AUTH_KEY', 'rf-auth-key-9f1c2e');
define('SECURE_AUTH_KEY', 'rf-secure-auth-key-73ab');
define('LOGGED_IN_KEY', 'rf-logged-in-key-51d0');
define('NONCE_KEY', 'rf-nonce-key-c04e');
define('AUTH_SALT', 'rf-auth-salt-2b77');
define('SECURE_AUTH_SALT', 'rf-secure-auth-salt-8e19');
define('LOGGED_IN_SALT', 'rf-logged-in-salt-6a3f');
define('NONCE_SALT', 'rf-nonce-salt-d512');
// The packaged themes and plugins, served by php -S from the document root (no /wp-content alias).
define('WP_CONTENT_DIR', '/usr/share/wordpress/wp-content');
define('WP_HOME', '$URL');
define('WP_SITEURL', '$URL');
// Offline and quiet: no calls to wordpress.org, no loopback cron requests, no update checks.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_ALLOW_MULTISITE', false);
define('WP_DEBUG', false);
\$table_prefix = 'wp_';
PHP
  install -o root -g www-data -m 0640 "$tmp" "$CONFIG_FILE"
  rm -f "$tmp"
}

create_db() {
  mysql_root <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}

wp_install() {
  # www-data may not read the checkout (CI clones under a root-only temp folder): run a copy.
  install -m 0644 "$HERE/install.php" "$SCRATCH/install.php"
  (cd "$SCRATCH" && as_www env WORDPRESS_CONFIG=$CONFIG_NAME php "$SCRATCH/install.php" "$HOST:$PORT" "$ADMIN_PASS")
}

wait_port() {
  for _ in $(seq 1 100); do
    port_open && return 0
    running || die "php -S exited; see $LOG: $(tail -5 "$LOG" 2>/dev/null)"
    sleep 0.1
  done
  die "nothing answers on $HOST:$PORT after 10 s; see $LOG"
}

cmd_start() {
  if running; then
    port_open || die "php -S (pid $(cat "$PIDFILE")) is running but $HOST:$PORT does not answer"
    echo "already running on $URL (pid $(cat "$PIDFILE"))"
    return
  fi
  port_open && die "$HOST:$PORT is taken by another process: $(ss -ltnp "sport = :$PORT" 2>/dev/null | tail -n +2)"
  command -v php >/dev/null && [[ -f $DOCROOT/wp-login.php ]] || die "not installed: run setup.sh install"
  write_config
  create_db
  wp_install
  : >"$LOG"
  chown www-data:www-data "$LOG"
  printf '<?php $_SERVER["WORDPRESS_CONFIG"] = "%s";\n' "$CONFIG_NAME" >"$SCRATCH/prepend.php"
  # setsid + exec: the pid file holds PHP's own pid, which leads its process group, so stop can end the
  # workers PHP_CLI_SERVER_WORKERS forks (the block editor loads many files at once).
  setsid bash -c "cd '$DOCROOT' && exec env PHP_CLI_SERVER_WORKERS=4 WORDPRESS_CONFIG=$CONFIG_NAME \
    setpriv --reuid=www-data --regid=www-data --init-groups \
    php -d auto_prepend_file='$SCRATCH/prepend.php' -d memory_limit=256M -S $HOST:$PORT -t '$DOCROOT'" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_port
  # Something else may have bound the port between the check above and PHP's start: then PHP exits.
  sleep 0.3
  running || die "php -S exited (is $HOST:$PORT taken?): $(tail -3 "$LOG")"
  ss -ltnp "sport = :$PORT" 2>/dev/null | grep -q "pid=$(cat "$PIDFILE")," || { cmd_stop >/dev/null; die "$HOST:$PORT is answered by another process: $(ss -ltnp "sport = :$PORT" | tail -n +2)"; }
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/wp-login.php")
  [[ $code == 200 ]] || { cmd_stop >/dev/null; die "GET /wp-login.php answered $code; see $LOG"; }
  echo "started on $URL (pid $(cat "$PIDFILE")); admin: $ADMIN_USER / $ADMIN_PASS"
}

cmd_stop() {
  if running; then
    local pid
    pid=$(cat "$PIDFILE")
    stop_group "$pid"
    echo "stopped (pid $pid)"
  else
    echo "not running"
  fi
  rm -f "$PIDFILE"
}

cmd_reset() {
  mysql_root -e "DROP DATABASE IF EXISTS \`$DB\`"
  write_config
  create_db
  wp_install
  echo "reset: fresh database $DB"
}

cmd_sql() {
  [[ $# -ge 1 ]] || die 'usage: setup.sh sql "SELECT ..."'
  mysql -h "$HOST" -P 3306 -u "$DB_USER" "-p$DB_PASS" -N -B "$DB" -e "$1"
}

# WordPress keeps every login session as a token in the user meta 'session_tokens'; auth cookies are
# only valid while their token is there. Deleting the rows ends every session (there is no separate
# remember-me cookie: "Remember Me" only lengthens the same token's expiry).
cmd_logout_all() {
  local jar code
  jar=$(mktemp)
  trap 'rm -f "$jar"' RETURN
  # A session of our own, to prove that the deletion really logs people out.
  curl -s -o /dev/null -c "$jar" -b "$jar" "$URL/wp-login.php"
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "log=$ADMIN_USER" --data-urlencode "pwd=$ADMIN_PASS" \
    -d 'wp-submit=Log+In&testcookie=1' "$URL/wp-login.php"
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$URL/wp-admin/profile.php")
  [[ $code == 200 ]] || die "logout-all: could not log in with curl first (profile.php answered $code)"
  cmd_sql "DELETE FROM wp_usermeta WHERE meta_key='session_tokens'"
  code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" "$URL/wp-admin/profile.php")
  [[ $code == 302\ *wp-login.php* ]] || die "logout-all: a session survived (profile.php answered $code)"
  echo "logged out: every session token deleted; a logged-in cookie now gets $code"
}

cmd_env() {
  printf 'HOST=%s\nPORT=%s\nURL=%s\nADMIN_USER=%s\nADMIN_PASS=%s\n' "$HOST" "$PORT" "$URL" "$ADMIN_USER" "$ADMIN_PASS"
}

[[ $(id -u) == 0 ]] || [[ ${1:-} == sql || ${1:-} == env ]] || die "run as root"
case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  reset) cmd_reset ;;
  logout-all) cmd_logout_all ;;
  sql) shift; cmd_sql "$@" ;;
  env) cmd_env ;;
  *) die "usage: setup.sh install|start|stop|reset|logout-all|sql \"...\"|env" ;;
esac
