#!/usr/bin/env bash
# Install what the real-browser test needs: Debian's headless Chromium and its driver, and the
# Playwright Python client (pinned; its own browser download is never used, the test points it
# at /usr/bin/chromium). Idempotent: when everything is present it returns at once.
# Usage: tests/install_browser.sh [path/to/python]   (default: .venv/bin/python)
set -euo pipefail
PYTHON="${1:-.venv/bin/python}"
PLAYWRIGHT_VERSION="1.65.2"

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "install_browser.sh: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
             "install the 'chromium' and 'chromium-driver' packages, or the browser test will be skipped." >&2
    else
        echo "Installing Debian's chromium and chromium-driver (once, about 30 s)..."
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
    fi
fi

if ! "$PYTHON" -c "import playwright" 2>/dev/null; then
    echo "Installing playwright==$PLAYWRIGHT_VERSION (the Python client only; no browser download)..."
    "$PYTHON" -m pip install -q -c constraints.txt "playwright==$PLAYWRIGHT_VERSION"
fi
