#!/usr/bin/env bash
# systemd units: systemd-analyze verify accepts them, and the service's
# sandboxing keeps the exposure score at or below 2.0 ("OK").
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/jpkid-units.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { if eval "$2"; then echo "ok - $1"; passed=$((passed + 1)); else echo "not ok - $1"; failed=$((failed + 1)); fi; }

cp "$top"/deploy/jpkid.service "$top"/deploy/jpkid-api.socket "$top"/deploy/jpkid-status.socket \
	"$top"/deploy/jpkid-console.socket "$work/"
# verify needs ExecStart binaries to exist; jpkid is not installed here.
sed -i 's#/usr/sbin/jpkid#/bin/true#g' "$work/jpkid.service"
cd "$work"
check test_units_verify 'out=$(systemd-analyze verify ./jpkid.service ./jpkid-api.socket ./jpkid-status.socket ./jpkid-console.socket 2>&1); [ -z "$out" ] || { echo "$out"; false; }'
check test_service_type_notify_with_watchdog 'grep -q "^Type=notify$" jpkid.service && grep -q "^WatchdogSec=" jpkid.service'
check test_sockets_named_api_and_status 'grep -q "^FileDescriptorName=api$" jpkid-api.socket && grep -q "^FileDescriptorName=status$" jpkid-status.socket'
check test_console_socket_named_and_wanted 'grep -q "^FileDescriptorName=console$" jpkid-console.socket && grep -q "^Wants=.*jpkid-console.socket" jpkid.service'
score=$(systemd-analyze security --offline=yes ./jpkid.service 2>/dev/null | sed -n 's/.*Overall exposure level for jpkid.service: \([0-9.]*\).*/\1/p')
check "test_service_exposure_at_most_2.0 (score ${score:-none})" '[ -n "$score" ] && awk -v s="$score" "BEGIN { exit !(s <= 2.0) }"'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
