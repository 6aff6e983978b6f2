#!/usr/bin/env bash
# The demo scripts as a newcomer uses them, against a daemon laid out like the
# quickstart's (VARDIR with ca/ and cards/): README.md's "A day at the
# counter" typed by hand first (its sh blocks, extracted from the README and
# run as written, ports aside), then deploy/demo/counter_day.sh twice, then
# deploy/demo/walkthrough.sh and the visit-2 commands both scripts print,
# pasted as printed a day later. Afterwards the cards made by hand must still
# hold valid certificates (R9: the scripts use residents of their own).
#
# usage: tests/demo/demo_flows.sh BUILDDIR   (needs --enable-test-clock; run as root)
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# The PINs are test values in the environment, as scripts pass them.
# shellcheck disable=SC1090,SC1091,SC2016,SC2317  # sourced README blocks; eval'd strings
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: demo_flows.sh BUILDDIR}" && pwd)
PY=/usr/bin/python3
# The outputs read below are jpki-terminal's English ones.
unset LC_ALL LC_MESSAGES
export LANG=C.UTF-8

work=$(mktemp -d /tmp/jpkid-demo-flows.XXXXXX)
chmod 0755 "$work"
var=$work/var	# the quickstart's var/: the README runs in $work, as at the top of a tree
pg=$var/pg
mkdir -p "$var/cards"
ln -s "$build" "$work/_build"
passed=0
failed=0
jpkid_pid=

cleanup() {
	[ -n "$jpkid_pid" ] && kill -TERM "$jpkid_pid" 2>/dev/null && wait "$jpkid_pid" 2>/dev/null
	jpki_pg_stop "$pg"
	if [ "$failed" -gt 0 ]; then
		echo "# jpkid log (last 20 lines):"
		tail -n 20 "$work/jpkid.log" 2>/dev/null | sed 's/^/# /'
	fi
	[ -n "${JPKI_DEMO_KEEP:-}" ] && echo "# kept $work" || rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1${2:+: $2}"; failed=$((failed + 1)); }
expect() {	# expect NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
bail() { not_ok "$1" "${2:-}"; finish; }
# show FILE: the tail of a script's output, for a failed test
show() { tail -n "${2:-15}" "$1" | sed 's/^/#   /'; }

# A test clock read from a file (jpkid and jpki-terminal): the demo day, then
# the day after for the voluntary proxies' second visits (R13).
T0=1795222800		# 2026-11-21 10:00 JST (deploy/demo/README.md)
echo $T0 > "$work/clock"
export JPKID_TEST_CLOCK=@$work/clock

# ---------------------------------------------------------------- set-up
{ jpki_pg_init "$pg" && jpki_pg_start "$pg"; } > "$work/pg.out" 2>&1 || { cat "$work/pg.out"; bail setup_postgresql; }
jpki_pg_createdb "$pg" jpkid > /dev/null
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
JPKID_TEST_CLOCK=$((T0 - 30 * 86400)) "$build/jpkictl" init --dir "$var/ca" > "$work/init.out" 2>&1 ||
	{ cat "$work/init.out"; bail setup_jpkictl_init; }
api_port=$(jpki_free_port 31443)
status_port=$(jpki_free_port $((api_port + 1)))
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port
jpki_write_config "$var/jpkid.conf" "$var/ca" "$conninfo" "$api_port" "$status_port"
"$build/jpkid" -c "$var/jpkid.conf" >> "$work/jpkid.log" 2>&1 &
jpkid_pid=$!
for ((i = 0; i < 300; i++)); do curl -sf -o /dev/null "$ST/readyz" && break; sleep 0.1; done
curl -sf -o /dev/null "$ST/readyz" || bail setup_jpkid_ready
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" > /dev/null
"$PY" "$top/deploy/demo/residents.py" | jpki_psql "$pg" jpkid -q > /dev/null
"$build/jpkictl" enroll --db "$conninfo" --manifest "$var/ca/manifest.txt" > /dev/null ||
	bail setup_enroll
db() { jpki_psql "$pg" jpkid -tAc "$1"; }

terminal=$build/jpki-terminal
jt() {	# jt ARGS: the 千代田区 terminal, as the README sets it up
	JPKI_TERMINAL_API=$API JPKI_TERMINAL_STATUS=$ST JPKI_TERMINAL_CACERT=$var/ca/client-ca.crt \
	JPKI_TERMINAL_CERT=$var/ca/terminal-131016.crt JPKI_TERMINAL_KEY=$var/ca/terminal-131016.key \
		"$terminal" "$@"
}
for t in sign auth; do
	curl -s "$ST/ca/$t.crt" | openssl x509 -inform DER -out "$work/$t-ca.pem"
done
# cert_state CARD TYPE: "good", "revoked", "none" (no certificate on the card)
# or "bad" (the card's certificate does not verify to the CA): openssl verify
# and openssl ocsp, as a relying party checks. The test clock is not the
# machine's: any thisUpdate/nextUpdate is accepted (tests/api/ocsp.sh checks them).
cert_state() {
	local pem=$work/state.pem
	jt card show --card "$1" --type "$2" > "$pem" 2>/dev/null || { echo none; return; }
	openssl verify -CAfile "$work/$2-ca.pem" "$pem" > /dev/null 2>&1 || { echo bad; return; }
	openssl ocsp -issuer "$work/$2-ca.pem" -cert "$pem" -CAfile "$work/$2-ca.pem" \
		-url "$ST/ocsp" -validity_period 315360000 2>&1 |
		sed -n 's/^.*state\.pem: \([a-z]*\)$/\1/p'
}
# card_states CARD: "sign=STATE auth=STATE", every certificate `card show` lists
card_states() { echo "sign=$(cert_state "$1" sign) auth=$(cert_state "$1" auth)"; }
# states_are NAME CARD WANT
states_are() {
	local got
	got=$(card_states "$2")
	if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1" "$(basename "$2"): got '$got', want '$3'"; fi
}

# ---------------------------------------------------------------- README by hand
# The sh blocks of "## A day at the counter", in order; only the ports differ.
awk '/^## A day at the counter/ { on = 1; next } on && /^## / { exit }
	on && /^```sh$/ { n++; f = sprintf("%s/readme-%d.sh", dir, n); inb = 1; next }
	inb && /^```$/ { inb = 0; close(f); next }
	inb { print > f }' dir="$work" "$top/README.md"
sed -i "s#https://127.0.0.1:8443#$API#; s#http://127.0.0.1:8080#$ST#" "$work/readme-1.sh"
nblocks=$(find "$work" -maxdepth 1 -name 'readme-*.sh' | wc -l)
grep -q 'JPKI_TERMINAL_API' "$work/readme-1.sh" && [ "$nblocks" -ge 6 ] ||
	bail setup_readme_counter_day_blocks "found $nblocks sh blocks"
# What the holder types at the prompts (the README asks on the terminal): a
# SIGN password and AUTH PIN of their own, wrong ones where it says so.
{
	echo 'cd "$1" && . ./readme-1.sh && export JPKI_SIGN_PIN=HAND2026 JPKI_AUTH_PIN=4321'
	for ((b = 2; b <= nblocks; b++)); do
		f=$work/readme-$b.sh
		if grep -q APPLICATION_ID "$f"; then	# visit 2, on a later day: below
			continue
		elif grep -q 'type wrong ones' "$f"; then	# R16 lock, then the kiosk reset
			sed -n '0,/type wrong ones/p' "$f" > "$f.a"
			sed '0,/type wrong ones/d' "$f" > "$f.b"
			echo "JPKI_SIGN_PIN=WRONG0; . $f.a; export JPKI_SIGN_PIN=HAND2027 JPKI_NEW_PIN=HAND2027; . $f.b"
		else
			echo ". $f"
		fi
	done
} > "$work/readme-all.sh"
# (through a pipe: the README's `tee /dev/stderr` would truncate a file)
bash "$work/readme-all.sh" "$work" 2>&1 | cat > "$work/readme.out"
hand_ok() {
	[ "$(card_states "$var/cards/kenichi.card")" = "sign=good auth=good" ] &&
	[ "$(card_states "$var/cards/hinata.card")" = "sign=none auth=good" ] &&
	[ "$(card_states "$var/cards/eitetsu.card")" = "sign=revoked auth=revoked" ] &&
	[ "$(db "SELECT string_agg(status, ',') FROM cards WHERE resident_code = '13101600018'")" = lost ] &&
	JPKI_SIGN_PIN=HAND2027 jt card verify --card "$var/cards/kenichi.card" --type sign > /dev/null 2>&1
}
if hand_ok; then ok setup_readme_counter_day_done_by_hand; else
	not_ok setup_readme_counter_day_done_by_hand; show "$work/readme.out" 30; fi
hand_cards() {	# every card the README made and left with valid certificates
	states_are "$1_kenichi_card_still_valid_r9" "$var/cards/kenichi.card" "sign=good auth=good"
	states_are "$1_hinata_card_still_valid_r9" "$var/cards/hinata.card" "sign=none auth=good"
	if [ -n "${2:-}" ]; then
		states_are "$1_daisuke_card_still_valid_r9" "$var/cards/daisuke.card" "sign=good auth=good"
	fi
}

# ---------------------------------------------------------------- counter_day.sh
cday=$top/deploy/demo/counter_day.sh
cd_cards=$var/cards/counter_day
cday_certs() {	# TEST-PREFIX: every certificate on counter_day's cards verifies, and is good but the lost card's
	states_are "$1_kenta_both_good" "$cd_cards/14100300001.card" "sign=good auth=good"
	states_are "$1_minato_auth_good_r4" "$cd_cards/14100300004.card" "sign=none auth=good"
	states_are "$1_ai_lost_card_both_revoked_r11" "$cd_cards/14100300002.card" "sign=revoked auth=revoked"
}
for run in 1 2; do
	# the second run at the same test-clock second: its certificates tie
	# with the first run's on issued_at, and the kiosk's latest certificate
	# of the card (Q_PIN_CARD_CERTS) must still be the valid one (R16a)
	JPKI_TERMINAL=$terminal bash "$cday" "$var" "$API" "$ST" 2>&1 | cat > "$work/cday$run.out"
	rc=${PIPESTATUS[0]}
	name=test_counter_day_after_readme_by_hand_exits_0
	[ $run = 2 ] && name=test_counter_day_second_run_exits_0
	if [ "$rc" = 0 ]; then ok $name; else not_ok $name "exit $rc"; show "$work/cday$run.out"; fi
	cday_certs "test_counter_day_run$run"
	hand_cards "test_counter_day_run$run"
done

# ---------------------------------------------------------------- walkthrough.sh
walk=$top/deploy/demo/walkthrough.sh
for run in 1 2; do
	[ $run = 2 ] && echo $((T0 + 7200)) > "$work/clock"
	bash "$walk" "$var" "$API" 2>&1 | cat > "$work/walk.out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then ok test_walkthrough_run${run}_exits_0; else
		not_ok test_walkthrough_run${run}_exits_0 "exit $rc"; show "$work/walk.out"; fi
	hand_cards test_walkthrough_run$run
done
# The printed second visit: "  deploy/demo/walkthrough.sh VAR API --visit2 ID CODE"
visit2=$(grep -A1 '^The second visit' "$work/walk.out" | sed -n '2s/^ *//p')
[ -n "$visit2" ] || visit2="echo 'walkthrough printed no visit-2 command'; false"
w_app=$(echo "$visit2" | awk '{ print $(NF - 1) }')
w_code=$(echo "$visit2" | awk '{ print $NF }')
# the code on the inquiry form, as the 201 of visit 1 gave it
form_code=$(grep -oE '"answer_code": "[0-9A-Z]{4}-[0-9A-Z]{4}"' "$work/walk.out" | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}' | tail -n1)
if [ -n "$form_code" ] && [ "$w_code" = "$form_code" ]; then ok test_walkthrough_prints_the_inquiry_answer_code_r13
else not_ok test_walkthrough_prints_the_inquiry_answer_code_r13 "printed '$visit2', form code '$form_code'"; fi

# ---------------------------------------------------------------- the day after
cday_visit2=$(grep -A1 "^The proxy's second visit" "$work/cday2.out" | sed -n '2s/^ *//p')
[ -n "$cday_visit2" ] || cday_visit2="echo 'counter_day printed no visit-2 command'; false"
echo $((T0 + 86400)) > "$work/clock"
eval "$visit2" 2>&1 | cat > "$work/walk2.out"
rc=${PIPESTATUS[0]}
if [ "$rc" = 0 ]; then ok test_walkthrough_printed_visit2_command_exits_0; else
	not_ok test_walkthrough_printed_visit2_command_exits_0 "exit $rc: $visit2"; show "$work/walk2.out"; fi
inq() { db "SELECT a.state || '/' || i.state || '/' || i.wrong_attempts FROM applications a
	JOIN inquiries i ON i.application_id = a.id WHERE a.id = '$1' ORDER BY i.created_at DESC LIMIT 1"; }
got=$(inq "$w_app")
if [ "$got" = completed/answered/0 ]; then ok test_walkthrough_visit2_code_accepted_first_try_and_issued_r13
else not_ok test_walkthrough_visit2_code_accepted_first_try_and_issued_r13 "application/inquiry/wrong tries '$got', want completed/answered/0"; fi
JPKI_TERMINAL=$terminal eval "$cday_visit2" 2>&1 | cat > "$work/cday3.out"
rc=${PIPESTATUS[0]}
if [ "$rc" = 0 ]; then ok test_counter_day_printed_visit2_command_exits_0; else
	not_ok test_counter_day_printed_visit2_command_exits_0 "exit $rc: $cday_visit2"; show "$work/cday3.out"; fi
# The README's own visit 2 (step 3), with the id and code its visit 1 printed.
# (the README's only inquiry form; the code is never stored, only its hash)
r_code=$(sed -n 's/^ *answer code: *\([0-9A-Z]\{4\}-[0-9A-Z]\{4\}\).*/\1/p' "$work/readme.out" | tail -n1)
r_app=$(db "SELECT id FROM applications WHERE resident_code = '13101600020' AND state = 'awaiting_inquiry'")
f=$(grep -l APPLICATION_ID "$work"/readme-*.sh | head -n1)
if [ -n "$r_code" ] && [ -n "$r_app" ] && [ -n "$f" ]; then
	sed -i "s/APPLICATION_ID/$r_app/g; s/ANSWER_CODE/$r_code/g" "$f"
	(cd "$work" && . ./readme-1.sh && export JPKI_SIGN_PIN=HAND2026 JPKI_AUTH_PIN=4321 && . "$f") 2>&1 |
		cat > "$work/readme2.out"
else
	echo "# README visit 2 not run: code '$r_code', application '$r_app', step file '$f'"
fi
states_are test_readme_visit2_daisuke_both_good_r13 "$var/cards/daisuke.card" "sign=good auth=good"
[ "$(card_states "$var/cards/daisuke.card")" = "sign=good auth=good" ] || show "$work/readme2.out" 30
states_are test_counter_day_visit2_haru_both_good_r13 "$cd_cards/14100300003.card" "sign=good auth=good"
hand_cards test_after_visit2 daisuke
finish
