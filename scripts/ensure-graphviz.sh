#!/bin/sh
# Make sure Graphviz's `dot` program is installed (draw_dot renders with it).
command -v dot >/dev/null 2>&1 && exit 0
echo "Graphviz 'dot' not found: installing it..."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
    if [ "$SUDO" != none ]; then
        $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q graphviz && exit 0
    fi
fi
if command -v brew >/dev/null 2>&1; then brew install graphviz && exit 0; fi
if command -v dnf >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then dnf install -y graphviz && exit 0; fi
cat >&2 <<'MSG'
error: Graphviz's `dot` program is missing and could not be installed automatically.
Install it, then run make again:
  Debian/Ubuntu:  sudo apt-get install graphviz
  Fedora:         sudo dnf install graphviz
  macOS:          brew install graphviz
  Windows:        winget install graphviz   (or https://graphviz.org/download/)
MSG
exit 1
