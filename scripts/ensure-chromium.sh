#!/usr/bin/env bash
# Makes sure a Chromium for the console's browser tests is available and prints its path.
# Order: $CADENZA_TEST_CHROMIUM, then Debian's /usr/bin/chromium, installed with apt-get when
# missing and we are root (browser downloads by playwright do not work offline).
set -euo pipefail

if [ -n "${CADENZA_TEST_CHROMIUM:-}" ]; then
  if [ -x "$CADENZA_TEST_CHROMIUM" ]; then echo "$CADENZA_TEST_CHROMIUM"; exit 0; fi
  echo "CADENZA_TEST_CHROMIUM is set to '$CADENZA_TEST_CHROMIUM', which is not an executable file" >&2
  exit 1
fi
if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium (Debian package chromium) for the browser tests ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  echo /usr/bin/chromium; exit 0
fi
echo "The console's browser tests need Chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu)," >&2
echo "or set CADENZA_TEST_CHROMIUM to a Chromium or Chrome binary." >&2
exit 1
