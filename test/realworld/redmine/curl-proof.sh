#!/usr/bin/env bash
# Proves the Redmine flow replayfarm must learn, with curl alone: log in with the login form's
# authenticity_token, create an issue in project rf (multipart form with its own token), check it
# in the database; a bogus token is refused (422) and writes nothing. Exits non-zero on any failure.
# Needs `setup.sh start` first.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BASE=http://127.0.0.1:8183
USER=admin
PASSWORD='rf-Admin-pass1'
jar="$(mktemp)"; page="$(mktemp)"
trap 'rm -f "$jar" "$page"' EXIT
fail() { echo "curl-proof: FAIL: $*" >&2; exit 1; }
ok() { echo "curl-proof: ok: $*"; }
sql() { bash "$HERE/setup.sh" sql "$1"; }
token_in() { grep -o 'name="authenticity_token" value="[^"]*"' "$1" | head -1 | sed 's/.*value="//;s/"$//'; }

# 1. login page: a hidden authenticity_token (and the csrf-token meta tag)
curl -s -c "$jar" -b "$jar" "$BASE/login" >"$page"
tok="$(token_in "$page")"
[ -n "$tok" ] || fail "no authenticity_token on /login"
grep -q '<meta name="csrf-token"' "$page" || fail "no csrf-token meta tag on /login"
ok "login page has authenticity_token and csrf-token meta"

# 1b. the login form with a bogus token: refused, still anonymous
code="$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" --data-urlencode "authenticity_token=bogus$tok" \
  --data-urlencode "username=$USER" --data-urlencode "password=$PASSWORD" "$BASE/login")"
[ "$code" = 422 ] || fail "login with a bogus token answered $code, expected 422"
ok "login with a bogus token refused (422)"
curl -s -c "$jar" -b "$jar" "$BASE/login" >"$page"; tok="$(token_in "$page")"

# 2. login
out="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" --data-urlencode "authenticity_token=$tok" \
  --data-urlencode "username=$USER" --data-urlencode "password=$PASSWORD" --data-urlencode "login=Login" "$BASE/login")"
case "$out" in "302 $BASE/my/page") ;; *) fail "login answered '$out', expected 302 to /my/page";; esac
code="$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$BASE/my/account")"
[ "$code" = 200 ] || fail "/my/account after login answered $code"
ok "login: 302 → /my/page, /my/account 200"

# 3. the new-issue form (multipart, its own token) and the write
curl -s -c "$jar" -b "$jar" "$BASE/projects/rf/issues/new" >"$page"
grep -q 'id="issue-form"' "$page" || fail "no issue form on /projects/rf/issues/new"
ftok="$(grep -A3 'id="issue-form"' "$page" | token_in /dev/stdin)"
[ -n "$ftok" ] || ftok="$(token_in "$page")"
subject="curl proof $(date +%s%N)"
out="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" \
  -F "utf8=✓" -F "authenticity_token=$ftok" -F "form_update_triggered_by=" -F "issue[is_private]=0" \
  -F "issue[tracker_id]=1" -F "issue[subject]=$subject" -F "issue[description]=written by curl" \
  -F "issue[status_id]=1" -F "was_default_status=1" -F "issue[priority_id]=2" -F "issue[assigned_to_id]=" \
  -F "issue[parent_issue_id]=" -F "issue[start_date]=" -F "issue[due_date]=" -F "issue[estimated_hours]=" \
  -F "issue[done_ratio]=0" -F "issue[watcher_user_ids][]=" -F "commit=Create" "$BASE/projects/rf/issues")"
case "$out" in "302 $BASE/issues/"[0-9]*) ;; *) fail "issue create answered '$out', expected 302 to /issues/N";; esac
id="${out##*/}"
got="$(sql "SELECT subject FROM issues WHERE id=$id")"
[ "$got" = "$subject" ] || fail "issue $id has subject '$got', expected '$subject'"
ok "issue created: 302 → /issues/$id, subject in the database"

# 4. the same write with a bogus token: 422, nothing written
subject2="curl bogus $(date +%s%N)"
code="$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -F "authenticity_token=AAAA$ftok" \
  -F "issue[tracker_id]=1" -F "issue[subject]=$subject2" -F "commit=Create" "$BASE/projects/rf/issues")"
[ "$code" = 422 ] || fail "issue create with a bogus token answered $code, expected 422"
n="$(sql "SELECT count(*) FROM issues WHERE subject='$subject2'")"
[ "$n" = 0 ] || fail "bogus-token post wrote $n issues"
ok "issue create with a bogus token refused (422), nothing written"

# 5. a fresh anonymous client cannot write
code="$(curl -s -o /dev/null -w '%{http_code}' -F "issue[subject]=anon" "$BASE/projects/rf/issues")"
[ "$code" = 422 ] || [ "$code" = 302 ] || [ "$code" = 401 ] || [ "$code" = 403 ] || fail "anonymous create answered $code"
ok "anonymous create refused ($code)"
echo "curl-proof: all ok"
