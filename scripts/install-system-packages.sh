#!/usr/bin/env bash
# System packages the tests need: Debian's Chromium (browser tests drive it headless through Playwright), a
# font with Vietnamese glyphs for PDF reports, and PostgreSQL with its contrib extensions (the tests start a
# throwaway cluster for the PostgreSQL backend). Idempotent and quick when everything is there already.
set -euo pipefail
packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql postgresql-contrib)
ls /usr/share/postgresql/*/extension/unaccent.control >/dev/null 2>&1 || packages+=(postgresql-contrib)
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else
        echo "warning: cannot install ${packages[*]} (not root, no sudo); the tests that need them will be skipped" >&2
        exit 0
    fi
fi
echo "installing system packages: ${packages[*]}" >&2
${SUDO:-} apt-get update -qq
DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq "${packages[@]}" >/dev/null
