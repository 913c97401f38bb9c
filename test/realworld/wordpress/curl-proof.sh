#!/usr/bin/env bash
# Proves the WordPress flow with curl alone, so that a failing replay is known to be replayfarm's fault:
#   1. log in at /wp-login.php (no CSRF token there: the login form only needs the `wordpress_test_cookie`
#      that GET /wp-login.php sets; without it the login answers 200 with "cookies are blocked");
#   2. open the block editor (/wp-admin/post-new.php): it creates an auto-draft and puts its id in the page
#      and the REST nonce in inline JS (`wp.apiFetch.createNonceMiddleware( "…" )`);
#   3. publish the draft through REST: POST /wp-json/wp/v2/posts/ID with `X-WP-Nonce` (what the editor does);
#   4. a bad nonce is refused (403 rest_cookie_invalid_nonce) and writes nothing.
# Needs a running instance (setup.sh start). Exits non-zero at the first thing that does not hold.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$("$HERE/setup.sh" env)"
sql() { "$HERE/setup.sh" sql "$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jar=$work/jar
stamp=$(date +%s%N)

# --- 0. without the test cookie the login is refused with a 200 page --------------------------------
out=$(curl -s -w '\n%{http_code}' --data-urlencode "log=$ADMIN_USER" --data-urlencode "pwd=$ADMIN_PASS" -d 'wp-submit=Log+In&testcookie=1' "$URL/wp-login.php")
[[ ${out##*$'\n'} == 200 && $out == *"Cookies are blocked"* ]] || fail "login without the test cookie: expected 200 + 'Cookies are blocked', got ${out##*$'\n'}"
ok "login without wordpress_test_cookie: 200 'Cookies are blocked or not supported'"

# --- 1. login ------------------------------------------------------------------------------------
curl -s -o /dev/null -c "$jar" -b "$jar" "$URL/wp-login.php"
grep -q wordpress_test_cookie "$jar" || fail "GET /wp-login.php set no wordpress_test_cookie"
hdr=$(curl -s -D - -o /dev/null -c "$jar" -b "$jar" --data-urlencode "log=$ADMIN_USER" --data-urlencode "pwd=$ADMIN_PASS" \
  --data-urlencode "redirect_to=$URL/wp-admin/" -d 'wp-submit=Log+In&testcookie=1' "$URL/wp-login.php")
[[ $hdr == *"HTTP/1.1 302"* && $hdr == *"Location: $URL/wp-admin/"* ]] || fail "login: expected 302 to /wp-admin/, got: $(head -1 <<<"$hdr")"
grep -q wordpress_logged_in_ "$jar" || fail "login set no wordpress_logged_in_ cookie"
ok "login: 302 to /wp-admin/ with wordpress_logged_in_* cookie"

wrong=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" --data-urlencode "log=$ADMIN_USER" -d 'pwd=wrong&wp-submit=Log+In&testcookie=1' "$URL/wp-login.php")
[[ $wrong == 200 ]] || fail "a wrong password should re-render the form with 200, got $wrong"
ok "wrong password: 200 (form again), no redirect"

# --- 2. the editor page: auto-draft id and REST nonce --------------------------------------------
curl -s -b "$jar" -c "$jar" "$URL/wp-admin/post-new.php" >"$work/editor.html"
nonce=$(grep -oE 'createNonceMiddleware\( "[0-9a-f]+" \)' "$work/editor.html" | grep -oE '[0-9a-f]{10}' | head -1)
post_id=$(grep -oE "name='post_ID' value='[0-9]+'" "$work/editor.html" | grep -oE '[0-9]+' | head -1)
[[ -n $nonce && -n $post_id ]] || fail "post-new.php: no REST nonce ($nonce) or post id ($post_id) in the page"
[[ $(sql "SELECT post_status FROM wp_posts WHERE ID=$post_id") == auto-draft ]] || fail "post $post_id is not an auto-draft"
ok "post-new.php: auto-draft $post_id, REST nonce from inline JS"

# --- 4 (first, on the same draft). a bad nonce is refused and writes nothing -----------------------
bad_title="curl bad nonce $stamp"
code=$(curl -s -o "$work/bad.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' -H 'X-WP-Nonce: 0123456789' \
  --data "{\"id\":$post_id,\"title\":\"$bad_title\",\"status\":\"publish\"}" "$URL/wp-json/wp/v2/posts/$post_id?_locale=user")
[[ $code == 403 ]] && grep -q rest_cookie_invalid_nonce "$work/bad.json" || fail "bad nonce: expected 403 rest_cookie_invalid_nonce, got $code $(cat "$work/bad.json")"
[[ $(sql "SELECT COUNT(*) FROM wp_posts WHERE post_title='$bad_title'") == 0 ]] || fail "bad nonce wrote the post"
ok "bad nonce: 403 rest_cookie_invalid_nonce, nothing written"

code=$(curl -s -o "$work/none.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' \
  --data "{\"id\":$post_id,\"title\":\"$bad_title\",\"status\":\"publish\"}" "$URL/wp-json/wp/v2/posts/$post_id?_locale=user")
[[ $code == 401 ]] || fail "no nonce: expected 401 (REST treats a cookie without nonce as anonymous), got $code"
[[ $(sql "SELECT COUNT(*) FROM wp_posts WHERE post_title='$bad_title'") == 0 ]] || fail "no nonce wrote the post"
ok "no nonce: 401 $(grep -oE '"code":"[a-z_]+"' "$work/none.json"), nothing written"

# --- 3. the write with the real nonce --------------------------------------------------------------
title="curl proof $stamp"
code=$(curl -s -o "$work/ok.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' -H "X-WP-Nonce: $nonce" \
  --data "{\"id\":$post_id,\"title\":\"$title\",\"content\":\"<!-- wp:paragraph -->\\n<p>body $stamp</p>\\n<!-- /wp:paragraph -->\",\"status\":\"publish\"}" \
  "$URL/wp-json/wp/v2/posts/$post_id?_locale=user")
[[ $code == 200 ]] || fail "publish: expected 200, got $code $(head -c 300 "$work/ok.json")"
row=$(sql "SELECT post_status, post_title FROM wp_posts WHERE ID=$post_id")
[[ $row == "publish"$'\t'"$title" ]] || fail "publish: the database says '$row'"
ok "publish: 200, wp_posts $post_id is '$title' (publish)"

# --- after logout-all the same cookie is anonymous -----------------------------------------------
"$HERE/setup.sh" logout-all >/dev/null
hdr=$(curl -s -D - -o /dev/null -b "$jar" "$URL/wp-admin/post-new.php")
[[ $hdr == *"HTTP/1.1 302"* && $hdr == *"wp-login.php"* ]] || fail "after logout-all post-new.php should redirect to wp-login.php: $(head -1 <<<"$hdr")"
code=$(curl -s -o "$work/after.json" -w '%{http_code}' -b "$jar" -H 'Content-Type: application/json' -H "X-WP-Nonce: $nonce" \
  --data "{\"title\":\"after logout $stamp\"}" "$URL/wp-json/wp/v2/posts/$post_id?_locale=user")
[[ $code == 403 ]] || fail "after logout-all REST with the old cookie + nonce: expected 403, got $code"
ok "after logout-all: post-new.php redirects to wp-login.php; REST with the old nonce 403 $(grep -oE '"code":"[a-z_]+"' "$work/after.json")"
echo "curl proof: all good"
