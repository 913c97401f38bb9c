#!/usr/bin/env bash
# npm run test:realworld: installs (idempotently) and starts each real app from Debian packages on
# 127.0.0.1, then runs their tests. APPS="wordpress redmine" limits it to some of them.
set -euo pipefail
cd "$(dirname "$0")/../.."
apps=${APPS:-"wordpress phpmyadmin redmine"}
files=()
for app in $apps; do
  bash "test/realworld/$app/setup.sh" install
  bash "test/realworld/$app/setup.sh" start
  files+=("test/realworld/$app/$app.test.ts")
done
npx mocha --timeout 900000 "${files[@]}"
