#!/usr/bin/env bash
# Interop suite for eas/wbxml (issue 2, acceptance): libwbxml's wbxml2xml
# and xml2wbxml (Debian libwbxml2-utils) against our encoder and decoder,
# for every captured SOGo example and a generated corpus covering every
# tag libwbxml knows of every code page. The tests live behind the build
# tag "libwbxml" in eas/wbxml/libwbxml_test.go; there a missing tool is a
# failure. Starts nothing; prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

if ! command -v wbxml2xml >/dev/null || ! command -v xml2wbxml >/dev/null; then
	echo "installing libwbxml2-utils"
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends libwbxml2-utils >/dev/null ||
		{ apt-get -o DPkg::Lock::Timeout=900 update >/dev/null &&
			apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends libwbxml2-utils >/dev/null; } ||
		{ echo "cannot install libwbxml2-utils"; echo "0 passed, 1 failed"; exit 1; }
fi

out=$(mktemp /tmp/easbridge-wbxml.XXXXXX)
trap 'rm -f "$out"' EXIT
go test -tags libwbxml -count=1 -v -run 'Libwbxml' ./eas/wbxml/ >"$out" 2>&1
status=$?
grep -E -- '--- (FAIL|SKIP)|libwbxml does not know' "$out" | sed 's/^ *//'
# Count the leaf tests (one per example or corpus document).
passed=$(grep -cE -- '^ +--- PASS' "$out")
failed=$(grep -cE -- '^ +--- FAIL' "$out")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	tail -20 "$out"
	failed=1 # a build failure or a failing top-level test
fi
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ]
