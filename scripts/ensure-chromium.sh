#!/bin/sh
# Make sure a headless Chromium and its chromedriver are installed (for `make test-browser`).
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && exit 0
echo "Chromium or chromedriver not found: installing them..."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
    if [ "$SUDO" != none ]; then
        $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium chromium-driver && exit 0
    fi
fi
cat >&2 <<'MSG'
error: Chromium and chromedriver are missing and could not be installed automatically.
Install them, then run `make test-browser` again:
  Debian/Ubuntu:  sudo apt-get install chromium chromium-driver
  Fedora:         sudo dnf install chromium chromedriver
  macOS:          brew install --cask chromium && brew install chromedriver
MSG
exit 1
