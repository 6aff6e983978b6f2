#!/usr/bin/env bash
# End to end at the counter: a throwaway PostgreSQL cluster, a development CA,
# jpkid with a test clock read from a file, the demo register
# (deploy/demo), and jpki-terminal driving virtual cards through every
# counter procedure, the refusals included. Issue 5 ("The counter, end to
# end"); command reference docs/terminal.md.
#
# usage: tests/e2e/counter.sh BUILDDIR   (needs --enable-test-clock)
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# The PINs below are test values, given through the environment as scripts
# do (docs/terminal.md); nothing here prints one.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: counter.sh BUILDDIR}" && pwd)
jpkid=$build/jpkid
jpkictl=$build/jpkictl
terminal=$build/jpki-terminal
PY=/usr/bin/python3

work=$(mktemp -d /tmp/jpkid-e2e.XXXXXX)
chmod 0755 "$work"
pg=$work/pg
ca=$work/ca
cards=$work/cards
mkdir -p "$cards"
passed=0
failed=0
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	jpki_pg_stop "$pg"
	if [ "$failed" -gt 0 ]; then
		echo "# jpkid log (last 30 lines):"
		tail -n 30 "$work/jpkid.log" 2>/dev/null | sed 's/^/# /'
		echo "# PostgreSQL log (last 20 lines):"
		tail -n 20 "$pg/log" 2>/dev/null | sed 's/^/# /'
		# A failure early in the run is far from the log's end: its warnings and
		# errors last, where check.sh's tail of a failed suite shows them.
		echo "# jpkid log, errors and 5xx answers (first 20):"
		grep -E 'level=(error|crit)| status=5[0-9][0-9] ' "$work/jpkid.log" 2>/dev/null | head -n 20 | cut -c1-300 | sed 's/^/# /'
	fi
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1${2:+: $2}"
	failed=$((failed + 1))
	[ -s "$work/out.json" ] && echo "# last output (rc $RC): $(head -c 700 "$work/out.json" | tr '\n' ' ')"
	[ -s "$work/err" ] && echo "# stderr: $(head -c 400 "$work/err" | tr '\n' ' ')"
	return 0
}
expect() {	# expect NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}
bail() { not_ok "$1"; echo "$passed passed, $failed failed"; exit 1; }

clock_file=$work/clock
set_clock() { echo "$1" > "$clock_file"; }
T0=1795222800		# 2026-11-21 10:00 JST, the demo day (deploy/demo/README.md)
D1=$((T0 + 86400))	# the next day
set_clock $T0
export JPKID_TEST_CLOCK=@$clock_file	# jpkid and the terminal (the card's "now")

# ---------------------------------------------------------------- set-up
jpki_pg_init "$pg" && jpki_pg_start "$pg" || bail setup_postgresql
jpki_pg_createdb "$pg" jpkid
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
# Issuing CAs dated 30 days before the test clock (certificates must lie in them).
JPKID_TEST_CLOCK=$((T0 - 30 * 86400)) "$jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 ||
	{ cat "$work/init.out"; bail setup_jpkictl_init; }
api_port=$(jpki_free_port "${JPKI_TEST_PORT_BASE:-29443}")	# check.sh runs two suites at once
status_port=$(jpki_free_port $((api_port + 1)))
conf=$work/jpkid.conf
jpki_write_config "$conf" "$ca" "$conninfo" "$api_port" "$status_port"
grep -q '^\[pinreset\]' "$conf" ||
	printf '\n[pinreset]\ncert = %s/pinreset.crt\nkey = %s/pinreset.key\n' "$ca" "$ca" >> "$conf"
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port
"$jpkid" -c "$conf" >> "$work/jpkid.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 300; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] && break
	sleep 0.1
done
expect test_setup_jpkid_ready test "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" >/dev/null
$PY "$top/deploy/demo/residents.py" --count 300 | jpki_psql "$pg" jpkid -q >/dev/null
"$jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll.out" 2>&1
expect test_setup_demo_register_and_principals eval \
	'[ "$(jpki_psql "$pg" jpkid -tAc "SELECT count(*) FROM residents WHERE resident_code = '"'13101600001'"'")" = 1 ]'

db() { jpki_psql "$pg" jpkid -tAc "$1"; }
card_of() { db "SELECT card_number FROM cards WHERE resident_code = '$1' AND status = 'active' AND kind = 'mynumber'"; }

# term [WHO] ARGS...: jpki-terminal --json as WHO (a certificate stem in $ca;
# default the 千代田区 terminal). Output in $work/out.json, exit status in RC.
TERM_A=terminal-131016
term_as() {
	local who=$1
	shift
	# JPKI_E2E_WRAP: e.g. "valgrind -q --leak-check=full --error-exitcode=99" (development)
	${JPKI_E2E_WRAP:-} "$terminal" --api "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$who.crt" \
		--key "$ca/$who.key" --status "$ST" --json "$@" > "$work/out.json" 2> "$work/err"
	RC=$?
	cat "$work/out.json" "$work/err" >> "$work/all.log"
}
term() { term_as "$TERM_A" "$@"; }
# jv PATH: a value of the last output (dotted; negative list indexes allowed).
jv() {
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    if isinstance(d, list): d = d[int(k)] if -len(d) <= int(k) < len(d) else None
    elif isinstance(d, dict): d = d.get(k)
    else: d = None
print("" if d is None else (d if isinstance(d, str) else json.dumps(d)))' "$work/out.json" "$1" 2>/dev/null
}
is() { local got; got=$(jv "$1"); [ "$got" = "$2" ] || { echo "# $1 = '$got', want '$2'" >&2; return 1; }; }
rc_is() { [ "$RC" = "$1" ] || { echo "# exit $RC, want $1" >&2; return 1; }; }
nsteps() { jv steps | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# The PEM of the certificate issued in step N of the last output.
save_cert() { jv "steps.$1.body.certificate" > "$2"; }

export JPKI_SIGN_PIN=ABC123 JPKI_AUTH_PIN=1234	# test values

# ---------------------------------------------------------------- cards
ADULT=13101600001; ADULT_CARD=$(card_of $ADULT)
term card new --card "$cards/adult.card" --number "$ADULT_CARD"
expect test_card_new_blank_card_0600 eval 'rc_is 0 && [ "$(stat -c %a "$cards/adult.card")" = 600 ]'
term card new --card "$cards/adult.card" --number "$ADULT_CARD"
expect test_card_new_refuses_existing_file eval 'rc_is 3 && is card_error.code exists'

# ---------------------------------------------------------------- adult, self, both
term lookup $ADULT
expect test_r2_lookup_adult_eligible_both eval 'rc_is 0 && is resident.resident.resident_code $ADULT &&
	is resident.eligibility.sign.eligible true && is resident.eligibility.auth.eligible true &&
	is resident.eligibility.sign.fee_yen 0'
term --lang en lookup $ADULT
"$terminal" --api "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$TERM_A.crt" --key "$ca/$TERM_A.key" \
	--lang ja lookup $ADULT > "$work/lookup.txt" 2>&1
expect test_lookup_text_in_japanese grep -q '署名用電子証明書: 有効期限 ' "$work/lookup.txt"

term apply $ADULT --procedure issue --types sign,auth --applicant self
APP=$(jv application.id)
expect test_r13_self_application_ready eval 'rc_is 0 && is application.state ready && is application.fee_yen 0'
JPKI_SIGN_PIN=abc term issue "$APP" --card "$cards/adult.card"
# (issue without --types reads the application first: that GET is the only call)
expect test_r15_bad_sign_pin_refused_before_any_call eval 'rc_is 3 && is card_error.rule R15 && [ "$(nsteps)" = 1 ] &&
	is steps.0.method GET'
JPKI_SIGN_PIN=abc123 term issue "$APP" --card "$cards/adult.card"
expect test_r7_issue_both_auth_first_onto_the_card eval 'rc_is 0 && is steps.0.method GET &&
	is steps.1.body.type auth && is steps.2.body.type sign && is card.1.action install &&
	is card.3.action install'
ADULT_AUTH=$(jv steps.1.body.serial)
ADULT_SIGN=$(jv steps.2.body.serial)
term card show --card "$cards/adult.card"
expect test_card_holds_the_issued_certificates eval 'rc_is 0 && is card_state.keys.sign.serial "$ADULT_SIGN" &&
	is card_state.keys.auth.serial "$ADULT_AUTH" && is card_state.keys.sign.tries_left 5 &&
	is card_state.keys.auth.tries_left 3'
term card verify --card "$cards/adult.card" --type sign
expect test_r15_sign_pin_lowercase_folded eval 'rc_is 0 && is card.0.action verify'

# ---------------------------------------------------------------- child, legal representative
CHILD=13101600002; CHILD_CARD=$(card_of $CHILD)
term card new --card "$cards/child.card" --number "$CHILD_CARD"
REP=(--applicant legal_representative --name "佐藤 健一" --relationship 父 --doc mynumber_card:applicant --authority same_household)
term apply $CHILD --types sign "${REP[@]}"
expect test_r4_child_asking_for_sign_refused eval 'rc_is 1 && is problem.rule R4 && is problem.status 422'
term apply $CHILD --types auth --applicant voluntary_proxy --name "林 一郎" --doc passport
expect test_r13_voluntary_proxy_for_a_child_refused eval 'rc_is 1 && is problem.rule R13'
term apply $CHILD --types auth "${REP[@]}"
expect test_r13_child_auth_via_legal_representative eval 'rc_is 0 && is application.state ready && is application.applicant_kind legal_representative'
APP=$(jv application.id)
term issue "$APP" --card "$cards/child.card" --types auth
expect test_r4_child_card_gets_auth_only eval 'rc_is 0 && [ "$(nsteps)" = 1 ] && is steps.0.body.type auth'
CHILD_AUTH=$(jv steps.0.body.serial)

# ---------------------------------------------------------------- voluntary proxy, two visits
PROXY=13101600019; PROXY_CARD=$(card_of $PROXY)
term card new --card "$cards/proxy.card" --number "$PROXY_CARD"
PRX=(--applicant voluntary_proxy --name "林 一郎" --relationship 知人 --doc passport)
term apply $PROXY --types sign,auth "${PRX[@]}"
P_APP=$(jv application.id)
P_CODE=$(jv application.inquiry.answer_code)
expect test_r13_proxy_visit1_inquiry_form eval 'rc_is 0 && is application.state awaiting_inquiry &&
	[ -n "$P_CODE" ] && [ -n "$(jv application.inquiry.addressee)" ]'
term answer "$P_APP" "$P_CODE" --doc passport
expect test_r13_proxy_visit2_same_day_refused eval 'rc_is 1 && is problem.rule R13'
term issue "$P_APP" --card "$cards/proxy.card"
expect test_r13_no_issuance_before_the_answer eval 'rc_is 1 && is problem.status 409'
set_clock $D1
term answer "$P_APP" "$P_CODE" --doc passport
expect test_r13_proxy_visit2_next_day eval 'rc_is 0 && is steps.0.body.state ready'
term issue "$P_APP" --card "$cards/proxy.card"
expect test_r13_proxy_visit2_issues_both eval 'rc_is 0 && [ "$(nsteps)" = 3 ]'
set_clock $T0

term apply 13101600005 --types auth "${PRX[@]}"
expect test_r13_proxy_for_an_adult_ward_refused eval 'rc_is 1 && is problem.rule R13'

term apply 13101600020 --types auth "${PRX[@]}"
W_APP=$(jv application.id)
set_clock $D1
W_CODE=$(jv application.inquiry.answer_code)
answers=
for n in 1 2 3 4 5; do
	term answer "$W_APP" AAAA-AAAA --doc passport
	answers="$answers $RC:$(jv problem.rule):$(jv problem.type | sed 's/.*://')"
done
expect test_r13_wrong_answer_code_five_times_then_void eval '[ "$answers" = "$(printf " 1:R13:wrong-answer-code%.0s" 1 2 3 4) 1:R13:inquiry-void" ] || { echo "# $answers" >&2; false; }'
term answer "$W_APP" "$W_CODE" --doc passport
expect test_r13_void_inquiry_refuses_the_right_code eval 'rc_is 1 && is problem.rule R13'
set_clock $T0

# ---------------------------------------------------------------- renewal (R8)
RENEW=13101600006; RENEW_CARD=$(card_of $RENEW)
term card new --card "$cards/renew.card" --number "$RENEW_CARD"
term apply $RENEW --types auth
term issue "$(jv application.id)" --card "$cards/renew.card" --types auth
R_AUTH=$(jv steps.0.body.serial)
expect test_r6_feb29_auth_ends_feb28 eval 'rc_is 0 && [[ "$(jv steps.0.body.not_after)" == 2031-02-28T14:59:59* ]]'
set_clock 1796086800	# 2026-12-01: before the window
term renew $RENEW --card "$cards/renew.card" --types auth
expect test_r8_renew_before_window_is_new_issuance eval 'rc_is 0 && is steps.1.body.renewal reissue &&
	is steps.1.body.superseded.0 "$R_AUTH"'
R_AUTH=$(jv steps.1.body.serial)
set_clock 1922403600	# 2030-12-02 10:00 JST: inside the window (opens 2030-11-28, R8)
term lookup $RENEW
term renew $RENEW --card "$cards/renew.card" --types auth
expect test_r8_renewal_in_window_counts_6th_birthday_capped_by_card eval 'rc_is 0 &&
	is steps.0.body.plan.auth.renewal renewal && is steps.1.body.renewal renewal &&
	is steps.1.body.superseded.0 "$R_AUTH" && is card.1.action install'
set_clock $T0

# ---------------------------------------------------------------- revocation
term revoke --card "$cards/child.card" --type auth --reason unspecified
expect test_r12_voluntary_revocation_by_card eval 'rc_is 0 && is certificate.serial "$CHILD_AUTH" &&
	is certificate.status revoked && is certificate.reason unspecified'
term revoke "$CHILD_AUTH"
expect test_revoke_twice_refused_409 eval 'rc_is 1 && is problem.status 409'

LOST=13101600017; LOST_CARD=$(card_of $LOST)
term card new --card "$cards/lost.card" --number "$LOST_CARD"
term apply $LOST --types sign,auth
term issue "$(jv application.id)" --card "$cards/lost.card"
save_cert 1 "$work/lost-auth.pem"
save_cert 2 "$work/lost-sign.pem"
term card-event "$LOST_CARD" lost
expect test_r11_lost_card_revokes_both eval 'rc_is 0 && is event.status lost &&
	is event.revoked.0.reason keyCompromise && is event.revoked.1.reason keyCompromise &&
	is event.revoked.0.type sign && is event.revoked.1.type auth && is event.revoked.2 ""'
ocsp_check() {	# TYPE PEM: openssl ocsp against the status listener
	curl -s "$ST/ca/$1.crt" | openssl x509 -inform DER -out "$work/$1-ca.pem"
	# The test clock runs ahead of or behind the machine's: accept any
	# thisUpdate/nextUpdate (the times are checked by tests/api/ocsp.sh).
	openssl ocsp -issuer "$work/$1-ca.pem" -cert "$2" -CAfile "$work/$1-ca.pem" \
		-url "$ST/ocsp" -validity_period 315360000 > "$work/ocsp.out" 2>&1
}
ocsp_check sign "$work/lost-sign.pem"
expect test_r11_lost_card_sign_revoked_in_openssl_ocsp eval 'grep -q ": revoked" "$work/ocsp.out" &&
	grep -q "Reason: keyCompromise" "$work/ocsp.out" && grep -q "Response verify OK" "$work/ocsp.out"'
ocsp_check auth "$work/lost-auth.pem"
expect test_r11_lost_card_auth_revoked_in_openssl_ocsp eval 'grep -q ": revoked" "$work/ocsp.out" &&
	grep -q "Reason: keyCompromise" "$work/ocsp.out"'
term card-event "$LOST_CARD" lost
expect test_r11_lost_twice_refused eval 'rc_is 1 && is problem.rule R11'

# ---------------------------------------------------------------- PINs on the card (R15, R16)
A=(--card "$cards/adult.card")
JPKI_AUTH_PIN=1234 JPKI_NEW_PIN=12345 term pin-change "${A[@]}" --type auth
expect test_r15_new_auth_pin_must_be_4_digits eval 'rc_is 3 && is card_error.rule R15 && [ "$(nsteps)" = 0 ]'
JPKI_AUTH_PIN=1234 JPKI_NEW_PIN=4321 term pin-change "${A[@]}" --type auth
expect test_r16a_pin_change_on_card_reported eval 'rc_is 0 && is card.0.action change && is steps.0.status 204 &&
	[ "$(db "SELECT count(*) FROM audit_log WHERE action = '"'pin.change'"'")" = 1 ]'
export JPKI_AUTH_PIN=4321
for n in 1 2 3 4; do
	JPKI_SIGN_PIN=WRONG1 term card verify "${A[@]}" --type sign
	[ "$RC" = 3 ] && [ "$(jv card_error.tries_left)" = $((5 - n)) ] || break
done
expect test_r16_wrong_sign_pin_counts_down eval '[ $n = 4 ] && is card_error.code pin_wrong && is card_error.rule R16'
JPKI_SIGN_PIN=WRONG1 term card verify "${A[@]}" --type sign
expect test_r16_sign_locked_after_5 eval 'rc_is 3 && is card_error.tries_left 0'
term card verify "${A[@]}" --type sign
expect test_r16_locked_sign_refuses_the_right_pin eval 'rc_is 3 && is card_error.code locked'

# ---------------------------------------------------------------- kiosk resets (R16a)
JPKI_NEW_PIN=NEWPIN7 term_as kiosk kiosk pin-reset "${A[@]}" --type sign
expect test_r16a_kiosk_sign_reset_proven_with_auth eval 'rc_is 0 && is card.0.action sign_challenge &&
	is card.0.key auth && is card.1.action reset && is card.1.tries_left 5 && is steps.2.status 200'
JPKI_SIGN_PIN=newpin7 term card verify "${A[@]}" --type sign
expect test_r16_reset_unlocks_with_the_new_pin eval 'rc_is 0'
export JPKI_SIGN_PIN=NEWPIN7
for n in 1 2 3; do JPKI_AUTH_PIN=0000 term card verify "${A[@]}" --type auth; done
expect test_r16_auth_locked_after_3 eval 'rc_is 3 && is card_error.tries_left 0'
JPKI_NEW_PIN=5678 term_as kiosk kiosk pin-reset "${A[@]}" --type auth
expect test_r16a_auth_reset_refused_at_kiosk_without_support eval 'rc_is 1 && is problem.rule R16a'
JPKI_NEW_PIN=5678 term_as kiosk-auth kiosk pin-reset "${A[@]}" --type auth
expect test_r16a_kiosk_auth_reset_proven_with_sign eval 'rc_is 0 && is card.0.key sign && is card.1.tries_left 3'
export JPKI_AUTH_PIN=5678
JPKI_AUTH_PIN=0000 JPKI_NEW_PIN=NEWPIN8 term_as kiosk kiosk pin-reset "${A[@]}" --type sign
expect test_r16a_kiosk_wrong_proof_pin_refused_by_card eval 'rc_is 3 && is card_error.code pin_wrong &&
	is card_error.key auth && [ "$(nsteps)" = 1 ]'
term card verify "${A[@]}" --type auth	# a correct PIN refills the counter

# A SIGN reset proven with a revoked AUTH certificate: refused (R16a).
TEEN=13101600003; TEEN_CARD=$(card_of $TEEN)
term card new --card "$cards/teen.card" --number "$TEEN_CARD"
term apply $TEEN --types sign,auth
expect test_r5_fifteenth_birthday_sign_allowed eval 'rc_is 0 && is application.state ready'
term issue "$(jv application.id)" --card "$cards/teen.card"
term revoke --card "$cards/teen.card" --type auth --reason unspecified
JPKI_NEW_PIN=TEEN99 term_as kiosk kiosk pin-reset --card "$cards/teen.card" --type sign
expect test_r16a_kiosk_reset_with_revoked_auth_refused eval 'rc_is 1 && is problem.rule R16a'

# ---------------------------------------------------------------- counter resets (R14, R16a)
term apply $ADULT --procedure pin_reset --types sign --doc mynumber_card
expect test_r14_counter_reset_needs_a_second_document eval 'rc_is 1 && is problem.rule R14'
term apply $CHILD --procedure pin_reset --types auth "${REP[@]}"
expect test_r16a_counter_reset_without_valid_certificate_refused eval 'rc_is 1 && is problem.rule R16a'
term apply $ADULT --procedure pin_reset --types sign --doc mynumber_card --doc health_insurance_card
R_APP=$(jv application.id)
expect test_r14_counter_reset_application_card_and_second_document eval 'rc_is 0 && is application.fee_yen 0'
JPKI_NEW_PIN=COUNTER1 term pin-reset "$R_APP" "${A[@]}" --type sign
expect test_r16a_counter_pin_reset eval 'rc_is 0 && is steps.0.status 201 && is steps.0.body.channel counter &&
	is card.0.action reset && is steps.1.status 200'
R_ID=$(jv steps.0.body.id)
jv steps.0.body.authorization > "$work/authz"
JPKI_NEW_PIN=COUNTER2 term card reset-pin "${A[@]}" --type sign --authorization-file "$work/authz"
expect test_r16a_reused_authorization_refused_by_card eval 'rc_is 3 && is card_error.code authorization_used'
curl -s -o "$work/out.json" -w '%{http_code}' -X POST --cacert "$ca/client-ca.crt" \
	--cert "$ca/$TERM_A.crt" --key "$ca/$TERM_A.key" "$API/v1/pin-resets/$R_ID/complete" > "$work/code"
expect test_r16a_complete_twice_409 eval '[ "$(cat "$work/code")" = 409 ] && is rule R16a &&
	is type urn:jpkid:problem:authorization-used'
JPKI_NEW_PIN=COUNTER2 term pin-reset "$R_APP" "${A[@]}" --type sign
expect test_r16a_application_authorizes_once eval 'rc_is 1 && is problem.status 409'

term apply $ADULT --procedure pin_reset --types auth --doc mynumber_card --doc pension_book
E_APP=$(jv application.id)
curl -s -o "$work/out.json" -X POST --cacert "$ca/client-ca.crt" --cert "$ca/$TERM_A.crt" \
	--key "$ca/$TERM_A.key" -H 'Content-Type: application/json' \
	--data-binary "{\"channel\":\"counter\",\"application_id\":\"$E_APP\",\"key_type\":\"auth\"}" \
	"$API/v1/pin-resets"
E_ID=$(jv id)
jv authorization > "$work/authz"
set_clock $((T0 + 301))	# the authorization lives 300 s
JPKI_NEW_PIN=2468 term card reset-pin "${A[@]}" --type auth --authorization-file "$work/authz"
expect test_r16a_expired_authorization_refused_by_card eval 'rc_is 3 && is card_error.code authorization_expired'
curl -s -o "$work/out.json" -w '%{http_code}' -X POST --cacert "$ca/client-ca.crt" \
	--cert "$ca/$TERM_A.crt" --key "$ca/$TERM_A.key" "$API/v1/pin-resets/$E_ID/complete" > "$work/code"
expect test_r16a_complete_after_expiry_409 eval '[ "$(cat "$work/code")" = 409 ] &&
	is type urn:jpkid:problem:authorization-expired'
set_clock $T0
term card verify "${A[@]}" --type auth
expect test_r16a_refused_reset_leaves_the_pin eval 'rc_is 0'

# A voluntary proxy resets a locked SIGN PIN over two visits (R13, R14, R16a):
# two documents of the proxy, one of list A; the inquiry answered on a later day.
P=(--card "$cards/proxy.card")
for n in 1 2 3 4 5; do JPKI_SIGN_PIN=WRONG1 term card verify "${P[@]}" --type sign; done
JPKI_SIGN_PIN=ABC123 term card verify "${P[@]}" --type sign
locked=$(jv card_error.code)
set_clock $D1
term apply $PROXY --procedure pin_reset --types sign --applicant voluntary_proxy --name "林 一郎" \
	--relationship 知人 --doc passport --doc health_insurance_card
PR_APP=$(jv application.id)
PR_CODE=$(jv application.inquiry.answer_code)
pr_visit1_ok=$( (rc_is 0 && is application.state awaiting_inquiry && is application.fee_yen 0 &&
	[ -n "$PR_CODE" ]) 2>/dev/null && echo yes)
term answer "$PR_APP" "$PR_CODE" --doc passport --doc health_insurance_card
pr_same_day=$RC:$(jv problem.rule)
JPKI_NEW_PIN=PROXY22 term pin-reset "$PR_APP" "${P[@]}" --type sign
pr_early=$RC:$(jv problem.status)
set_clock $((D1 + 86400))
term answer "$PR_APP" "$PR_CODE" --doc passport --doc health_insurance_card
pr_answer=$RC:$(jv steps.0.body.state)
JPKI_NEW_PIN=PROXY22 term pin-reset "$PR_APP" "${P[@]}" --type sign
expect test_r16a_proxy_pin_reset_two_visits eval '[ "$locked" = locked ] && [ "$pr_visit1_ok" = yes ] &&
	[ "$pr_same_day" = 1:R13 ] && [ "$pr_early" = 1:409 ] && [ "$pr_answer" = 0:ready ] &&
	rc_is 0 && is steps.0.status 201 && is steps.0.body.channel counter && is card.0.action reset &&
	is card.0.tries_left 5 && is steps.1.status 200 ||
	{ echo "# locked=$locked visit1=$pr_visit1_ok same_day=$pr_same_day early=$pr_early answer=$pr_answer" >&2; false; }'
JPKI_SIGN_PIN=proxy22 term card verify "${P[@]}" --type sign
expect test_r16a_proxy_reset_unlocks_sign_with_the_new_pin eval 'rc_is 0 && is card.0.action verify'
set_clock $T0

# A voluntary proxy replacing a valid certificate (R9) needs a delegation
# that covers its revocation (R13).
term apply $ADULT --types auth "${PRX[@]}"
d_without=$RC:$(jv problem.rule):$(jv problem.type | sed 's/.*://')
term apply $ADULT --types auth "${PRX[@]}" --delegation-covers-revocation
expect test_r13_proxy_replacing_valid_certificate_needs_delegation eval '[ "$d_without" = 1:R13:delegation-lacks-revocation ] &&
	rc_is 0 && is application.state awaiting_inquiry && is application.plan.auth.supersedes "$ADULT_AUTH" ||
	{ echo "# without: $d_without" >&2; false; }'

# ---------------------------------------------------------------- suspension (R19)
curl -s -o "$work/susp.json" -w '%{http_code}' -X POST --cacert "$ca/client-ca.crt" \
	--cert "$ca/operator.crt" --key "$ca/operator.key" -H 'Content-Type: application/json' \
	--data-binary '{"starts_at":"2026-11-21T01:01:00Z","ends_at":"2026-11-21T03:00:00Z","reason":"e2e maintenance"}' \
	"$API/v1/suspensions" > "$work/code"
set_clock $((T0 + 120))
term lookup $ADULT
expect test_r19_suspension_terminal_gets_503 eval '[ "$(cat "$work/code")" = 201 ] && rc_is 4 &&
	is problem.status 503 && [ -n "$(jv retry_after)" ]'
term revoke --card "$cards/proxy.card" --type sign --reason unspecified
expect test_r19_revocation_not_stopped_by_suspension eval 'rc_is 0 && is certificate.status revoked'
# The published schedule (一時停止スケジュール) on the terminal, read during the suspension.
term suspensions
"$terminal" --api "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$TERM_A.crt" --key "$ca/$TERM_A.key" \
	--lang ja suspensions > "$work/susp.txt" 2>&1
expect test_r19_terminal_sees_suspension_schedule eval 'rc_is 0 && is suspensions.0.state active &&
	is suspensions.0.reason "e2e maintenance" && is suspensions.0.starts_at 2026-11-21T01:01:00Z &&
	is suspensions.0.created_by "" && is suspensions.1 "" &&
	grep -q "停止中 *令和8年11月21日 10:01 *令和8年11月21日 12:00 *e2e maintenance" "$work/susp.txt"'

# ---------------------------------------------------------------- expiry notices (R21)
# Two months before the adult's SIGN certificate expires, an operator runs
# the notices; the terminal of 千代田区 lists it exactly once, also after a
# second run, and writes the CSV as the daemon made it.
A_SIGN_END=$(db "SELECT extract(epoch FROM not_after)::bigint FROM certificates WHERE serial = decode('$ADULT_SIGN', 'hex')")
set_clock $((A_SIGN_END - 60 * 86400))
notices_run() {
	curl -s -o "$work/run.json" -w '%{http_code}' -X POST --cacert "$ca/client-ca.crt" \
		--cert "$ca/operator.crt" --key "$ca/operator.key" "$API/v1/notices/run"
}
n_run1=$(notices_run)
n_run2=$(notices_run)
term notices
n_count() { jv notices.notices | $PY -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin) if n["serial"] == sys.argv[1]))' "$ADULT_SIGN"; }
expect test_r21_terminal_lists_expiry_notices eval '[ -n "$A_SIGN_END" ] && [ "$n_run1" = 200 ] && [ "$n_run2" = 200 ] &&
	rc_is 0 && is notices.municipality_code 131016 && [ "$(n_count)" = 1 ] && is steps.0.path /v1/notices ||
	{ echo "# runs $n_run1 $n_run2, count $(n_count)" >&2; false; }'
N_BATCH=$(jv notices.notices | $PY -c 'import json,sys; print([n["batch_id"] for n in json.load(sys.stdin) if n["serial"] == sys.argv[1]][0])' "$ADULT_SIGN")
"$terminal" --api "$API" --cacert "$ca/client-ca.crt" --cert "$ca/$TERM_A.crt" --key "$ca/$TERM_A.key" \
	notices --batch "$N_BATCH" --csv > "$work/notices.csv" 2> "$work/err"
RC=$?
expect test_r21_terminal_notices_csv_as_is eval 'rc_is 0 && head -1 "$work/notices.csv" | grep -q "^batch_id,type,serial,not_after,resident_code,name,address" &&
	[ "$(grep -c ",$ADULT_SIGN," "$work/notices.csv")" = 1 ] && grep -q $'"'\r'"'$ "$work/notices.csv"'
term_as terminal-141003 notices
expect test_r1_terminal_notices_other_municipality_not_listed eval 'rc_is 0 && is notices.municipality_code 141003 && [ "$(n_count)" = 0 ]'
set_clock $T0

# ---------------------------------------------------------------- transport
expect test_mutating_calls_carry_idempotency_keys eval \
	'[ "$(db "SELECT count(DISTINCT key) FROM idempotency WHERE principal LIKE '"'terminal:%'"'")" -ge 20 ]'
"$terminal" --api "https://127.0.0.1:1" --cacert "$ca/client-ca.crt" --cert "$ca/$TERM_A.crt" \
	--key "$ca/$TERM_A.key" --lang en apply $ADULT > /dev/null 2> "$work/err"
RC=$?
expect test_transport_error_exit_4_after_one_retry eval 'rc_is 4 &&
	[ "$(grep -c "retrying once with the same Idempotency-Key" "$work/err")" = 1 ]'

# ---------------------------------------------------------------- usage
"$terminal" frobnicate > /dev/null 2>&1
RC=$?
expect test_usage_error_exit_2 rc_is 2
expect test_no_pin_in_any_output eval '[ -s "$work/all.log" ] && ! grep -qE "ABC123|NEWPIN7|COUNTER1|TEEN99" "$work/all.log"'

# ---------------------------------------------------------------- shutdown
kill -TERM "${pids[0]}"
wait "${pids[0]}"
rc=$?
pids=()
expect test_jpkid_clean_exit eval '[ $rc = 0 ] && grep -q "msg=stopped" "$work/jpkid.log"'
# Under the sanitizer build (deploy/check.sh e2e-asan) any report fails here.
expect test_no_sanitizer_reports eval '! grep -q "Sanitizer" "$work/jpkid.log" "$work/all.log"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
