#!/usr/bin/env bash
# Print the dashboard/ files that `make install` installs (every file but
# README.md), one per line, sorted: the list between "# ---- dashboard files"
# markers in Makefile.am. `deploy/dashboard-files.sh --update` rewrites that
# list; tests/api/dashboard.sh checks that it is current.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
list=$(find dashboard -type f ! -name README.md ! -name '.*' | LC_ALL=C sort)
if [ "${1:-}" != --update ]; then
	printf '%s\n' "$list"
	exit 0
fi
{
	echo 'nobase_dist_dashboard_DATA = \'
	printf '%s\n' "$list" | sed '$!s/$/ \\/; s/^/\t/'
} > Makefile.am.list
awk -v list=Makefile.am.list '
	/^# ---- dashboard files ----$/ { print; while ((getline l < list) > 0) print l; skip = 1; next }
	/^# ---- end dashboard files ----$/ { skip = 0 }
	!skip' Makefile.am > Makefile.am.new
mv Makefile.am.new Makefile.am
rm -f Makefile.am.list
