# Section "rp" of tests/api/run.sh: relying parties (R26). Registration by
# operators (roles), the token shown once, usage per day and type; then the
# gate of the status routes on a second jpkid with [status]
# require_relying_party = true. Resident codes 13101640001-13101649999.

rp_post() {	# rp_post JSON [curl args...]: POST /v1/relying-parties as the operator
	local body=$1
	shift
	# shellcheck disable=SC2046
	call POST "$API/v1/relying-parties" $(tls operator) -H 'Content-Type: application/json' \
		--data-binary "$body" "$@"
}
rp_patch() {	# rp_patch ID JSON [BASE]
	# shellcheck disable=SC2046
	call PATCH "${3:-$API}/v1/relying-parties/$1" $(tls operator) \
		-H 'Content-Type: application/json' --data-binary "$2"
}
rp_sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
rp_role() { st_db "UPDATE operators SET role = '$1'" >/dev/null; }
rp_today=$(TZ=Asia/Tokyo date +%F)

# ---------------------------------------------------------------- registration
rp_post '{"name":"署名検証者A","types":["sign"],"token":true}' -H 'Idempotency-Key: rp-a-1'
RP_A=$(st_jv .id)
TOK_A=$(st_jv .token)
expect test_r26_rp_create_201_token_shown_once eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/relying-parties && jq_eq .types "[\"sign\"]" && jq_eq .has_token true &&
	jq_eq .enabled true && jq_eq .certificate_sha256 null && [ ${#TOK_A} = 43 ] &&
	[ "$(header Location)" = "/v1/relying-parties/$RP_A" ]'
expect test_r26_rp_db_keeps_only_token_sha256 eval '
	[ "$(st_db "SELECT encode(token_hash, '\''hex'\'') FROM relying_parties WHERE id = $RP_A")" = "$(rp_sha256 "$TOK_A")" ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE detail::text LIKE '\''%$TOK_A%'\''")" = 0 ] &&
	[ "$(st_db "SELECT count(*) FROM idempotency WHERE convert_from(response, '\''UTF8'\'') LIKE '\''%$TOK_A%'\''")" = 0 ] &&
	[ "$(st_db "SELECT count(*) FROM idempotency WHERE key = '\''rp-a-1'\'' AND response IS NOT NULL")" = 1 ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '\''relying_party.create'\'' AND object = '\''relying_party:$RP_A'\''")" = 1 ]'
expect test_r26_rp_no_token_in_the_log eval '! grep -q -- "$TOK_A" "$work/jpkid.log"'
rp_post '{"name":"署名検証者A","types":["sign"],"token":true}' -H 'Idempotency-Key: rp-a-1'
expect test_rp_create_replay_same_id_without_token eval '[ "$STATUS" = 201 ] &&
	conforms POST /v1/relying-parties && jq_eq .id "$RP_A" && [ -z "$(st_jv .token)" ] &&
	[ "$(header Idempotent-Replayed)" = true ] &&
	[ "$(st_db "SELECT count(*) FROM relying_parties WHERE name = '\''署名検証者A'\''")" = 1 ]'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/$RP_A" $(tls operator)
expect test_rp_get_never_shows_the_token eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/relying-parties/1 && jq_eq .name 署名検証者A && ! grep -q "\"token\"" "$work/body"'

rp_post '{"name":"利用者証明検証者B","types":["sign","auth"],"token":true}'
RP_B=$(st_jv .id)
TOK_B=$(st_jv .token)
expect test_rp_create_both_types eval '[ "$STATUS" = 201 ] && jq_eq .types "[\"sign\", \"auth\"]" && [ "$TOK_B" != "$TOK_A" ] && [ ${#TOK_B} = 43 ]'

# By client certificate: one from our client CA, never enrolled yet.
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/rpc.key" -out "$work/rpc.csr" \
	-subj "/C=JP/O=Verifier C/CN=relying-party-c" 2>/dev/null
openssl x509 -req -in "$work/rpc.csr" -CA "$ca/client-ca.crt" -CAkey "$ca/client-ca.key" \
	-CAcreateserial -days 30 -extfile "$work/ext.cnf" -out "$work/rpc.crt" 2>/dev/null
rpc_sha=$(openssl x509 -in "$work/rpc.crt" -outform DER | sha256sum | cut -d' ' -f1)
rp_post "$($PY -c 'import json,sys; print(json.dumps({"name":"検証者C","types":["auth"],"certificate":open(sys.argv[1]).read()}))' "$work/rpc.crt")"
RP_C=$(st_jv .id)
expect test_rp_create_by_certificate eval '[ "$STATUS" = 201 ] && conforms POST /v1/relying-parties &&
	jq_eq .certificate_sha256 "$rpc_sha" && jq_eq .has_token false && [ -z "$(st_jv .token)" ]'
call GET "$API/v1/whoami" --cacert "$ca/client-ca.crt" --cert "$work/rpc.crt" --key "$work/rpc.key"
expect test_rp_registered_certificate_authenticates eval '[ "$STATUS" = 200 ] && jq_eq .kind relying_party'
rp_post "$($PY -c 'import json,sys; print(json.dumps({"name":"again","types":["sign"],"certificate":open(sys.argv[1]).read()}))' "$ca/$term_a.crt")"
expect test_rp_certificate_of_another_principal_409 eval 'is_problem 409 && conforms POST /v1/relying-parties'

rp_post '{"name":"x","types":["sign"]}'
expect test_rp_needs_certificate_or_token_422 eval 'is_problem 422 && conforms POST /v1/relying-parties && [ -n "$(st_jv .fields.token)" ]'
rp_post '{"name":"x","types":["sign","sign"],"token":true,"colour":"red"}'
expect test_rp_invalid_fields_422_all_at_once eval 'is_problem 422 && [ -n "$(st_jv .fields.types)" ] && [ -n "$(st_jv .fields.colour)" ]'
rp_post '{"name":"","types":[],"certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}'
expect test_rp_bad_name_types_certificate_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.name)" ] && [ -n "$(st_jv .fields.types)" ] && [ -n "$(st_jv .fields.certificate)" ]'

# ---------------------------------------------------------------- roles
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties" $(tls "$term_a")
expect test_rp_list_terminal_403 eval 'is_problem 403 && conforms GET /v1/relying-parties'
rp_role viewer
rp_post '{"name":"viewer may not","types":["sign"],"token":true}'
expect test_rp_create_needs_admin_403 eval 'is_problem 403 && conforms POST /v1/relying-parties && [ "$(st_db "SELECT count(*) FROM relying_parties WHERE name = '\''viewer may not'\''")" = 0 ]'
rp_patch "$RP_A" '{"enabled":false}'
expect test_rp_patch_needs_admin_403 eval 'is_problem 403 && conforms PATCH /v1/relying-parties/1 && [ "$(st_db "SELECT enabled FROM relying_parties WHERE id = $RP_A")" = t ]'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties" $(tls operator)
expect test_rp_list_viewer_200_without_tokens eval '[ "$STATUS" = 200 ] && conforms GET /v1/relying-parties &&
	[ "$($PY -c "import json; print(sorted(r[\"id\"] for r in json.load(open(\"$work/body\"))[\"items\"]))")" != "[]" ] &&
	grep -q "\"name\": *\"署名検証者A\"" "$work/body" && ! grep -q "\"token\"" "$work/body"'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/$RP_A/usage" $(tls operator)
expect test_rp_usage_viewer_200 eval '[ "$STATUS" = 200 ] && conforms GET /v1/relying-parties/1/usage && jq_eq .totals.all 0 && jq_eq .to "$rp_today"'
rp_role admin

# ---------------------------------------------------------------- changes
rp_patch "$RP_B" '{"name":"利用者証明検証者B2","rotate_token":true}'
TOK_B2=$(st_jv .token)
expect test_rp_patch_rotate_token_returns_new_token_once eval '[ "$STATUS" = 200 ] &&
	conforms PATCH /v1/relying-parties/1 && jq_eq .name 利用者証明検証者B2 && [ ${#TOK_B2} = 43 ] &&
	[ "$TOK_B2" != "$TOK_B" ] &&
	[ "$(st_db "SELECT encode(token_hash, '\''hex'\'') FROM relying_parties WHERE id = $RP_B")" = "$(rp_sha256 "$TOK_B2")" ] &&
	[ "$(st_db "SELECT count(*) FROM audit_log WHERE action = '\''relying_party.update'\'' AND object = '\''relying_party:$RP_B'\'' AND detail->>'\''token_issued'\'' = '\''true'\''")" = 1 ]'
TOK_B_OLD=$TOK_B
TOK_B=$TOK_B2
rp_patch 999999 '{"enabled":false}'
expect test_rp_patch_unknown_404 eval 'is_problem 404 && conforms PATCH /v1/relying-parties/1'
rp_patch "$RP_B" '{}'
expect test_rp_patch_nothing_422 eval 'is_problem 422 && conforms PATCH /v1/relying-parties/1'
rp_patch "$RP_B" '{"types":["walk"],"enabled":"no"}'
expect test_rp_patch_invalid_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.types)" ] && [ -n "$(st_jv .fields.enabled)" ]'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/abc" $(tls operator)
expect test_rp_get_bad_id_404 eval 'is_problem 404 && conforms GET /v1/relying-parties/1'

# ---------------------------------------------------------------- usage (from the table)
st_db "INSERT INTO relying_party_usage VALUES ($RP_B, '2026-01-10', 'sign', 5),
	($RP_B, '2026-01-10', 'auth', 2), ($RP_B, '2026-01-31', 'sign', 1),
	($RP_B, '2026-02-01', 'sign', 100)" >/dev/null
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/$RP_B/usage?from=2026-01-01&to=2026-01-31" $(tls operator)
expect test_rp_usage_per_day_and_type_with_totals eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/relying-parties/1/usage && jq_eq .totals.sign 6 && jq_eq .totals.auth 2 &&
	jq_eq .totals.all 8 && jq_eq .days.0.day 2026-01-10 && jq_eq .days.0.type auth &&
	jq_eq .days.0.checks 2 && jq_eq .days.2.day 2026-01-31 && jq_eq .from 2026-01-01'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/$RP_B/usage?from=2026-02-01&to=2026-01-01" $(tls operator)
expect test_rp_usage_to_before_from_422 eval 'is_problem 422 && conforms GET /v1/relying-parties/1/usage && [ -n "$(st_jv .fields.to)" ]'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/$RP_B/usage?from=2026-02-30" $(tls operator)
expect test_rp_usage_bad_date_422 eval 'is_problem 422 && [ -n "$(st_jv .fields.from)" ]'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/999999/usage" $(tls operator)
expect test_rp_usage_unknown_404 eval 'is_problem 404 && conforms GET /v1/relying-parties/1/usage'

# ---------------------------------------------------------------- the gate (require_relying_party)
# A second jpkid on the same database whose status listener serves only
# registered relying parties. CRLs are published by the main one.
st_resident 13101640001 131016
st_issue 13101640001
RP_SIGN=$ST_SIGN RP_AUTH=$ST_AUTH
for t in sign auth; do
	# shellcheck disable=SC2046
	call POST "$API/v1/crls/publish" $(tls operator) -H 'Content-Type: application/json' \
		--data-binary "{\"issuer\":\"$t\",\"municipality_code\":\"131016\"}"
done
expect test_rp_gate_setup_certificates_and_crls eval '[ -n "$RP_SIGN" ] && [ -n "$RP_AUTH" ] &&
	[ "$(st_db "SELECT count(DISTINCT issuer) FROM crls WHERE shard = '\''131016'\''")" = 2 ]'
rapi=$(jpki_free_port $((api_port + 60)))
rst=$(jpki_free_port $((rapi + 1)))
rcon=$(jpki_free_port $((rst + 1)))
rconf=$work/jpkid-rp.conf
jpki_write_config "$rconf" "$ca" "$conninfo" "$rapi" "$rst" "$rcon"
sed -i "s/^listen = 127.0.0.1:$rst\$/&\nrequire_relying_party = true/" "$rconf"
start_jpkid "$rconf" "$work/jpkid-rp.log"
rp_pid=$JPKID_PID
RST=http://127.0.0.1:$rst
RAPI=https://127.0.0.1:$rapi
RCON=https://127.0.0.1:$rcon
rp_ready=0
wait_ready "$RST" 30 && rp_ready=1
[ "$rp_ready" = 1 ] || tail -n 20 "$work/jpkid-rp.log" | sed 's/^/# jpkid-rp: /'
expect test_rp_gate_second_jpkid_requires_relying_parties eval '[ "$rp_ready" = 1 ] && grep -q "^require_relying_party = true" "$rconf"'

# rq BASE ISSUER TOKEN [openssl ocsp args]: OCSP through openssl, output in $work/rpo.out
rq() {
	local base=$1 is=$2 tok=$3
	shift 3
	openssl ocsp -issuer "$ca/$is-ca.crt" -url "$base/ocsp" -CAfile "$ca/$is-ca.crt" \
		${tok:+-header "Authorization=Bearer $tok"} "$@" > "$work/rpo.out" 2>&1
}
rp_crl() {	# rp_crl BASE TYPE [curl args]
	local base=$1 t=$2
	shift 2
	call GET "$base/crl/$t/131016.crl" "$@"
}

rp_crl "$RST" sign
expect test_r26_crl_without_token_401_bearer eval 'is_problem 401 && jq_eq .rule R26 &&
	conforms GET /crl/sign/131016.crl && [ "$(header WWW-Authenticate)" = "Bearer realm=\"jpkid\"" ]'
rp_crl "$RST" sign -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect test_r26_crl_unknown_token_401 eval 'is_problem 401 && jq_eq .rule R26'
rp_crl "$RST" sign -H "Authorization: Basic $TOK_B"
expect test_r26_crl_malformed_authorization_401 eval 'is_problem 401 && jq_eq .rule R26'
rp_crl "$RST" sign -H "Authorization: Bearer $TOK_B"
expect test_r26_crl_valid_token_200 eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/pkix-crl ] &&
	openssl crl -inform DER -in "$work/body" -noout 2>/dev/null'
rq "$RST" sign ""  -cert "$work/st/$RP_SIGN.pem"
expect test_r26_ocsp_without_token_unauthorized eval 'grep -q "unauthorized (6)" "$work/rpo.out"'
rq "$RST" sign "x$TOK_B" -cert "$work/st/$RP_SIGN.pem"
expect test_r26_ocsp_wrong_token_unauthorized eval 'grep -q "unauthorized (6)" "$work/rpo.out"'
rq "$RST" sign "$TOK_B" -cert "$work/st/$RP_SIGN.pem"
expect test_r26_ocsp_valid_token_good eval 'grep -q "Response verify OK" "$work/rpo.out" && grep -q "$RP_SIGN.pem: good" "$work/rpo.out"'
rq "$RST" auth "$TOK_B" -cert "$work/st/$RP_AUTH.pem"
rq "$RST" sign "$TOK_B" -cert "$work/st/$RP_SIGN.pem" -no_nonce
expect test_r26_ocsp_valid_token_good_without_nonce eval 'grep -q "$RP_SIGN.pem: good" "$work/rpo.out"'
rp_crl "$RST" auth -H "Authorization: Bearer $TOK_B"
# RP A: SIGN only.
rq "$RST" auth "$TOK_A" -cert "$work/st/$RP_AUTH.pem"
expect test_r26_sign_only_rp_asking_auth_ocsp_unauthorized eval 'grep -q "unauthorized (6)" "$work/rpo.out"'
rp_crl "$RST" auth -H "Authorization: Bearer $TOK_A"
expect test_r26_sign_only_rp_asking_auth_crl_403 eval 'is_problem 403 && jq_eq .rule R26'
rq "$RST" sign "$TOK_A" -cert "$work/st/$RP_SIGN.pem"
expect test_r26_sign_only_rp_asking_sign_good eval 'grep -q "$RP_SIGN.pem: good" "$work/rpo.out"'
# RP C by client certificate on the API listener: AUTH only.
rp_crl "$RAPI" auth --cacert "$ca/client-ca.crt" --cert "$work/rpc.crt" --key "$work/rpc.key"
expect test_r26_rp_certificate_on_api_listener_200 eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/pkix-crl ]'
rp_crl "$RAPI" sign --cacert "$ca/client-ca.crt" --cert "$work/rpc.crt" --key "$work/rpc.key"
expect test_r26_rp_certificate_not_registered_for_sign_403 eval 'is_problem 403 && jq_eq .rule R26'
# The console (issue 12): an operator's session downloads the CRL (the
# dashboard's link) on the console listener; an operator is not gated (nor
# counted) as a relying party there either.
printf 'console viewer password 1\n' > "$work/rp-op-pw"
"$jpkictl" operator add rp-console-view --role viewer --password-file "$work/rp-op-pw" -c "$conf" >/dev/null 2>&1
call POST "$RCON/v1/session" --cacert "$ca/client-ca.crt" -H "Origin: $RCON" -H 'Content-Type: application/json' \
	--data-binary '{"username":"rp-console-view","password":"console viewer password 1"}'
rp_cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: jpkid_session=\([^;]*\);.*/\1/p' "$work/hdrs" | head -n1)
rp_crl "$RCON" sign --cacert "$ca/client-ca.crt" -H "Cookie: jpkid_session=$rp_cookie"
expect test_r26_console_operator_session_downloads_crl eval '[ -n "$rp_cookie" ] && [ "$STATUS" = 200 ] &&
	[ "$CTYPE" = application/pkix-crl ] && openssl crl -inform DER -in "$work/body" -noout 2>/dev/null'
rp_crl "$RCON" sign --cacert "$ca/client-ca.crt"
expect test_r26_console_crl_without_session_401 eval '[ "$STATUS" = 401 ]'

# Counted: RP B 3 SIGN checks (2 OCSP, 1 CRL) and 2 AUTH (1 OCSP, 1 CRL); refusals are not.
# shellcheck disable=SC2046
call GET "$RAPI/v1/relying-parties/$RP_B/usage?from=$rp_today&to=$rp_today" $(tls operator)
expect test_rp_usage_counts_exactly_the_checks_served eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/relying-parties/1/usage && jq_eq .totals.sign 3 && jq_eq .totals.auth 2 &&
	jq_eq .days.0.day "$rp_today" && jq_eq .days.0.type auth && jq_eq .days.0.checks 2'
# shellcheck disable=SC2046
call GET "$RAPI/v1/relying-parties/$RP_A/usage?from=$rp_today&to=$rp_today" $(tls operator)
expect test_rp_usage_refused_checks_not_counted eval '[ "$STATUS" = 200 ] && jq_eq .totals.sign 1 && jq_eq .totals.auth 0'
# shellcheck disable=SC2046
call GET "$RAPI/v1/relying-parties/$RP_C/usage?from=$rp_today&to=$rp_today" $(tls operator)
expect test_rp_usage_counts_certificate_callers eval '[ "$STATUS" = 200 ] && jq_eq .totals.auth 1 && jq_eq .totals.sign 0'
expect test_rp_usage_in_the_table_once eval '[ "$(st_db "SELECT coalesce(sum(checks), 0) FROM relying_party_usage WHERE relying_party_id = $RP_B AND day = '\''$rp_today'\''")" = 5 ]'

# Disabled on the main jpkid: the second one refuses within its cache TTL.
rp_patch "$RP_A" '{"enabled":false}'
expect test_rp_patch_disable_200 eval '[ "$STATUS" = 200 ] && jq_eq .enabled false'
rp_t0=$(date +%s%N)
for _ in $(seq 1 40); do
	rp_crl "$RST" sign -H "Authorization: Bearer $TOK_A"
	[ "$STATUS" = 401 ] && break
	sleep 0.1
done
rp_ms=$((($(date +%s%N) - rp_t0) / 1000000))
expect test_r26_disabled_rp_refused_within_cache_ttl eval 'is_problem 401 && jq_eq .rule R26 && [ $rp_ms -le 3000 ]'
rq "$RST" sign "$TOK_A" -cert "$work/st/$RP_SIGN.pem"
expect test_r26_disabled_rp_ocsp_unauthorized eval 'grep -q "unauthorized (6)" "$work/rpo.out"'
# The rotated-away token of B no longer works.
rq "$RST" sign "$TOK_B_OLD" -cert "$work/st/$RP_SIGN.pem"
expect test_r26_rotated_away_token_unauthorized eval 'grep -q "unauthorized (6)" "$work/rpo.out"'

# Open mode (main jpkid): anyone is served, a valid token is still counted.
rp_crl "$ST" sign
expect test_rp_open_mode_anonymous_served eval '[ "$STATUS" = 200 ] && [ "$CTYPE" = application/pkix-crl ]'
rp_crl "$ST" sign -H "Authorization: Bearer $TOK_B"
rp_crl "$ST" sign -H "Authorization: Bearer nonsense-token"
expect test_rp_open_mode_unknown_token_served eval '[ "$STATUS" = 200 ]'
# shellcheck disable=SC2046
call GET "$API/v1/relying-parties/$RP_B/usage?from=$rp_today&to=$rp_today" $(tls operator)
expect test_rp_open_mode_valid_token_counted eval '[ "$STATUS" = 200 ] && jq_eq .totals.sign 4 && jq_eq .totals.auth 2'

# Counts still in memory at exit are written (one more CRL fetch, then SIGTERM).
rp_crl "$RST" sign -H "Authorization: Bearer $TOK_B"
kill -TERM "$rp_pid"
wait "$rp_pid"
rp_rc=$?
expect test_rp_counts_written_at_exit eval '[ $rp_rc = 0 ] &&
	[ "$(st_db "SELECT checks FROM relying_party_usage WHERE relying_party_id = $RP_B AND day = '\''$rp_today'\'' AND issuer = '\''sign'\''")" = 5 ]'
