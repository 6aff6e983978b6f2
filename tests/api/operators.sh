# Section "operators" of tests/api/run.sh: the operator management API
# (issue 11): terminals, register feeds and kiosks enrolled from PEM
# certificates, operator accounts, the certificate search, one application,
# the paged relying-party list. As the dev CA's `operator` (an admin).
# Residents 13101680001-13101689999. Ends with section "roles" (the role
# matrix) unless that section was asked for by name.

mkdir -p "$work/op"
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > "$work/op/ext.cnf"
op_mint() {	# op_mint NAME CN: a client certificate of the dev client CA
	openssl req -new -newkey rsa:2048 -nodes -keyout "$work/op/$1.key" -out "$work/op/$1.csr" \
		-subj "/C=JP/O=jpkid test/CN=$2" 2>/dev/null &&
	openssl x509 -req -in "$work/op/$1.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
		-CAcreateserial -days 30 -extfile "$work/op/ext.cnf" -out "$work/op/$1.crt" 2>/dev/null
}
op_tls() { echo --cacert "$ca/client-ca.crt" --cert "$work/op/$1.crt" --key "$work/op/$1.key"; }
op_pem() { $PY -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
op_der_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
op_send() {	# op_send METHOD PATH [JSON]: as the admin operator (dev CA certificate)
	# shellcheck disable=SC2046
	call "$1" "$API$2" $(tls operator) -H 'Content-Type: application/json' ${3:+--data-binary "$3"}
}
op_audit() {	# op_audit ACTION OBJECT: audit rows of that action on that object
	st_db "SELECT count(*) FROM audit_log WHERE action = '$1' AND object = '$2'"
}
# op_walk PATH: follow next_cursor with limit=2; prints the ids (or serials) in order.
op_walk() {
	local path=$1 cursor= sep key=${2:-id} n=0
	case $path in *\?*) sep='&' ;; *) sep='?' ;; esac
	: > "$work/op/walk"
	while :; do
		# shellcheck disable=SC2046
		call GET "$API$path${sep}limit=2${cursor:+&cursor=$cursor}" $(tls operator)
		[ "$STATUS" = 200 ] || { echo "# walk: $STATUS" >&2; return 1; }
		$PY -c 'import json,sys; [print(i[sys.argv[2]]) for i in json.load(open(sys.argv[1]))["items"]]' \
			"$work/body" "$key" >> "$work/op/walk"
		cursor=$(st_jv .next_cursor)
		[ -n "$cursor" ] || break
		n=$((n + 1))
		[ $n -lt 5000 ] || return 1
	done
	cat "$work/op/walk"
}
op_all() {	# op_all PATH [KEY]: every id, 500 at a time
	local path=$1 sep cursor= n=0
	case $path in *\?*) sep='&' ;; *) sep='?' ;; esac
	while :; do
		# shellcheck disable=SC2046
		call GET "$API$path${sep}limit=500${cursor:+&cursor=$cursor}" $(tls operator)
		[ "$STATUS" = 200 ] || return 1
		$PY -c 'import json,sys; [print(i[sys.argv[2]]) for i in json.load(open(sys.argv[1]))["items"]]' \
			"$work/body" "${2:-id}"
		cursor=$(st_jv .next_cursor)
		[ -n "$cursor" ] || break
		n=$((n + 1))
		[ $n -lt 100 ] || return 1
	done
}
# The list walked 2 at a time equals the full list: every item exactly once, same order.
op_paging_ok() {
	local walked all
	walked=$(op_walk "$1" "${2:-id}") || return 1
	all=$(op_all "$1" "${2:-id}")
	[ -n "$all" ] && [ "$walked" = "$all" ] &&
		[ "$(printf '%s\n' "$walked" | sort | uniq -d | wc -l)" = 0 ] &&
		[ "$(printf '%s\n' "$all" | wc -l)" -ge 3 ] ||
		{ echo "# walked: $(echo $walked) all: $(echo $all)" >&2; return 1; }
}

# ---------------------------------------------------------------- terminals
op_mint t1 "terminal-131016-enrolled"
op_mint t2 "terminal-131016-enrolled-2"
op_mint f1 "feed-enrolled"
op_mint k1 "kiosk-enrolled"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/op/alien.key" -out "$work/op/alien.crt" \
	-days 30 -subj "/C=JP/O=Not jpkid/CN=alien" -addext extendedKeyUsage=clientAuth 2>/dev/null
T1_PEM=$(op_pem "$work/op/t1.crt")

# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(op_tls t1)
expect test_mgmt_unenrolled_terminal_401 is_problem 401
op_send POST /v1/terminals "{\"name\":\"窓口 enrolled\",\"municipality_code\":\"131016\",\"window_code\":\"W7\",\"certificate\":$T1_PEM}"
T1=$(st_jv .id)
expect test_mgmt_terminal_create_201 eval '[ "$STATUS" = 201 ] && conforms POST /v1/terminals &&
	jq_eq .municipality 131016 && jq_eq .window_code W7 && jq_eq .enabled true && jq_eq .last_seen_at null &&
	jq_eq .cert_sha256 "$(op_der_sha256 "$work/op/t1.crt")" && [ "$(header Location)" = "/v1/terminals/$T1" ]'
expect test_mgmt_terminal_create_audited eval '[ "$(op_audit terminal.create "terminal:$T1")" = 1 ] &&
	[ "$(st_db "SELECT detail->>'\''cert_sha256'\'' FROM audit_log WHERE action = '\''terminal.create'\'' AND object = '\''terminal:$T1'\''")" = "$(op_der_sha256 "$work/op/t1.crt")" ]'
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(op_tls t1)
expect test_mgmt_enrolled_terminal_calls_municipality_200 eval '[ "$STATUS" = 200 ] && jq_eq .code 131016'
expect test_mgmt_last_seen_at_set_after_authentication eval '[ -n "$(st_db "SELECT last_seen_at FROM terminals WHERE id = $T1")" ]'
T1_SEEN=$(st_db "SELECT last_seen_at FROM terminals WHERE id = $T1")
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(op_tls t1)
expect test_mgmt_last_seen_at_written_at_most_once_a_minute eval '[ "$STATUS" = 200 ] && [ "$(st_db "SELECT last_seen_at FROM terminals WHERE id = $T1")" = "$T1_SEEN" ]'
st_db "UPDATE terminals SET last_seen_at = now() - interval '2 minutes' WHERE id = $T1" >/dev/null
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(op_tls t1)
expect test_mgmt_last_seen_at_refreshed_after_a_minute eval '[ "$(st_db "SELECT last_seen_at > now() - interval '\''30 seconds'\'' FROM terminals WHERE id = $T1")" = t ]'
op_send GET "/v1/terminals/$T1"
expect test_mgmt_terminal_get_200_with_last_seen eval '[ "$STATUS" = 200 ] && conforms GET /v1/terminals/1 && jq_eq .id "$T1" && [ "$(st_jv .last_seen_at)" != "" ]'

op_send POST /v1/terminals "{\"name\":\"again\",\"municipality_code\":\"131016\",\"certificate\":$T1_PEM}"
expect test_mgmt_terminal_same_certificate_409 eval 'is_problem 409 && conforms POST /v1/terminals && [ -n "$(st_jv .fields.certificate)" ]'
op_send POST /v1/kiosks "{\"name\":\"kiosk with a terminal cert\",\"certificate\":$T1_PEM}"
expect test_mgmt_certificate_of_another_kind_409 eval 'is_problem 409 && conforms POST /v1/kiosks && [ "$(st_db "SELECT count(*) FROM kiosks WHERE name = '\''kiosk with a terminal cert'\''")" = 0 ]'
op_send POST /v1/register-feeds "{\"name\":\"dev CA terminal\",\"certificate\":$(op_pem "$ca/$term_a.crt")}"
expect test_mgmt_manifest_certificate_409 is_problem 409
op_send POST /v1/terminals "{\"name\":\"alien\",\"municipality_code\":\"131016\",\"certificate\":$(op_pem "$work/op/alien.crt")}"
expect test_mgmt_pem_not_from_client_ca_422 eval 'is_problem 422 && conforms POST /v1/terminals && [ -n "$(st_jv .fields.certificate)" ] && [ "$(st_db "SELECT count(*) FROM terminals WHERE name = '\''alien'\''")" = 0 ]'
op_send POST /v1/terminals '{"name":"","municipality_code":"13101","window_code":"W-1","certificate":"not a pem","colour":"red"}'
expect test_mgmt_terminal_invalid_fields_422_all_named eval 'is_problem 422 && conforms POST /v1/terminals &&
	[ -n "$(st_jv .fields.name)" ] && [ -n "$(st_jv .fields.municipality_code)" ] && [ -n "$(st_jv .fields.window_code)" ] &&
	[ -n "$(st_jv .fields.certificate)" ] && [ -n "$(st_jv .fields.colour)" ]'
op_send POST /v1/terminals "{\"name\":\"nowhere\",\"municipality_code\":\"999999\",\"certificate\":$(op_pem "$work/op/t2.crt")}"
expect test_mgmt_terminal_unknown_municipality_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.municipality_code)" ]'
op_send POST /v1/terminals '[1,2]'
expect test_mgmt_terminal_body_not_object_400 eval 'is_problem 400 && conforms POST /v1/terminals'
op_send POST /v1/terminals "{\"name\":\"second\",\"municipality_code\":\"131016\",\"certificate\":$(op_pem "$work/op/t2.crt")}"
T2=$(st_jv .id)
expect test_mgmt_terminal_without_window_201 eval '[ "$STATUS" = 201 ] && jq_eq .window_code null'

op_send GET /v1/terminals/999999999
expect test_mgmt_terminal_get_unknown_404 eval 'is_problem 404 && conforms GET /v1/terminals/1'
op_send GET /v1/terminals/abc
expect test_mgmt_terminal_get_bad_id_404 is_problem 404

# Disable takes effect on the next request; enable again.
op_send PATCH "/v1/terminals/$T1" '{"enabled":false}'
expect test_mgmt_terminal_disable_200 eval '[ "$STATUS" = 200 ] && conforms PATCH /v1/terminals/1 && jq_eq .enabled false'
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(op_tls t1)
expect test_mgmt_disabled_terminal_401_on_next_request is_problem 401
op_send PATCH "/v1/terminals/$T1" '{"enabled":true,"name":"窓口 renamed","window_code":null}'
expect test_mgmt_terminal_enable_rename_200 eval '[ "$STATUS" = 200 ] && jq_eq .enabled true && jq_eq .name "窓口 renamed" && jq_eq .window_code null'
# shellcheck disable=SC2046
call GET "$API/v1/municipality" $(op_tls t1)
expect test_mgmt_enabled_terminal_200_again eval '[ "$STATUS" = 200 ]'
expect test_mgmt_terminal_changes_audited eval '[ "$(op_audit terminal.update "terminal:$T1")" = 2 ] &&
	[ "$(st_db "SELECT detail->'\''changed'\'' FROM audit_log WHERE action = '\''terminal.update'\'' AND object = '\''terminal:$T1'\'' ORDER BY seq LIMIT 1")" = "[\"enabled\"]" ]'
op_send PATCH "/v1/terminals/$T1" '{}'
expect test_mgmt_terminal_patch_nothing_422 eval 'is_problem 422 && conforms PATCH /v1/terminals/1'
op_send PATCH "/v1/terminals/$T1" '{"enabled":"no","municipality_code":"141003"}'
expect test_mgmt_terminal_patch_invalid_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.enabled)" ] && [ -n "$(st_jv .fields.municipality_code)" ]'
op_send PATCH /v1/terminals/999999999 '{"enabled":false}'
expect test_mgmt_terminal_patch_unknown_404 eval 'is_problem 404 && conforms PATCH /v1/terminals/1'

op_send GET '/v1/terminals?municipality=131016'
expect test_mgmt_terminal_list_municipality_filter eval '[ "$STATUS" = 200 ] && conforms GET /v1/terminals &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not (d and all(i[\"municipality\"] == \"131016\" for i in d) and $T1 in [i[\"id\"] for i in d]))" "$work/body"'
op_send PATCH "/v1/terminals/$T2" '{"enabled":false}'
op_send GET '/v1/terminals?enabled=false'
expect test_mgmt_terminal_list_enabled_filter eval '[ "$STATUS" = 200 ] &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not ($T2 in [i[\"id\"] for i in d] and $T1 not in [i[\"id\"] for i in d] and not any(i[\"enabled\"] for i in d)))" "$work/body"'
op_send GET '/v1/terminals?enabled=maybe'
expect test_mgmt_terminal_list_bad_enabled_400 eval 'is_problem 400 && conforms GET /v1/terminals && [ -n "$(st_jv .fields.enabled)" ]'
op_send GET '/v1/terminals?municipality=13'
expect test_mgmt_terminal_list_bad_municipality_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.municipality)" ]'
op_send GET '/v1/terminals?limit=0'
expect test_mgmt_list_limit_0_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.limit)" ]'
op_send GET '/v1/terminals?cursor=***'
expect test_mgmt_list_bad_cursor_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.cursor)" ]'
expect test_mgmt_terminal_paging_walks_every_item_once op_paging_ok /v1/terminals

# ---------------------------------------------------------------- register feeds, kiosks
op_send POST /v1/register-feeds "{\"name\":\"住基 feed 2\",\"certificate\":$(op_pem "$work/op/f1.crt")}"
F1=$(st_jv .id)
expect test_mgmt_register_feed_create_201 eval '[ "$STATUS" = 201 ] && conforms POST /v1/register-feeds && [ "$(op_audit register_feed.create "register_feed:$F1")" = 1 ]'
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(op_tls f1)
expect test_mgmt_enrolled_feed_is_a_register_feed eval '[ "$STATUS" = 200 ] && jq_eq .kind register_feed && jq_eq .id "$F1"'
op_send PATCH "/v1/register-feeds/$F1" '{"enabled":false}'
expect test_mgmt_register_feed_disable_200 eval '[ "$STATUS" = 200 ] && conforms PATCH /v1/register-feeds/1 && jq_eq .enabled false'
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(op_tls f1)
expect test_mgmt_disabled_feed_401 is_problem 401
op_send PATCH "/v1/register-feeds/$F1" '{"window_code":"X"}'
expect test_mgmt_register_feed_has_no_window_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.window_code)" ]'
op_send GET "/v1/register-feeds/$F1"
expect test_mgmt_register_feed_get_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/register-feeds/1 && jq_eq .enabled false'
op_send GET /v1/register-feeds
expect test_mgmt_register_feed_list_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/register-feeds && jq_eq .next_cursor null'
op_send GET /v1/register-feeds/999999999
expect test_mgmt_register_feed_unknown_404 is_problem 404

op_send POST /v1/kiosks "{\"name\":\"コンビニ kiosk 9\",\"auth_pin_reset\":true,\"certificate\":$(op_pem "$work/op/k1.crt")}"
K1=$(st_jv .id)
expect test_mgmt_kiosk_create_201 eval '[ "$STATUS" = 201 ] && conforms POST /v1/kiosks && jq_eq .auth_pin_reset true && [ "$(op_audit kiosk.create "kiosk:$K1")" = 1 ]'
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(op_tls k1)
expect test_mgmt_enrolled_kiosk_is_a_kiosk eval '[ "$STATUS" = 200 ] && jq_eq .kind kiosk'
op_send PATCH "/v1/kiosks/$K1" '{"auth_pin_reset":false}'
expect test_mgmt_kiosk_patch_auth_pin_reset eval '[ "$STATUS" = 200 ] && conforms PATCH /v1/kiosks/1 && jq_eq .auth_pin_reset false &&
	[ "$(st_db "SELECT auth_pin_reset FROM kiosks WHERE id = $K1")" = f ]'
op_send GET "/v1/kiosks/$K1"
expect test_mgmt_kiosk_get_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/kiosks/1'
op_send GET '/v1/kiosks?enabled=true'
expect test_mgmt_kiosk_list_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/kiosks &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not (d and all(i[\"enabled\"] for i in d)))" "$work/body"'
op_send POST /v1/kiosks '{"name":"k","auth_pin_reset":"yes"}'
expect test_mgmt_kiosk_invalid_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.auth_pin_reset)" ] && [ -n "$(st_jv .fields.certificate)" ]'
# shellcheck disable=SC2046
call GET "$API/v1/terminals" $(tls "$term_a")
expect test_mgmt_terminal_may_not_list_terminals_403 eval 'is_problem 403 && conforms GET /v1/terminals'

# ---------------------------------------------------------------- operators
OP_PW='correct horse battery staple 7'
op_send POST /v1/operators "{\"username\":\"alice\",\"role\":\"viewer\",\"display_name\":\"Alice 監査\",\"password\":\"$OP_PW\"}"
OP_A=$(st_jv .id)
expect test_mgmt_operator_create_201 eval '[ "$STATUS" = 201 ] && conforms POST /v1/operators && jq_eq .username alice &&
	jq_eq .role viewer && jq_eq .has_password true && jq_eq .second_factor false && jq_eq .has_certificate false &&
	[ "$(header Location)" = "/v1/operators/$OP_A" ]'
expect test_mgmt_operator_password_kept_as_argon2id eval '[ "$(st_db "SELECT password_hash LIKE '\''\$argon2id\$%'\'' FROM operators WHERE id = $OP_A")" = t ]'
expect test_mgmt_operator_password_never_logged_or_audited eval '! grep -q "$OP_PW" "$work/jpkid.log" &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE detail::text LIKE '\''%battery staple%'\''")" = 0 ] &&
	[ "$(op_audit operator.create "operator:$OP_A")" = 1 ] && ! grep -q "$OP_PW" "$work/body"'
op_send POST /v1/operators "{\"username\":\"alice\",\"role\":\"officer\",\"password\":\"$OP_PW\"}"
expect test_mgmt_operator_duplicate_username_409 eval 'is_problem 409 && conforms POST /v1/operators && [ -n "$(st_jv .fields.username)" ]'
op_send POST /v1/operators '{"username":"bob","role":"viewer","password":"short"}'
expect test_mgmt_operator_weak_password_422 eval 'is_problem 422 && conforms POST /v1/operators && [ -n "$(st_jv .fields.password)" ] &&
	[ "$(st_db "SELECT count(*) FROM operators WHERE username = '\''bob'\''")" = 0 ]'
op_send POST /v1/operators "{\"username\":\"Bob!\",\"role\":\"boss\",\"password\":\"$OP_PW\",\"pin\":1}"
expect test_mgmt_operator_invalid_fields_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.username)" ] && [ -n "$(st_jv .fields.role)" ] && [ -n "$(st_jv .fields.pin)" ]'
op_send POST /v1/operators "{\"username\":\"carol\",\"role\":\"officer\",\"password\":\"$OP_PW\"}"
OP_C=$(st_jv .id)
op_send POST /v1/operators "{\"username\":\"dave\",\"role\":\"admin\",\"password\":\"$OP_PW\"}"
OP_D=$(st_jv .id)
expect test_mgmt_operators_created eval '[ -n "$OP_C" ] && [ -n "$OP_D" ]'

op_send GET "/v1/operators/$OP_A"
expect test_mgmt_operator_get_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/operators/1 && jq_eq .display_name "Alice 監査" && ! grep -q argon2 "$work/body"'
op_send GET /v1/operators/999999999
expect test_mgmt_operator_get_unknown_404 eval 'is_problem 404 && conforms GET /v1/operators/1'
op_send GET '/v1/operators?role=officer'
expect test_mgmt_operator_list_role_filter eval '[ "$STATUS" = 200 ] && conforms GET /v1/operators &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not (d and all(i[\"role\"] == \"officer\" for i in d) and $OP_C in [i[\"id\"] for i in d]))" "$work/body"'
op_send GET '/v1/operators?role=boss'
expect test_mgmt_operator_list_bad_role_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.role)" ]'
expect test_mgmt_operator_paging_walks_every_item_once op_paging_ok /v1/operators

op_send PATCH "/v1/operators/$OP_A" '{"role":"officer","display_name":"Alice"}'
expect test_mgmt_operator_change_role_200 eval '[ "$STATUS" = 200 ] && conforms PATCH /v1/operators/1 && jq_eq .role officer &&
	[ "$(op_audit operator.update "operator:$OP_A")" = 1 ]'
op_send PATCH "/v1/operators/$OP_A" '{"role":"root"}'
expect test_mgmt_operator_bad_role_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.role)" ]'
op_send PATCH /v1/operators/999999999 '{"enabled":false}'
expect test_mgmt_operator_patch_unknown_404 is_problem 404

# Never zero enabled admins. dave may be disabled while the dev CA operator
# is an admin; then (other sections' admins set aside) it is the last one.
OP_ME=$(st_db "SELECT id FROM operators WHERE cert_sha256 = decode('$(op_der_sha256 "$ca/operator.crt")', 'hex')")
op_send PATCH "/v1/operators/$OP_D" '{"enabled":false}'
expect test_mgmt_operator_disable_other_admin_200 eval '[ "$STATUS" = 200 ] && jq_eq .enabled false'
OP_OTHERS=$(st_db "WITH u AS (UPDATE operators SET enabled = false WHERE role = 'admin' AND enabled AND id <> $OP_ME RETURNING id) SELECT id FROM u" | paste -sd, -)
op_send PATCH "/v1/operators/$OP_ME" '{"role":"viewer"}'
expect test_mgmt_last_admin_demote_409 eval 'is_problem 409 && conforms PATCH /v1/operators/1 && [ "$(st_db "SELECT role FROM operators WHERE id = $OP_ME")" = admin ]'
op_send PATCH "/v1/operators/$OP_ME" '{"enabled":false}'
expect test_mgmt_last_admin_disable_409 eval 'is_problem 409 && [ "$(st_db "SELECT enabled FROM operators WHERE id = $OP_ME")" = t ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '\''operator.update'\'' AND object = '\''operator:$OP_ME'\''")" = 0 ]'
[ -z "$OP_OTHERS" ] || st_db "UPDATE operators SET enabled = true WHERE id IN ($OP_OTHERS)" >/dev/null
# Disabling ends the operator's sessions.
st_db "INSERT INTO operator_sessions (token_hash, operator_id, csrf_hash, expires_at)
	VALUES (sha256('op-c-session'), $OP_C, sha256('op-c-csrf'), now() + interval '1 hour')" >/dev/null
op_send PATCH "/v1/operators/$OP_C" '{"enabled":false}'
expect test_mgmt_operator_disable_ends_sessions eval '[ "$STATUS" = 200 ] && jq_eq .enabled false &&
	[ "$(st_db "SELECT count(*) FROM operator_sessions WHERE operator_id = $OP_C")" = 0 ]'
op_send GET '/v1/operators?enabled=false'
expect test_mgmt_operator_list_enabled_filter eval '[ "$STATUS" = 200 ] &&
	$PY -c "import json,sys; d=[i[\"id\"] for i in json.load(open(sys.argv[1]))[\"items\"]]; sys.exit(not ($OP_C in d and $OP_D in d and $OP_A not in d))" "$work/body"'

# A new second factor: shown once, the old one and the sessions end.
st_db "INSERT INTO operator_sessions (token_hash, operator_id, csrf_hash, expires_at)
	VALUES (sha256('op-a-session'), $OP_A, sha256('op-a-csrf'), now() + interval '1 hour')" >/dev/null
op_send POST "/v1/operators/$OP_A/totp"
TOTP1=$(st_jv .secret)
expect test_mgmt_operator_totp_201_shown_once eval '[ "$STATUS" = 201 ] && conforms POST /v1/operators/1/totp &&
	[ ${#TOTP1} = 32 ] && case $(st_jv .otpauth_uri) in otpauth://totp/jpkid%3Aalice\?secret=$TOTP1\&*issuer=jpkid*) true ;; *) false ;; esac'
expect test_mgmt_operator_totp_stored_sessions_ended eval '[ "$(st_db "SELECT octet_length(totp_secret) FROM operators WHERE id = $OP_A")" = 20 ] &&
	[ "$(st_db "SELECT count(*) FROM operator_sessions WHERE operator_id = $OP_A")" = 0 ] &&
	[ "$(op_audit operator.totp_reset "operator:$OP_A")" = 1 ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE detail::text LIKE '\''%$TOTP1%'\''")" = 0 ] && ! grep -q "$TOTP1" "$work/jpkid.log"'
OLD_SECRET=$(st_db "SELECT encode(totp_secret, 'hex') FROM operators WHERE id = $OP_A")
op_send POST "/v1/operators/$OP_A/totp"
expect test_mgmt_operator_totp_replaces_the_old_secret eval '[ "$STATUS" = 201 ] && [ "$(st_jv .secret)" != "$TOTP1" ] &&
	[ "$(st_db "SELECT encode(totp_secret, '\''hex'\'') FROM operators WHERE id = $OP_A")" != "$OLD_SECRET" ] &&
	[ "$(st_db "SELECT totp_last_step FROM operators WHERE id = $OP_A")" = -1 ]'
op_send GET "/v1/operators/$OP_A"
expect test_mgmt_operator_second_factor_shown eval '[ "$STATUS" = 200 ] && jq_eq .second_factor true && ! grep -q "$TOTP1" "$work/body"'
op_send POST /v1/operators/999999999/totp
expect test_mgmt_operator_totp_unknown_404 eval 'is_problem 404 && conforms POST /v1/operators/1/totp'

# ---------------------------------------------------------------- certificates
st_resident 13101680001 131016 && st_issue 13101680001
OPC_SIGN=$ST_SIGN OPC_AUTH=$ST_AUTH
st_resident 13101680002 131016 && st_issue 13101680002 '["auth"]'
OPC_APP=$(st_db "SELECT application_id FROM certificates WHERE serial = decode('$OPC_AUTH', 'hex')")
AUDIT_BEFORE=$(st_db "SELECT count(*) FROM audit_log WHERE action = 'certificate.search'")
op_send GET '/v1/certificates?resident_code=13101680001'
expect test_mgmt_certificate_search_by_resident eval '[ "$STATUS" = 200 ] && conforms GET /v1/certificates &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not (sorted(i[\"serial\"] for i in d) == sorted([\"$OPC_SIGN\", \"$OPC_AUTH\"]) and all(i[\"application_id\"] == \"$OPC_APP\" and i[\"municipality\"] == \"131016\" for i in d) and [i[\"issued_at\"] for i in d] == sorted([i[\"issued_at\"] for i in d], reverse=True)))" "$work/body" &&
	! grep -q "試験" "$work/body"'
expect test_mgmt_certificate_search_audited_with_filters_and_count eval '[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '\''certificate.search'\''")" = $((AUDIT_BEFORE + 1)) ] &&
	[ "$(st_db "SELECT detail->'\''filters'\''->>'\''resident_code'\'' || '\'' '\'' || (detail->>'\''count'\'') FROM audit_log WHERE action = '\''certificate.search'\'' ORDER BY seq DESC LIMIT 1")" = "13101680001 2" ]'
op_send GET "/v1/certificates?serial=$(echo "$OPC_AUTH" | tr a-f A-F)"
expect test_mgmt_certificate_search_by_serial eval '[ "$STATUS" = 200 ] && jq_eq .items.0.serial "$OPC_AUTH" && jq_eq .items.0.type auth && jq_eq .items.0.status valid && jq_eq .next_cursor null'
op_send GET '/v1/certificates?resident_code=13101680001&type=sign&status=valid'
expect test_mgmt_certificate_search_type_status eval '[ "$STATUS" = 200 ] && jq_eq .items.0.serial "$OPC_SIGN" && [ "$(st_jv .items.1)" = "" ]'
op_send GET '/v1/certificates?resident_code=13101680001&status=revoked'
expect test_mgmt_certificate_search_no_match_empty eval '[ "$STATUS" = 200 ] && jq_eq .items "[]" && jq_eq .next_cursor null'
for bad in resident_code=1310168 municipality=13 type=both status=held serial=xyz serial=abc; do
	op_send GET "/v1/certificates?$bad"
	expect "test_mgmt_certificate_search_bad_${bad%%=*}_${bad#*=}_400" eval 'is_problem 400 && conforms GET /v1/certificates && [ -n "$(st_jv ".fields.${bad%%=*}")" ]'
done
expect test_mgmt_certificate_paging_walks_every_item_once op_paging_ok '/v1/certificates?municipality=131016' serial
op_send GET '/v1/certificates?cursor=bm90LWEta2V5'
expect test_mgmt_certificate_search_bad_cursor_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.cursor)" ]'
# shellcheck disable=SC2046
call GET "$API/v1/certificates" $(tls "$term_a")
expect test_mgmt_certificate_search_terminal_403 eval 'is_problem 403 && conforms GET /v1/certificates'

# ---------------------------------------------------------------- one application
op_send GET "/v1/applications/$OPC_APP"
expect test_mgmt_application_get_operator_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/applications/x &&
	jq_eq .id "$OPC_APP" && jq_eq .state completed && jq_eq .municipality 131016 && jq_eq .evidence.documents.0.kind mynumber_card &&
	[ "$($PY -c "import json,sys; print(sorted(c[\"serial\"] for c in json.load(open(sys.argv[1]))[\"certificates\"]))" "$work/body")" = "$($PY -c "import sys; print(sorted(sys.argv[1:]))" "$OPC_SIGN" "$OPC_AUTH")" ] &&
	[ -n "$(st_jv .plan.sign.not_after)" ] && [ "$(op_audit application.read "application:$OPC_APP")" = 1 ]'
# shellcheck disable=SC2046
call GET "$API/v1/applications/$OPC_APP" $(tls "$term_a")
expect test_mgmt_application_get_own_terminal_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/applications/x && [ "$(op_audit application.read "application:$OPC_APP")" = 2 ]'
# shellcheck disable=SC2046
call GET "$API/v1/applications/$OPC_APP" $(tls "$term_b")
OPC_R1=$(st_jv .detail)
expect test_mgmt_r1_application_of_another_municipality_404 eval 'is_problem 404 && conforms GET /v1/applications/x &&
	[ "$(op_audit application.read_refused "application:$OPC_APP")" = 1 ] &&
	[ "$(st_db "SELECT detail->>'\''rule'\'' FROM audit_log WHERE action = '\''application.read_refused'\'' AND object = '\''application:$OPC_APP'\''")" = R1 ]'
OPC_NONE=00000000-0000-4000-8000-000000000000
# shellcheck disable=SC2046
call GET "$API/v1/applications/$OPC_NONE" $(tls "$term_b")
expect test_mgmt_r1_refusal_answers_like_an_unknown_id eval 'is_problem 404 && [ "$(st_jv .detail)" = "${OPC_R1/$OPC_APP/$OPC_NONE}" ]'
op_send GET /v1/applications/not-a-uuid
expect test_mgmt_application_get_bad_id_404 is_problem 404
# shellcheck disable=SC2046
call GET "$API/v1/applications/$OPC_APP" $(tls feed)
expect test_mgmt_application_get_feed_403 eval 'is_problem 403 && conforms GET /v1/applications/x'

# ---------------------------------------------------------------- relying parties, paged
op_send POST /v1/relying-parties '{"name":"paging rp 1","types":["sign"],"token":true}'
op_send POST /v1/relying-parties '{"name":"paging rp 2","types":["auth"],"token":true}'
op_send POST /v1/relying-parties '{"name":"paging rp 3","types":["auth"],"token":true}'
RP_OFF=$(st_jv .id)
op_send PATCH "/v1/relying-parties/$RP_OFF" '{"enabled":false}'
expect test_mgmt_rp_paging_walks_every_item_once op_paging_ok /v1/relying-parties
op_send GET '/v1/relying-parties?enabled=false'
expect test_mgmt_rp_list_enabled_filter eval '[ "$STATUS" = 200 ] && conforms GET /v1/relying-parties &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not (d and all(not i[\"enabled\"] for i in d) and $RP_OFF in [i[\"id\"] for i in d] and all(\"last_seen_at\" in i for i in d)))" "$work/body"'
op_send GET '/v1/relying-parties?enabled=1'
expect test_mgmt_rp_list_bad_enabled_400 eval 'is_problem 400 && conforms GET /v1/relying-parties'
# shellcheck disable=SC2046
call GET "$API/v1/whoami" $(tls rp)
op_send GET '/v1/relying-parties?limit=500'
expect test_mgmt_rp_last_seen_at_after_authentication eval '[ "$STATUS" = 200 ] &&
	$PY -c "import json,sys; d=json.load(open(sys.argv[1]))[\"items\"]; sys.exit(not any(i[\"last_seen_at\"] for i in d))" "$work/body"'
RP_CERT=$(st_db "SELECT id FROM relying_parties WHERE cert_sha256 = decode('$(op_der_sha256 "$ca/rp.crt")', 'hex')")
op_send GET "/v1/relying-parties/$RP_CERT"
expect test_mgmt_rp_get_has_last_seen_at eval '[ "$STATUS" = 200 ] && conforms GET /v1/relying-parties/1 && [ -n "$(st_jv .last_seen_at)" ]'

case " ${JPKI_API_SECTIONS:-} " in
*" roles "*) ;;
*) . "$top/tests/api/roles.sh" ;;
esac
