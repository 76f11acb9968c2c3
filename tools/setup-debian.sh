#!/bin/sh
# Installs the Debian 12 packages that build and test libwatermark: every
# package listed in .ci/packages.txt (one a line; '#' starts a comment).
# Run as root from anywhere in the source tree. Fails loudly, naming the
# package, when one is missing afterwards.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list="$here/../.ci/packages.txt"

if [ ! -r "$list" ]; then
	echo "setup-debian.sh: cannot read $list" >&2
	exit 1
fi

# Package names without comments and blank lines.
packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' || true)
if [ -z "$packages" ]; then
	echo "setup-debian.sh: no packages listed in $list" >&2
	exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-debian.sh: run as root (apt-get needs it)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # one word per package is intended
apt-get install -y --no-install-recommends $packages

missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if ! dpkg -s "$p" >/dev/null 2>&1 ||
	   [ "$status" != "install ok installed" ]; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "setup-debian.sh: these packages are not installed:$missing" >&2
	exit 1
fi
echo "setup-debian.sh: all $(echo "$packages" | wc -l) packages installed"
