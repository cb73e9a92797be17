#!/bin/sh
# Regenerates every screenshot in docs/screenshots from the demos, running for
# real, in headless Chromium ($CSPVIZ_CHROME, else chromium on PATH).
set -eu
cd "$(dirname "$0")"
exec go test -tags e2e -count=1 -run '^TestScreenshots$' . -screenshots "$(pwd)/../../docs/screenshots"
