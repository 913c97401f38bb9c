#!/usr/bin/env bash
# Proves the phpMyAdmin flow with curl alone (no replayfarm): log in with the login form's token and
# set_session, open the insert form of rf_pma_data.notes, post it back with every field the form
# has; a wrong token at login or at the insert is refused; the row is checked in MariaDB.
# Exits non-zero when any of that does not hold. Needs `setup.sh start` (and ideally `reset`) first.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SETUP="$HERE/setup.sh"
BASE=http://127.0.0.1:8182
USER_NAME=rf_pma
PASS='rf-pma-Secret-1'
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
JAR="$WORK/jar"
fail() { echo "curl-proof (phpmyadmin): FAIL: $*" >&2; exit 1; }
ok() { echo "curl-proof (phpmyadmin): ok: $*"; }
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$2" | head -1 | sed 's/.*value="//;s/"$//'; }
md5() { printf '%s' "$1" | md5sum | cut -c1-32; }
sql() { bash "$SETUP" sql "$1"; }

login_page() { curl -sS -c "$JAR" -b "$JAR" -o "$WORK/login.html" "$BASE/index.php"; }
login() { # $1 token, $2 set_session, $3 password
  curl -sS -c "$JAR" -b "$JAR" -o "$WORK/login-answer.html" -D "$WORK/login-headers" -w '%{http_code}' \
    --data-urlencode 'route=/' --data-urlencode 'lang=en' --data-urlencode "token=$1" --data-urlencode "set_session=$2" \
    --data-urlencode "pma_username=$USER_NAME" --data-urlencode "pma_password=$3" --data-urlencode 'server=1' \
    "$BASE/index.php?route=/"
}
logged_in() { curl -sS -b "$JAR" -o "$WORK/probe.html" "$BASE/index.php?route=/database/structure&db=rf_pma_data"; grep -q 'href="index.php?route=/logout"' "$WORK/probe.html"; }

# 1. A login with a wrong token is refused (the session is not logged in afterwards).
rm -f "$JAR"; login_page
TOKEN=$(field token "$WORK/login.html"); SET_SESSION=$(field set_session "$WORK/login.html")
[ -n "$TOKEN" ] && [ -n "$SET_SESSION" ] || fail "login page has no token / set_session"
login 0123456789abcdef0123456789abcdef "$SET_SESSION" "$PASS" >/dev/null
if logged_in; then fail "a login with a wrong token was accepted"; fi
ok "login with a wrong token refused"

# 2. A login with the page's token works: 302 and the auth cookie.
rm -f "$JAR"; login_page
TOKEN=$(field token "$WORK/login.html"); SET_SESSION=$(field set_session "$WORK/login.html")
code=$(login "$TOKEN" "$SET_SESSION" "$PASS")
[ "$code" = 302 ] || fail "login answered $code, expected 302"
grep -q 'pmaAuth-1' "$JAR" || fail "no pmaAuth-1 cookie after login"
logged_in || fail "not logged in after a login with the right token"
ok "login with the form's token (302, session id rotated, pmaAuth-1 set)"

# 3. The insert form: its token is bound to the (new) session.
curl -sS -c "$JAR" -b "$JAR" -o "$WORK/change.html" "$BASE/index.php?route=/table/change&db=rf_pma_data&table=notes"
grep -q 'id="insertForm"' "$WORK/change.html" || fail "no insert form on /table/change"
FORM_TOKEN=$(field token "$WORK/change.html")
[ -n "$FORM_TOKEN" ] || fail "insert form has no token"
[ "$FORM_TOKEN" != "$TOKEN" ] && ok "the token rotated at login ($TOKEN -> $FORM_TOKEN)" || ok "the token did not rotate at login"

HI=$(md5 id); HT=$(md5 title); HB=$(md5 body)
insert() { # $1 token, $2 title, $3 body; posts what the browser's form sends (the page's ajax submit), multipart-free urlencoded
  curl -sS -c "$JAR" -b "$JAR" -o "$WORK/replace.out" -w '%{http_code}' \
    --data-urlencode 'ajax_request=true' --data-urlencode 'ajax_page_request=true' \
    --data-urlencode 'db=rf_pma_data' --data-urlencode 'table=notes' --data-urlencode 'goto=index.php?route=/table/sql' \
    --data-urlencode 'err_url=index.php?route=/table/sql&db=rf_pma_data&sql_query=&table=notes' --data-urlencode 'sql_query=' \
    --data-urlencode "token=$1" \
    --data-urlencode "fields_name[multi_edit][0][$HI]=id" --data-urlencode "funcs[multi_edit][0][$HI]=" \
    --data-urlencode "fields[multi_edit][0][$HI]=" --data-urlencode "auto_increment[multi_edit][0][$HI]=1" \
    --data-urlencode "fields_name[multi_edit][0][$HT]=title" --data-urlencode "funcs[multi_edit][0][$HT]=" \
    --data-urlencode "fields_null_prev[multi_edit][0][$HT]=on" --data-urlencode "nullify_code[multi_edit][0][$HT]=5" \
    --data-urlencode "hashed_field[multi_edit][0][$HT]=$HT" --data-urlencode "multi_edit[multi_edit][0][$HT]=[multi_edit][0]" \
    --data-urlencode "fields[multi_edit][0][$HT]=$2" \
    --data-urlencode "fields_name[multi_edit][0][$HB]=body" --data-urlencode "funcs[multi_edit][0][$HB]=" \
    --data-urlencode "fields_null_prev[multi_edit][0][$HB]=on" --data-urlencode "nullify_code[multi_edit][0][$HB]=5" \
    --data-urlencode "hashed_field[multi_edit][0][$HB]=$HB" --data-urlencode "multi_edit[multi_edit][0][$HB]=[multi_edit][0]" \
    --data-urlencode "fields[multi_edit][0][$HB]=$3" \
    --data-urlencode 'insert_ignore_1=on' --data-urlencode 'submit_type=insert' --data-urlencode 'after_insert=back' \
    "$BASE/index.php?route=/table/replace"
}

STAMP=$(date +%s%N)
# 4. An insert with a wrong token writes nothing.
insert ffffffffffffffffffffffffffffffff "curl-bad-$STAMP" "must not land" >/dev/null
[ "$(sql "SELECT COUNT(*) FROM notes WHERE title='curl-bad-$STAMP'")" = 0 ] || fail "an insert with a wrong token wrote a row"
ok "insert with a wrong token refused (no row); phpMyAdmin answered: $(head -c 160 "$WORK/replace.out" | tr '\n' ' ')"
logged_in || { login_page; TOKEN=$(field token "$WORK/login.html"); SET_SESSION=$(field set_session "$WORK/login.html"); login "$TOKEN" "$SET_SESSION" "$PASS" >/dev/null; }
curl -sS -c "$JAR" -b "$JAR" -o "$WORK/change.html" "$BASE/index.php?route=/table/change&db=rf_pma_data&table=notes"
FORM_TOKEN=$(field token "$WORK/change.html")

# 5. The insert with the form's token lands, once.
code=$(insert "$FORM_TOKEN" "curl-title-$STAMP" "curl body $STAMP")
[ "$code" = 200 ] || fail "insert answered $code"
grep -q '"success":true' "$WORK/replace.out" || fail "insert answer is not {success:true}: $(head -c 300 "$WORK/replace.out")"
grep -q '1 row inserted' "$WORK/replace.out" || fail "insert answer does not say '1 row inserted'"
[ "$(sql "SELECT body FROM notes WHERE title='curl-title-$STAMP'")" = "curl body $STAMP" ] || fail "the inserted row is not in MariaDB"
ok "insert with the form's token: JSON success, '1 row inserted', row in MariaDB"

# 6. Server-side logout of everyone: the same cookies are anonymous afterwards.
find /tmp/rf-realworld/phpmyadmin/sessions -maxdepth 1 -type f -name 'sess_*' -delete
if logged_in; then fail "still logged in after deleting the session files"; fi
curl -sS -b "$JAR" -o "$WORK/probe.html" "$BASE/index.php?route=/table/change&db=rf_pma_data&table=notes"
grep -q 'name="pma_username"' "$WORK/probe.html" || fail "the insert form is not the login form after logout"
code=$(insert "$FORM_TOKEN" "curl-after-logout-$STAMP" "must not land")
[ "$(sql "SELECT COUNT(*) FROM notes WHERE title='curl-after-logout-$STAMP'")" = 0 ] || fail "an insert after logout wrote a row"
ok "after deleting the session files the old cookies get the login form and cannot insert (answer $code)"
echo "curl-proof (phpmyadmin): all good"
