# The operator console: jpkictl operator accounts, POST/GET/DELETE
# /v1/session, the session cookie, CSRF token and Origin rule, the role
# column seen through a session, and the console refusing terminal, feed,
# kiosk and relying-party routes. Sourced by tests/api/run.sh.
#
# Only successful logins happen on the main jpkid (real clock): a failure
# delays every login from 127.0.0.1. Failures, throttling, lockout and the
# idle and absolute timeouts run on a second jpkid with its own database and
# a clock read from a file (JPKID_TEST_CLOCK=@file), TOTP codes computed by
# oathtool for that clock.

cs_pw='correct horse 42'
printf '%s\n' "$cs_pw" > "$work/cs-pw"
printf 'short1\n' > "$work/cs-weak"
cs_jv() {	# cs_jv PATH: a value of the last JSON body
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else d)' "$work/body" "$1" 2>/dev/null
}
cs_secret() { sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' "$1"; }
cs_cookie() { sed -n 's/^[Ss]et-[Cc]ookie: jpkid_session=\([^;]*\);.*/\1/p' "$work/hdrs" | head -n1; }
# cs_login BASE USER [CODE] [PASSWORD]: POST /v1/session with the console's
# Origin; on 201 CS_TOK (cookie) and CS_CSRF are set.
cs_login() {
	local base=$1 u=$2 code=${3:-} pw=${4:-$cs_pw} js
	js="{\"username\":\"$u\",\"password\":\"$pw\"${code:+,\"totp\":\"$code\"}}"
	call POST "$base/v1/session" --cacert "$ca/client-ca.crt" -H "Origin: $base" \
		-H 'Content-Type: application/json' --data-binary "$js"
	CS_TOK= CS_CSRF=
	if [ "$STATUS" = 201 ]; then CS_TOK=$(cs_cookie); CS_CSRF=$(cs_jv .csrf_token); fi
}
# cs_req METHOD BASE PATH TOKEN [curl args]: a console request with the session cookie.
cs_req() {
	local m=$1 base=$2 path=$3 tok=$4
	shift 4
	call "$m" "$base$path" --cacert "$ca/client-ca.crt" -H "Cookie: jpkid_session=$tok" "$@"
}
# cs_mut METHOD BASE PATH TOKEN CSRF [curl args]: the same with X-CSRF-Token and Origin.
cs_mut() {
	local m=$1 base=$2 path=$3 tok=$4 csrf=$5
	shift 5
	cs_req "$m" "$base" "$path" "$tok" -H "X-CSRF-Token: $csrf" -H "Origin: $base" "$@"
}
cs_db() { jpki_psql "$pg" jpkid -tAc "$1"; }

# ---------------------------------------------------------------- jpkictl operator
"$jpkictl" operator add cs-view --role viewer --display-name 'Viewer One' \
	--password-file "$work/cs-pw" -c "$conf" > "$work/cs-add.out" 2>&1
rc_add=$?
"$jpkictl" operator add cs-view2 --role viewer --password-file "$work/cs-pw" -c "$conf" >/dev/null 2>&1
"$jpkictl" operator add cs-off --role officer --password-file "$work/cs-pw" -c "$conf" >/dev/null 2>&1
"$jpkictl" operator add cs-adm --role admin --password-file "$work/cs-pw" -c "$conf" >/dev/null 2>&1
expect test_operator_add_creates_accounts eval '[ $rc_add = 0 ] && grep -q "^created operator cs-view (id [0-9]*, role viewer)" "$work/cs-add.out" &&
	[ "$(cs_db "SELECT count(*) FROM operators WHERE username LIKE '"'cs-%'"' AND password_hash LIKE '"'_argon2id_v=19_m=1024,t=1,p=1_%'"'")" = 4 ] &&
	[ "$(cs_db "SELECT display_name FROM operators WHERE username = '"'cs-view'"'")" = "Viewer One" ]'
expect test_operator_add_audited_with_login_name eval '[ "$(cs_db "SELECT count(*) FROM audit_log WHERE action = '"'operator.create'"' AND actor = '"'jpkictl:$(id -un)'"' AND detail->>'"'username'"' LIKE '"'cs-%'"'")" = 4 ]'
"$jpkictl" operator add cs-def --role viewer --password-file "$work/cs-pw" --db "$conninfo" >/dev/null 2>&1
expect test_operator_add_with_db_uses_default_argon2_parameters eval '[ "$(cs_db "SELECT password_hash LIKE '"'_argon2id_v=19_m=65536,t=3,p=1_%'"' FROM operators WHERE username = '"'cs-def'"'")" = t ]'
expect test_operator_add_weak_password_refused_with_reason eval '! "$jpkictl" operator add cs-weak --role viewer --password-file "$work/cs-weak" -c "$conf" 2>"$work/cs-weak.err" &&
	grep -q "password refused: a password needs at least 12 characters" "$work/cs-weak.err" && [ "$(cs_db "SELECT count(*) FROM operators WHERE username = '"'cs-weak'"'")" = 0 ]'
expect test_operator_add_without_file_needs_a_terminal eval '! "$jpkictl" operator add cs-tty --role viewer -c "$conf" </dev/null 2>"$work/cs-tty.err" && grep -q "stdin is not a terminal" "$work/cs-tty.err"'
expect test_operator_add_bad_role_refused eval '! "$jpkictl" operator add cs-bad --role root --password-file "$work/cs-pw" -c "$conf" 2>/dev/null'
expect test_operator_add_duplicate_refused eval '! "$jpkictl" operator add cs-view --role viewer --password-file "$work/cs-pw" -c "$conf" 2>"$work/cs-dup.err" && grep -q "an operator of that name exists" "$work/cs-dup.err"'
"$jpkictl" operator totp cs-off -c "$conf" > "$work/cs-off.uri" 2>/dev/null
"$jpkictl" operator totp cs-adm -c "$conf" > "$work/cs-adm.uri" 2>/dev/null
cs_off_secret=$(cs_secret "$work/cs-off.uri")
cs_adm_secret=$(cs_secret "$work/cs-adm.uri")
expect test_operator_totp_prints_otpauth_uri_once eval '[ ${#cs_off_secret} = 32 ] &&
	grep -q "^otpauth://totp/jpkid%3Acs-off?secret=[A-Z2-7]*&issuer=jpkid&algorithm=SHA1&digits=6&period=30$" "$work/cs-off.uri" &&
	[ "$(cs_db "SELECT octet_length(totp_secret) FROM operators WHERE username = '"'cs-off'"'")" = 20 ] &&
	[ "$(cs_db "SELECT count(*) FROM audit_log WHERE action = '"'operator.totp'"' AND detail::text LIKE '"'%$cs_off_secret%'"'")" = 0 ]'
"$jpkictl" operator list -c "$conf" > "$work/cs-list.out" 2>&1
expect test_operator_list_output eval 'head -n1 "$work/cs-list.out" | grep -q "^ID  *USERNAME  *ROLE  *ENABLED  *TOTP  *LAST_LOGIN  *LOCKED_UNTIL$" &&
	grep -Eq "^[0-9]+ +cs-off +officer +yes +yes +- +-$" "$work/cs-list.out" &&
	grep -Eq "^[0-9]+ +cs-view +viewer +yes +no +- +-$" "$work/cs-list.out"'
expect test_operator_unknown_name_exit_1 eval '! "$jpkictl" operator disable cs-nobody -c "$conf" 2>"$work/cs-no.err" && grep -q "no operator '"'cs-nobody'"'" "$work/cs-no.err"'

# ---------------------------------------------------------------- login (main jpkid)
cs_login "$CON" cs-view
cs_view_tok=$CS_TOK cs_view_csrf=$CS_CSRF
cookie=$(grep -i '^set-cookie:' "$work/hdrs" | tr -d '\r')
expect test_console_login_201_without_client_certificate eval '[ "$STATUS" = 201 ] && conforms POST /v1/session &&
	jq_eq .operator.username cs-view && jq_eq .operator.role viewer && jq_eq .operator.display_name "Viewer One" && jq_eq .idle_timeout_seconds 900'
expect test_console_cookie_flags eval '[ ${#cs_view_tok} = 43 ] && case "$cookie" in
	*"jpkid_session=$cs_view_tok; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=28800") true ;; *) false ;; esac'
expect test_console_session_token_only_hashed_in_database eval '[ "$(cs_db "SELECT count(*) FROM operator_sessions WHERE token_hash = sha256('"'$cs_view_tok'"'::bytea) AND csrf_hash = sha256('"'$cs_view_csrf'"'::bytea) AND remote = '"'127.0.0.1'"'")" = 1 ] &&
	[ "$(cs_db "SELECT count(*) FROM operator_sessions WHERE encode(token_hash, '"'escape'"') LIKE '"'%$cs_view_tok%'"'")" = 0 ]'
expect test_console_login_audited eval '[ "$(cs_db "SELECT count(*) FROM audit_log a JOIN operators o ON a.actor = '"'operator:'"' || o.id WHERE o.username = '"'cs-view'"' AND a.action = '"'session.create'"'")" = 1 ]'
expect test_console_tls_needs_no_client_certificate eval 'echo | openssl s_client -connect 127.0.0.1:$console_port -CAfile "$ca/client-ca.crt" -verify_return_error >/dev/null 2>&1'

cs_req GET "$CON" /v1/session "$cs_view_tok"
expect test_console_get_session_200_same_csrf eval '[ "$STATUS" = 200 ] && conforms GET /v1/session && jq_eq .csrf_token "$cs_view_csrf" && jq_eq .operator.role viewer && ! grep -qi "^set-cookie" "$work/hdrs"'
cs_req GET "$CON" /v1/whoami "$cs_view_tok"
expect test_console_whoami_by_session eval '[ "$STATUS" = 200 ] && conforms GET /v1/whoami && jq_eq .authenticated_by session && jq_eq .role viewer && jq_eq .certificate_sha256 null'
expect test_console_session_sets_operator_last_seen eval '[ "$(cs_db "SELECT last_seen_at IS NOT NULL FROM operators WHERE username = '"'cs-view'"'")" = t ]'
call GET "$CON/v1/session" --cacert "$ca/client-ca.crt"
expect test_console_no_cookie_401 eval 'is_problem 401 && conforms GET /v1/session && jq_eq .type urn:jpkid:problem:unauthenticated'
cs_req GET "$CON" /v1/session "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect test_console_unknown_token_401 is_problem 401
call GET "$CON/v1/nothing-here" --cacert "$ca/client-ca.crt"
expect test_console_unknown_path_without_session_401 is_problem 401
call GET "$CON/v1/municipality" --cacert "$ca/client-ca.crt"
expect test_console_terminal_path_without_session_401 is_problem 401
cs_req GET "$CON" /v1/nothing-here "$cs_view_tok"
expect test_console_unknown_path_with_session_404 is_problem 404

call POST "$CON/v1/session" --cacert "$ca/client-ca.crt" -H 'Content-Type: application/json' \
	--data-binary "{\"username\":\"cs-view\",\"password\":\"$cs_pw\"}"
expect test_console_login_without_origin_403 eval 'is_problem 403 && conforms POST /v1/session && jq_eq .type urn:jpkid:problem:csrf && ! grep -qi "^set-cookie" "$work/hdrs"'
call POST "$CON/v1/session" --cacert "$ca/client-ca.crt" -H 'Origin: https://evil.example' \
	-H 'Content-Type: application/json' --data-binary "{\"username\":\"cs-view\",\"password\":\"$cs_pw\"}"
expect test_console_login_wrong_origin_403 eval 'is_problem 403 && jq_eq .type urn:jpkid:problem:csrf'
call POST "$CON/v1/session" --cacert "$ca/client-ca.crt" -H "Origin: $CON" \
	-H 'Content-Type: application/json' --data-binary '{"username":"cs-view","password":1,"x":2}'
expect test_console_login_bad_fields_422 eval 'is_problem 422 && conforms POST /v1/session && jq_eq .fields.password "a string of 1 to 1024 characters" && jq_eq .fields.x "unknown field"'
call POST "$API/v1/session" $(tls operator) -H 'Content-Type: application/json' --data-binary '{}'
expect test_session_route_not_on_api_listener_404 is_problem 404

# The console refuses terminal, feed, kiosk and relying-party routes (even with CSRF).
cs_login "$CON" cs-adm "$(oathtool --totp -b "$cs_adm_secret")"
cs_adm_tok=$CS_TOK cs_adm_csrf=$CS_CSRF
expect test_console_admin_login_with_totp_201 eval '[ -n "$cs_adm_tok" ] && jq_eq .operator.role admin'
cs_req GET "$CON" /v1/municipality "$cs_adm_tok"
expect test_console_refuses_terminal_route_municipality_404 is_problem 404
cs_req GET "$CON" /v1/residents/13101600001 "$cs_adm_tok"
expect test_console_refuses_terminal_route_resident_404 is_problem 404
cs_mut POST "$CON" /ocsp "$cs_adm_tok" "$cs_adm_csrf" -H 'Content-Type: application/ocsp-request' --data-binary x
expect test_console_refuses_relying_party_route_ocsp_404 is_problem 404
cs_req GET "$CON" /v1/pin-resets/challenge "$cs_adm_tok"
expect test_console_refuses_kiosk_route_challenge_404 is_problem 404
cs_mut PUT "$CON" /v1/residents/13101600001 "$cs_adm_tok" "$cs_adm_csrf" -H 'Content-Type: application/json' --data-binary '{}'
expect test_console_refuses_feed_route_resident_put_404 is_problem 404
cs_mut POST "$CON" /v1/applications "$cs_adm_tok" "$cs_adm_csrf" -H 'Content-Type: application/json' --data-binary '{}'
expect test_console_refuses_terminal_route_application_404 is_problem 404

# Roles through a session: the route table's min_role, the same as on the API listener.
cs_mut PUT "$CON" /v1/holidays/2099-01-02 "$cs_view_tok" "$cs_view_csrf" -H 'Content-Type: application/json' --data-binary '{"name":"cs"}'
expect test_console_viewer_on_officer_route_403_required_role eval 'is_problem 403 && conforms PUT /v1/holidays/2099-01-02 && jq_eq .required_role officer &&
	[ "$(cs_db "SELECT count(*) FROM holidays WHERE day = '"'2099-01-02'"'")" = 0 ]'
cs_req GET "$CON" /v1/holidays "$cs_view_tok"
expect test_console_viewer_reads_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/holidays'
cs_login "$CON" cs-off "$(oathtool --totp -b "$cs_off_secret")"
cs_off_tok=$CS_TOK cs_off_csrf=$CS_CSRF
cs_mut PUT "$CON" /v1/holidays/2099-01-02 "$cs_off_tok" "$cs_off_csrf" -H 'Content-Type: application/json' --data-binary '{"name":"cs"}'
expect test_console_officer_on_officer_route_passes eval '[ "$STATUS" = 201 ] && conforms PUT /v1/holidays/2099-01-02 &&
	[ "$(cs_db "SELECT count(*) FROM audit_log a JOIN operators o ON a.actor = '"'operator:'"' || o.id WHERE o.username = '"'cs-off'"' AND a.action = '"'holiday.put'"'")" = 1 ]'
cs_mut DELETE "$CON" /v1/holidays/2099-01-02 "$cs_off_tok" "$cs_off_csrf"

# CSRF on a state-changing request: token and Origin, both needed.
cs_req DELETE "$CON" /v1/session "$cs_view_tok" -H "Origin: $CON"
expect test_console_csrf_missing_token_403 eval 'is_problem 403 && conforms DELETE /v1/session && jq_eq .type urn:jpkid:problem:csrf'
cs_req DELETE "$CON" /v1/session "$cs_view_tok" -H "Origin: $CON" -H "X-CSRF-Token: $cs_adm_csrf"
expect test_console_csrf_wrong_token_403 eval 'is_problem 403 && jq_eq .type urn:jpkid:problem:csrf'
cs_req DELETE "$CON" /v1/session "$cs_view_tok" -H "Origin: https://evil.example" -H "X-CSRF-Token: $cs_view_csrf"
expect test_console_csrf_wrong_origin_403 eval 'is_problem 403 && jq_eq .type urn:jpkid:problem:csrf'
cs_req DELETE "$CON" /v1/session "$cs_view_tok" -H "X-CSRF-Token: $cs_view_csrf"
expect test_console_csrf_no_origin_403 is_problem 403
cs_mut DELETE "$CON" /v1/session "$cs_view_tok" "$cs_view_csrf"
cookie=$(grep -i '^set-cookie:' "$work/hdrs" | tr -d '\r')
expect test_console_logout_204_clears_cookie eval '[ "$STATUS" = 204 ] && conforms DELETE /v1/session &&
	case "$cookie" in *"jpkid_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0") true ;; *) false ;; esac &&
	[ "$(cs_db "SELECT count(*) FROM operator_sessions WHERE token_hash = sha256('"'$cs_view_tok'"'::bytea)")" = 0 ] &&
	[ "$(cs_db "SELECT count(*) FROM audit_log WHERE action = '"'session.delete'"'")" -ge 1 ]'
cs_req GET "$CON" /v1/session "$cs_view_tok"
expect test_console_after_logout_401 is_problem 401

# A disabled operator's live session ends at its next request.
cs_login "$CON" cs-view2
cs_v2_tok=$CS_TOK
cs_req GET "$CON" /v1/session "$cs_v2_tok"
st_before=$STATUS
"$jpkictl" operator disable cs-view2 -c "$conf" >/dev/null 2>&1
cs_req GET "$CON" /v1/session "$cs_v2_tok"
expect test_console_disabled_operator_session_401 eval '[ "$st_before" = 200 ] && is_problem 401 &&
	[ "$(cs_db "SELECT count(*) FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE o.username = '"'cs-view2'"'")" = 0 ]'
"$jpkictl" operator passwd cs-off --password-file "$work/cs-pw" -c "$conf" >/dev/null 2>&1
cs_req GET "$CON" /v1/session "$cs_off_tok"
expect test_operator_passwd_ends_sessions eval 'is_problem 401 && [ "$(cs_db "SELECT count(*) FROM audit_log WHERE action = '"'operator.passwd'"'")" = 1 ]'

expect test_console_no_password_or_token_in_log eval '! grep -qF "$cs_pw" "$work/jpkid.log" && ! grep -qF "$cs_adm_tok" "$work/jpkid.log" &&
	! grep -qF "$cs_adm_csrf" "$work/jpkid.log" && ! grep -qF "$cs_view_tok" "$work/jpkid.log" && grep -q "route=session_create" "$work/jpkid.log"'

# ---------------------------------------------------------------- failures (test-clock jpkid)
cs_clock=$work/cs-clock
CS_T=$(( ($(date +%s) / 30) * 30 + 300 ))	# the start of a 30 s step
cs_at() { CS_T=$((CS_T + $1)); echo "$CS_T" > "$cs_clock"; }
cs_at 0
cs_code() { oathtool --totp -b "$1" --now "@$CS_T"; }
jpki_psql "$pg" postgres -c "CREATE DATABASE jpkid_cs OWNER jpkid" >/dev/null
cs_ci="host=$pg port=$(cat "$pg/port") user=postgres dbname=jpkid_cs"
# Ports away from the other sections' (and other runs') second daemons.
cs_api=$(jpki_free_port $((api_port + 300 + RANDOM % 400)))
cs_st=$(jpki_free_port $((cs_api + 1)))
cs_con=$(jpki_free_port $((cs_st + 1)))
jpki_write_config "$work/cs.conf" "$ca" "$cs_ci" "$cs_api" "$cs_st" "$cs_con"
printf '\n[console]\nsession_idle = 60\nsession_absolute = 300\n[operators]\nargon2_memory_kib = 1024\nargon2_iterations = 1\nlock_after = 3\nlock_seconds = 600\ndelay_ms = 1000\naddress_lock_after = 8\n[notices]\nenabled = false\n' >> "$work/cs.conf"
JPKID_TEST_CLOCK=@$cs_clock start_jpkid "$work/cs.conf" "$work/jpkid-cs.log"
cs_pid=$JPKID_PID
TC=https://127.0.0.1:$cs_con
expect test_console_test_clock_daemon_ready wait_ready "http://127.0.0.1:$cs_st" 30
for u in t-off:officer t-view:viewer t-dis:viewer t-nof:officer; do
	"$jpkictl" operator add "${u%%:*}" --role "${u#*:}" --password-file "$work/cs-pw" -c "$work/cs.conf" >/dev/null 2>&1
done
"$jpkictl" operator totp t-off -c "$work/cs.conf" > "$work/t-off.uri" 2>/dev/null
t_secret=$(cs_secret "$work/t-off.uri")
"$jpkictl" operator disable t-dis -c "$work/cs.conf" >/dev/null 2>&1
tc_db() { jpki_psql "$pg" jpkid_cs -tAc "$1"; }

t_code=$(cs_code "$t_secret")
cs_login "$TC" t-off "$t_code"
expect test_login_officer_with_totp_201 eval '[ "$STATUS" = 201 ] && conforms POST /v1/session && jq_eq .operator.role officer &&
	jq_eq .expires_at "$(date -u -d "@$((CS_T + 300))" +%Y-%m-%dT%H:%M:%SZ)" && jq_eq .idle_timeout_seconds 60'
cs_login "$TC" t-off "$t_code"
expect test_login_replayed_totp_401 eval 'is_problem 401 && conforms POST /v1/session && jq_eq .type urn:jpkid:problem:login-failed'
generic=$(cs_jv .detail)
cs_login "$TC" t-off "$t_code"
expect test_login_too_soon_429_retry_after eval 'is_problem 429 && conforms POST /v1/session && [ "$(header Retry-After)" = 1 ]'
cs_at 2
cs_login "$TC" t-off "$(cs_code "$t_secret")" 'wrong horse 42'
expect test_login_wrong_password_401 eval 'is_problem 401 && jq_eq .detail "$generic"'
cs_login "$TC" t-off "$(cs_code "$t_secret")"
expect test_login_delay_grows_429 eval 'is_problem 429 && [ "$(header Retry-After)" = 2 ]'
cs_at 3
bad=$(oathtool --totp -b "$t_secret" --now "@$((CS_T + 3600))")
cs_login "$TC" t-off "$bad"
expect test_login_wrong_totp_401 eval 'is_problem 401 && jq_eq .detail "$generic"'
expect test_login_failures_audited eval '[ "$(tc_db "SELECT count(*) FROM audit_log WHERE action = '"'session.login_failed'"' AND actor = '"'anonymous:0'"'")" = 3 ] &&
	[ "$(tc_db "SELECT string_agg(detail->>'"'reason'"', '"','"' ORDER BY seq) FROM audit_log WHERE action = '"'session.login_failed'"'")" = "totp,password,totp" ] &&
	[ "$(tc_db "SELECT count(*) FROM audit_log WHERE detail::text LIKE '"'%horse%'"'")" = 0 ]'
cs_at 30
cs_login "$TC" t-off "$(cs_code "$t_secret")"
expect test_login_lockout_after_lock_after_423 eval 'is_problem 423 && conforms POST /v1/session && jq_eq .type urn:jpkid:problem:account-locked &&
	ra=$(header Retry-After) && [ "$ra" -gt 500 ] && [ "$ra" -le 600 ] &&
	[ "$(tc_db "SELECT count(*) FROM audit_log WHERE action = '"'session.locked'"'")" = 1 ]'
JPKID_TEST_CLOCK=@$cs_clock "$jpkictl" operator list -c "$work/cs.conf" > "$work/t-list.out" 2>&1
expect test_operator_list_shows_lock eval 'grep -Eq "^[0-9]+ +t-off +officer +yes +yes +[0-9T:Z-]+ +$(date -u -d "@$((CS_T - 30 + 600))" +%Y-%m-%dT%H:%M:%SZ)$" "$work/t-list.out"'
"$jpkictl" operator unlock t-off -c "$work/cs.conf" >/dev/null 2>&1
rc_unlock=$?
cs_at 30
cs_login "$TC" t-off "$(cs_code "$t_secret")"
expect test_login_after_unlock_201 eval '[ $rc_unlock = 0 ] && [ "$STATUS" = 201 ] &&
	[ "$(tc_db "SELECT failed_logins || '"','"' || (locked_until IS NULL) FROM operators WHERE username = '"'t-off'"'")" = "0,true" ] &&
	[ "$(tc_db "SELECT count(*) FROM login_addresses")" = 0 ]'
cs_at 30
cs_login "$TC" t-nobody "" "$cs_pw"
expect test_login_unknown_user_same_401 eval 'is_problem 401 && jq_eq .detail "$generic"'
cs_at 30
cs_login "$TC" t-dis
expect test_login_disabled_account_same_401 eval 'is_problem 401 && jq_eq .detail "$generic"'
cs_at 30
cs_login "$TC" t-nof
expect test_login_officer_without_totp_enrolled_401 eval 'is_problem 401 && jq_eq .type urn:jpkid:problem:login-failed && cs_jv .detail | grep -q "has none enrolled"'
cs_at 30
cs_login "$TC" t-nof "" 'wrong horse 42'
expect test_login_officer_without_totp_wrong_password_generic eval 'is_problem 401 && jq_eq .detail "$generic"'
cs_at 60
cs_login "$TC" t-off
expect test_login_officer_without_code_401 eval 'is_problem 401 && jq_eq .detail "$generic"'

# Idle and absolute expiry.
cs_at 300
cs_login "$TC" t-view
t_tok=$CS_TOK
expect test_login_viewer_without_totp_201 eval '[ -n "$t_tok" ] && jq_eq .operator.role viewer'
cs_at 59
cs_req GET "$TC" /v1/session "$t_tok"
s1=$STATUS
cs_at 59
cs_req GET "$TC" /v1/session "$t_tok"
s2=$STATUS
cs_at 61
cs_req GET "$TC" /v1/session "$t_tok"
expect test_session_idle_timeout_401 eval '[ "$s1" = 200 ] && [ "$s2" = 200 ] && is_problem 401 && jq_eq .type urn:jpkid:problem:session-expired &&
	[ "$(tc_db "SELECT count(*) FROM operator_sessions WHERE token_hash = sha256('"'$t_tok'"'::bytea)")" = 0 ]'
cs_login "$TC" t-view
t_tok=$CS_TOK
ok_all=1
for i in 1 2 3 4 5; do
	cs_at 50
	cs_req GET "$TC" /v1/session "$t_tok"
	[ "$STATUS" = 200 ] || ok_all=0
done
cs_at 51
cs_req GET "$TC" /v1/session "$t_tok"
expect test_session_absolute_timeout_401 eval '[ $ok_all = 1 ] && is_problem 401 && jq_eq .type urn:jpkid:problem:session-expired'

# Address lock: address_lock_after failures from one address, any username.
for i in 1 2 3 4 5 6 7 8; do
	cs_at 700
	cs_login "$TC" "t-guess$i"
done
cs_at 5
cs_login "$TC" t-view
expect test_login_address_lock_429 eval 'is_problem 429 && ra=$(header Retry-After) && [ "$ra" -gt 500 ] &&
	[ "$(tc_db "SELECT count(*) FROM audit_log WHERE action = '"'session.locked'"' AND object = '"'address:127.0.0.1'"'")" = 1 ]'
expect test_login_no_password_or_code_in_test_clock_log eval '! grep -qF "$cs_pw" "$work/jpkid-cs.log" && ! grep -qF "$t_tok" "$work/jpkid-cs.log"'
kill -TERM "$cs_pid"
wait "$cs_pid"
