#!/usr/bin/env bash
# jpki-terminal's rough edges (issue 14 item 5) against a real jpkid: dates in
# JST (the era in Japanese), status words in Japanese, a blank card is not
# "LOCKED", the R15 SIGN PIN format checked before its confirmation (and asked
# again on a terminal), issue without --types on an AUTH-only application,
# a type not applied for after the application completed (type-not-applied),
# the retry message of a GET, resident code and card number formats checked
# before any request. The full counter flow is tests/e2e/counter.sh.
#
# usage: tests/e2e/terminal.sh BUILDDIR   (needs --enable-test-clock)
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
# The PINs below are test values.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/deploy/lib.sh"
build=$(cd "${1:?usage: terminal.sh BUILDDIR}" && pwd)
terminal=$build/jpki-terminal
PY=/usr/bin/python3

work=$(mktemp -d /tmp/jpkid-term.XXXXXX)
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
	[ "$failed" -gt 0 ] && tail -n 20 "$work/jpkid.log" 2>/dev/null | sed 's/^/# jpkid: /'
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1${2:+: $2}"
	failed=$((failed + 1))
	[ -s "$work/out" ] && echo "# stdout (rc $RC): $(head -c 900 "$work/out" | tr '\n' ' ')"
	[ -s "$work/err" ] && echo "# stderr: $(head -c 500 "$work/err" | tr '\n' ' ')"
	return 0
}
expect() {	# expect NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}
bail() { not_ok "$1"; echo "$passed passed, $failed failed"; exit 1; }

# ---------------------------------------------------------------- set-up (as counter.sh)
T0=1795222800		# 2026-11-21 10:00 JST, the demo day (deploy/demo/README.md)
echo $T0 > "$work/clock"
export JPKID_TEST_CLOCK=@$work/clock
jpki_pg_init "$pg" && jpki_pg_start "$pg" || bail setup_postgresql
jpki_pg_createdb "$pg" jpkid
conninfo="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid"
JPKID_TEST_CLOCK=$((T0 - 30 * 86400)) "$build/jpkictl" init --dir "$ca" > "$work/init.out" 2>&1 ||
	{ cat "$work/init.out"; bail setup_jpkictl_init; }
api_port=$(jpki_free_port 29543)
status_port=$(jpki_free_port $((api_port + 1)))
jpki_write_config "$work/jpkid.conf" "$ca" "$conninfo" "$api_port" "$status_port"
API=https://127.0.0.1:$api_port
ST=http://127.0.0.1:$status_port
"$build/jpkid" -c "$work/jpkid.conf" >> "$work/jpkid.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 300; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] && break
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$ST/readyz")" = 200 ] || bail setup_jpkid_ready
jpki_psql "$pg" jpkid -q -f "$top/deploy/demo/municipalities.sql" >/dev/null
$PY "$top/deploy/demo/residents.py" --count 40 | jpki_psql "$pg" jpkid -q >/dev/null
"$build/jpkictl" enroll --db "$conninfo" --manifest "$ca/manifest.txt" > "$work/enroll.out" 2>&1 ||
	bail setup_enroll
card_of() {
	jpki_psql "$pg" jpkid -tAc "SELECT card_number FROM cards WHERE resident_code = '$1'
	    AND status = 'active' AND kind = 'mynumber'"
}

# t [ARGS...]: jpki-terminal as the 千代田区 terminal; stdout in $work/out, stderr in
# $work/err, exit status in RC. tj: the same with --json.
WHO='terminal-131016'
t() {
	"$terminal" --api "${TAPI:-$API}" --cacert "$ca/client-ca.crt" --cert "$ca/$WHO.crt" \
		--key "$ca/$WHO.key" --status "$ST" "$@" > "$work/out" 2> "$work/err"
	RC=$?
}
tj() { t --json "$@"; }
jv() {	# jv PATH: a value of the last --json output (dotted; list indexes)
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    if isinstance(d, list): d = d[int(k)] if -len(d) <= int(k) < len(d) else None
    elif isinstance(d, dict): d = d.get(k)
    else: d = None
print("" if d is None else (d if isinstance(d, str) else json.dumps(d)))' "$work/out" "$1" 2>/dev/null
}
is() { local got; got=$(jv "$1"); [ "$got" = "$2" ] || { echo "# $1 = '$got', want '$2'" >&2; return 1; }; }
rc_is() { [ "$RC" = "$1" ] || { echo "# exit $RC, want $1" >&2; return 1; }; }
out_has() { grep -qF -- "$1" "$work/out" || { echo "# stdout lacks '$1'" >&2; return 1; }; }
out_lacks() { ! grep -qE -- "$1" "$work/out" || { echo "# stdout has /$1/" >&2; return 1; }; }
err_has() { grep -qF -- "$1" "$work/err" || { echo "# stderr lacks '$1'" >&2; return 1; }; }
err_lacks() { ! grep -qF -- "$1" "$work/err" || { echo "# stderr has '$1'" >&2; return 1; }; }
nsteps() { jv steps | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# shellcheck disable=SC2034 # used inside the eval strings
UTC='[0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'	# an instant as the daemon sends it

export JPKI_SIGN_PIN=ABC123 JPKI_AUTH_PIN=1234	# test values

# ---------------------------------------------------------------- dates and words
ADULT=13101600001	# 佐藤 健一, born 1980-05-14, card to 2032-05-14 (deploy/demo/README.md)
t --lang ja lookup $ADULT
expect test_lookup_ja_dates_with_era eval 'rc_is 0 && out_has "生年月日 昭和55年5月14日" &&
	out_has "有効期限 令和14年5月14日" && grep -qE "署名用電子証明書: 有効期限 令和[0-9]+年[0-9]+月[0-9]+日 23:59:59 \(新規, 上限 " "$work/out" &&
	out_has "申請できる人: 本人" && out_lacks "$UTC"'
t --lang en lookup $ADULT
expect test_lookup_en_dates_in_jst eval 'rc_is 0 &&
	grep -qE "SIGN certificate: valid until 20[0-9-]{8} 23:59:59 JST \(new, capped by " "$work/out" &&
	out_lacks "$UTC"'

ADULT_CARD=$(card_of $ADULT)
tj card new --card "$cards/adult.card" --number "$ADULT_CARD"
t --lang en card show --card "$cards/adult.card"
expect test_card_show_blank_is_not_locked_en eval 'rc_is 0 && out_has "SIGN: no certificate, blank: not yet issued" &&
	out_has "AUTH: no certificate, blank: not yet issued" && out_lacks LOCKED'
t --lang ja card show --card "$cards/adult.card"
expect test_card_show_blank_is_not_locked_ja eval 'rc_is 0 && out_has "署名用: 証明書なし, 未発行 (白紙のカード)" &&
	out_lacks "ロック中"'
tj card show --card "$cards/adult.card"
expect test_card_show_json_state_blank eval 'rc_is 0 && is card_state.keys.sign.state blank &&
	is card_state.keys.auth.state blank'

tj apply $ADULT --types sign,auth
APP=$(jv application.id)
t --lang ja issue "$APP" --card "$cards/adult.card"
expect test_issue_ja_not_after_in_jst_with_era eval 'rc_is 0 &&
	grep -qE "利用者証明用電子証明書: シリアル [0-9a-f]+, 有効期限 令和[0-9]+年[0-9]+月[0-9]+日 23:59:59, カードに書き込みました" "$work/out" &&
	out_lacks "$UTC"'
t --lang ja card show --card "$cards/adult.card"
expect test_card_show_ja_jst_with_era eval 'rc_is 0 &&
	grep -qE "署名用: シリアル [0-9a-f]+, 有効期限 令和[0-9]+年[0-9]+月[0-9]+日 23:59:59, 残り試行回数 5/5" "$work/out"'
for i in 1 2 3; do JPKI_AUTH_PIN=9999 t card verify --card "$cards/adult.card" --type auth; done
t --lang en card show --card "$cards/adult.card"
expect test_r16_card_show_locked_after_the_tries eval 'out_has "tries left 5/5" && grep -qE "AUTH: serial [0-9a-f]+, valid until .* JST, LOCKED \(R16\)" "$work/out"'
t --lang ja card show --card "$cards/adult.card"
expect test_r16_card_show_locked_ja eval 'out_has "ロック中 (R16)"'
t --lang ja revoke --card "$cards/adult.card" --type sign --reason keyCompromise
expect test_revoke_ja_reason_and_time eval 'rc_is 0 && out_has "理由 鍵の危殆化, 令和8年11月21日 10:00"'
t --lang ja lookup $ADULT
expect test_lookup_ja_status_words eval 'rc_is 0 && grep -qE "\(sign\): 失効, 有効期限 令和.*, 鍵の危殆化" "$work/out" &&
	grep -qE "\(auth\): 有効, 有効期限 令和" "$work/out" && out_has ": 有効, 有効期限 令和14年5月14日"'

# ---------------------------------------------------------------- R15 before the confirmation
# On a terminal (a pty): a SIGN PIN of the wrong format is refused at once and asked
# again; the confirmation comes only for a PIN of the right format.
pty_issue() {	# pty_issue CARD APP: issue with the SIGN PIN typed at the prompt
	env -u JPKI_SIGN_PIN $PY - "$terminal" --api "$API" --cacert "$ca/client-ca.crt" \
		--cert "$ca/$WHO.crt" --key "$ca/$WHO.key" --lang en issue "$2" --card "$1" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
buf = b""
def upto(*pats, timeout=30):
    global buf
    end = time.time() + timeout
    while time.time() < end:
        for p in pats:
            if p in buf:
                i = buf.index(p) + len(p)
                buf = buf[i:]
                return p
        if select.select([fd], [], [], 0.2)[0]:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            buf += d
    return None
def send(b):
    time.sleep(0.5)	# the prompt's TCSAFLUSH discards what is typed before it
    os.write(fd, b)
seq = []
if upto(b"new SIGN PIN") is None:
    print("no-prompt"); sys.exit(1)
send(b"abc\n")
got = upto(b"enter it again", b"again, to confirm")
seq.append("reasked" if got == b"enter it again" else "confirm-first" if got else "nothing")
if got == b"enter it again":
    upto(b"new SIGN PIN")
    send(b"ABC123\n")
    seq.append("confirm" if upto(b"again, to confirm") else "no-confirm")
send(b"ABC123\n" if got == b"enter it again" else b"abc\n")
end, st = time.time() + 60, None
while time.time() < end:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        st = status
        break
    if select.select([fd], [], [], 0.2)[0]:
        try:
            os.read(fd, 4096)
        except OSError:
            time.sleep(0.1)
if st is None:
    os.kill(pid, 9)
    seq.append("hung")
    st = os.waitpid(pid, 0)[1]
print(" ".join(seq), "exit=%d" % os.waitstatus_to_exitcode(st))
PY
}
PTYR=13101600017	# 田中 美穂, an adult
tj card new --card "$cards/pty.card" --number "$(card_of $PTYR)"
tj apply $PTYR --types sign,auth
P_APP=$(jv application.id)
got=$(pty_issue "$cards/pty.card" "$P_APP" 2>&1)
expect test_r15_sign_pin_reasked_before_the_confirmation [ "$got" = "reasked confirm exit=0" ]
tj card show --card "$cards/pty.card"
expect test_r15_reasked_pin_issued_both eval 'is card_state.keys.sign.certificate true &&
	is card_state.keys.auth.certificate true'

# ---------------------------------------------------------------- types from the application
AONLY=13101600006	# 伊藤 真由美, an adult: AUTH only
tj card new --card "$cards/aonly.card" --number "$(card_of $AONLY)"
tj apply $AONLY --types auth
A_APP=$(jv application.id)
tj issue "$A_APP" --card "$cards/aonly.card"
expect test_issue_without_types_auth_only_application_exits_0 eval 'rc_is 0 &&
	is steps.0.method GET && is steps.1.body.type auth && [ "$(nsteps)" = 2 ] &&
	is card.0.key auth && is card.1.action install'
tj issue "$A_APP" --card "$cards/aonly.card" --types sign
expect test_type_not_in_completed_application_is_type_not_applied eval 'rc_is 1 &&
	is problem.status 409 && is problem.type urn:jpkid:problem:type-not-applied'
tj issue "$A_APP" --card "$cards/aonly.card"
expect test_issue_without_types_nothing_left_exits_1_without_post eval 'rc_is 1 &&
	[ "$(nsteps)" = 1 ] && err_has "nothing to issue"'

# ---------------------------------------------------------------- transport messages
dead=$(jpki_free_port $((status_port + 1)))
TAPI=https://127.0.0.1:$dead t --lang en lookup $ADULT
expect test_get_retry_says_no_idempotency_key eval 'rc_is 4 && err_has "transport error, retrying once" &&
	err_lacks "Idempotency-Key"'
TAPI=https://127.0.0.1:$dead t --lang en revoke 0123abcd
expect test_post_retry_keeps_the_idempotency_key eval 'rc_is 4 &&
	err_has "retrying once with the same Idempotency-Key"'

# ---------------------------------------------------------------- formats before any request
tj --lang en lookup 1310160000
expect test_lookup_10_digit_resident_code_format_error eval 'rc_is 2 && [ "$(nsteps)" = 0 ] &&
	is format_error.field RESIDENT && err_has "RESIDENT: a resident code is 11 digits"'
tj --lang en apply 1310160000a --types auth
expect test_apply_bad_resident_code_format_error eval 'rc_is 2 && [ "$(nsteps)" = 0 ] && is format_error.field RESIDENT'
tj --lang en apply $ADULT --types auth --card-number 12-34
expect test_apply_bad_card_number_format_error eval 'rc_is 2 && [ "$(nsteps)" = 0 ] &&
	is format_error.field --card-number'
tj --lang en card-event 1234567890123456789 lost
expect test_card_event_bad_card_number_format_error eval 'rc_is 2 && [ "$(nsteps)" = 0 ] &&
	is format_error.field CARD_NUMBER'
tj --lang en card new --card "$cards/bad.card" --resident 131016
expect test_card_new_bad_resident_format_error eval 'rc_is 2 && [ "$(nsteps)" = 0 ] &&
	is format_error.field --resident && [ ! -e "$cards/bad.card" ]'
t --lang ja lookup 1310160000
expect test_lookup_format_error_ja eval 'rc_is 2 && err_has "RESIDENT: 住民コードは数字 11 桁"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
