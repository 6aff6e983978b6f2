# Network attacks on the listeners (issue 13, docs/network.md): slowloris,
# an idle flood from one address, a huge Content-Length, a slow body. Sourced
# by tests/api/run.sh. Runs its own jpkid (same database and CA) with a short
# head deadline, so the section stays quick: under a minute (plus a valgrind
# pass of about 30 s where valgrind is installed), at most 600
# connections at once, loopback only. The attack clients (attack.py) run in
# the background, each bounded by its own --duration and killed at the end.

ad=$work/attack
mkdir -p "$ad"
aapi=$(jpki_free_port $((console_port + 1 + RANDOM % 300)))
ast=$(jpki_free_port $((aapi + 1)))
aconf=$ad/jpkid.conf
jpki_write_config "$aconf" "$ca" "$conninfo" "$aapi" "$ast"
# The status listener keeps its default limits (4096 connections, 256 per
# address); the deadlines are short here, long by default.
printf '\n[api]\nhead_timeout = 3\nmin_body_rate = 100\nbody_rate_window = 2\n' >> "$aconf"
start_jpkid "$aconf" "$ad/jpkid.log"
apid=$JPKID_PID
AST=http://127.0.0.1:$ast
attack_pids=()
attack() {	# attack NAME ARGS...: attack.py hold in the background, state in $ad/NAME.json
	local name=$1	# (on the status listener; --port after NAME to change it)
	shift
	rm -f "$ad/$name.json"
	$PY "$top/tests/api/attack.py" hold --port "$ast" --state "$ad/$name.json" "$@" \
		> "$ad/$name.out" 2>&1 &
	attack_pids+=($!)
	pids+=($!)
}
astate() {	# astate NAME KEY: a number from the attack's state file
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$ad/$1.json" "$2" 2>/dev/null || echo 0
}
await_open() {	# await_open NAME SECONDS: until the attack is done connecting
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -f "$ad/$1.json" ] && [ "$(astate "$1" connected)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
fast() {	# fast URL: 200 in under a second (curl's time_total)
	local out
	out=$(curl -s -o "$ad/fast.body" -w '%{http_code} %{time_total}' --max-time 2 "$1")
	echo "# $1: $out" >&2
	[ "${out%% *}" = 200 ] && $PY -c 'import sys; sys.exit(float(sys.argv[1]) >= 1.0)' "${out#* }"
}
# send_raw ARGS...: attack.py send; its JSON in $ad/send.json, body in $work/body.
send_raw() {
	: > "$work/body"
	$PY "$top/tests/api/attack.py" send --body "$work/body" "$@" > "$ad/send.json" 2>"$ad/send.err"
	echo "# send: $(cat "$ad/send.json" "$ad/send.err")" >&2
	STATUS=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$ad/send.json" 2>/dev/null)
	CTYPE=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["ctype"])' "$ad/send.json" 2>/dev/null)
}
stop_attacks() {	# kill the attack clients (their sockets close with them)
	local p
	for p in "${attack_pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	attack_pids=()
}
sjv() { $PY -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("" if v is None else v)' "$ad/send.json" "$1" 2>/dev/null; }
lt() { $PY -c 'import sys; sys.exit(not (sys.argv[1] != "" and float(sys.argv[1]) < float(sys.argv[2])))' "$1" "$2"; }

expect test_attack_instance_ready wait_ready "$AST" 30

# A certificate and its RFC 5019 GET, asked once so the answer is cached.
st_resident 13101659913 131016
st_issue 13101659913 '["sign"]'
openssl ocsp -issuer "$ca/sign-ca.crt" -cert "$work/st/$ST_SIGN.pem" -no_nonce \
	-reqout "$ad/ocsp.req" >/dev/null 2>&1
ocsp_get=$AST/ocsp/$(base64 -w0 "$ad/ocsp.req" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
call GET "$ocsp_get"
expect test_attack_setup_cached_ocsp_get eval '[ -n "$ST_SIGN" ] && [ "$STATUS" = 200 ] && [ "$CTYPE" = application/ocsp-response ]'

# (a) Slowloris: 600 connections from 10 addresses, each a partial head and
# then one byte every 5 s. Health and a cached OCSP answer stay under 1 s
# while they are held, and the head deadline (3 s here) closes every one.
attack slowloris --n 600 --sources 127.0.0.2-127.0.0.11 --interval 5 --duration 12 \
	--head 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '
await_open slowloris 6
held=$(astate slowloris open)
expect test_slowloris_600_connections_held eval 'echo "# held $held of $(astate slowloris opened)" >&2; [ "$held" -ge 590 ]'
expect test_slowloris_healthz_under_1s_while_held fast "$AST/healthz"
expect test_slowloris_cached_ocsp_get_under_1s_while_held fast "$ocsp_get"
still=$(astate slowloris open)
expect test_slowloris_measured_while_held eval '[ "$still" -ge 500 ]'
sleep 4.5
expect test_slowloris_all_closed_by_head_deadline eval 'c=$(astate slowloris closed); a=$(astate slowloris max_age); echo "# closed $c, oldest at close ${a}s" >&2; [ "$c" -ge 590 ] && [ "$c" = "$(astate slowloris opened)" ] && lt "$a" 4.5'
expect test_slowloris_closes_logged eval 'grep -q "connections closed.*listener=status.*head_deadline=[1-9]" "$ad/jpkid.log"'

stop_attacks

# (b) 500 idle connections from 127.0.0.1 (the per-address limit is 256):
# a health check from 127.0.0.1 evicts the oldest idle one and is answered.
# (Up to one connection per worker thread past the limit: conns.c.)
attack idle --n 500 --duration 8
await_open idle 6
expect test_idle_flood_500_from_one_address_opened eval '[ "$(astate idle opened)" -ge 490 ]'
expect test_idle_flood_healthz_from_same_address_under_1s fast "$AST/healthz"
expect test_idle_flood_evicts_down_to_per_address_limit eval 'sleep 0.5; o=$(astate idle open); echo "# idle open $o" >&2; [ "$o" -le 260 ] && [ "$o" -ge 200 ]'

stop_attacks

# (a') The API listener (TLS) has the same deadline: connections that never
# finish a TLS handshake are closed 3 s after they connected.
attack api_idle --port "$aapi" --n 50 --duration 6 --head '\x16\x03\x01'
await_open api_idle 6
sleep 4
expect test_api_listener_unfinished_handshakes_closed_by_head_deadline eval 'c=$(astate api_idle closed); a=$(astate api_idle max_age); echo "# api closed $c, oldest at close ${a}s" >&2; [ "$c" -ge 50 ] && lt "$a" 4.5'
stop_attacks
sleep 0.3

# (c) Content-Length: 2147483648 is refused as soon as the head is in, with
# a 413 problem (status listener, POST /ocsp; API listener over TLS).
send_raw --port "$ast" --timeout 3 \
	--head 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 2147483648\r\n\r\n'
expect test_huge_content_length_413_at_once_status eval 'is_problem 413 && lt "$(sjv elapsed)" 1 && conforms POST /ocsp'
send_raw --port "$aapi" --timeout 3 --tls --cafile "$ca/client-ca.crt" --cert "$ca/$term_a.crt" --key "$ca/$term_a.key" \
	--head 'POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n'
expect test_huge_content_length_413_at_once_api_tls eval 'is_problem 413 && lt "$(sjv elapsed)" 1 && grep -q "listener=api.*status=413" "$ad/jpkid.log"'

# (d) A body at 2 bytes/s (minimum 100 bytes/s over 2 s windows) is cut
# after one window; the connection_timeout (30 s) alone never would.
send_raw --port "$ast" --timeout 6 --body-bytes 1000 --body-interval 0.5 \
	--head 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 1000\r\n\r\n'
expect test_slow_body_cut_by_min_rate eval 'c=$(sjv closed_after); [ -z "$(sjv status)" ] && lt "$c" 3.5 && lt 1.9 "$c"'
expect test_slow_body_cut_logged eval 'sleep 1.1; grep -q "connections closed.*listener=status.*slow_body=1" "$ad/jpkid.log"'
# A body at a normal rate on the same instance still goes through.
call POST "$AST/ocsp" -H 'Content-Type: application/ocsp-request' --data-binary @"$ad/ocsp.req"
expect test_normal_post_after_attacks_200 eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/ocsp-response ]'

stop_attacks
kill -TERM "$apid"
wait "$apid"
rc_prev=$?
expect test_attack_instance_clean_exit eval '[ $rc_prev = 0 ]'

# The same paths under valgrind: evictions (per-address limit 20), the head
# deadline, a slow body cut and an early 413, then a clean exit.
if [ "${JPKI_ASAN:-0}" != 1 ] && command -v valgrind >/dev/null; then
	vapi=$(jpki_free_port $((ast + 1)))
	vst=$(jpki_free_port $((vapi + 1)))
	jpki_write_config "$ad/vg.conf" "$ca" "$conninfo" "$vapi" "$vst"
	printf '\n[api]\nhead_timeout = 2\nmin_body_rate = 100\nbody_rate_window = 1\n[status]\nper_ip_connection_limit = 20\n' >> "$ad/vg.conf"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		--log-file="$ad/valgrind.log" "$jpkid" -c "$ad/vg.conf" >>"$ad/vg-jpkid.log" 2>&1 &
	vpid=$!
	pids+=("$vpid")
	wait_ready "http://127.0.0.1:$vst" 60
	attack vg --port "$vst" --n 60 --duration 6 --head 'GET / HTTP/1.1\r\n'
	await_open vg 10
	send_raw --port "$vst" --timeout 4 --body-bytes 100 --body-interval 0.5 \
		--head 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n'
	send_raw --port "$vst" --timeout 3 --head 'POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 2147483648\r\n\r\n'
	vg413=$STATUS
	sleep 2
	vclosed=$(astate vg closed)
	stop_attacks
	kill -TERM "$vpid"
	wait "$vpid"
	vrc=$?
	expect test_attack_paths_valgrind_clean eval 'echo "# vg: closed $vclosed, 413: $vg413" >&2; [ "$vclosed" -ge 55 ] && [ "$vg413" = 413 ] && grep -q "evicted=[1-9]" "$ad/vg-jpkid.log" && grep -q "slow_body=1" "$ad/vg-jpkid.log" && { [ $vrc = 0 ] || { head -40 "$ad/valgrind.log" >&2; false; }; }'
fi
