#!/bin/sh
# Installs the Debian 12 packages that building and testing libwatermark
# needs (the list is .ci/packages.txt, shared with CI), then checks that
# each one really is installed. Run as root. Safe to run again.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
list="$here/.ci/packages.txt"
packages=$(grep -v '^[[:space:]]*#' "$list" | grep -v '^[[:space:]]*$' | tr '\n' ' ')

missing=""
for p in $packages; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done

if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

status=0
for p in $packages; do
	if ! dpkg -s "$p" >/dev/null 2>&1; then
		echo "setup-debian.sh: package $p is not installed" >&2
		status=1
	fi
done
exit $status
