# Section "stats" of tests/api/run.sh: GET /v1/stats. Every figure of the
# database part is compared with ground truth counted here straight from
# certificates (tests/api/stats_truth.sql: the test may count, the handler
# never does), before and after issuance (API), certificates written in
# plain SQL (JST day boundaries, a valid certificate past its notAfter),
# expiry marking and revocation (as the register sweep would), and again
# once the fold job has run. Resident codes 13101690001-13101690009.

sx_truth() {	# sx_truth AS_OF MUNI-SQL: stats_truth() JSON into $work/truth.json
	{ cat "$top/tests/api/stats_truth.sql"; echo "SELECT pg_temp.stats_truth('$1', $2);"; } |
		jpki_psql "$pg" jpkid -tA > "$work/truth.json"
}
sx_matches() {	# sx_matches MUNI-SQL: the last body equals the truth at its as_of
	sx_truth "$(st_jv .as_of)" "$1" && cp "$work/body" "$work/stats.json" &&
		$PY "$top/tests/api/stats_cmp.py" "$work/stats.json" "$work/truth.json"
}
sx_get() {	# sx_get [QUERY]: GET /v1/stats as the operator
	# shellcheck disable=SC2046
	call GET "$API/v1/stats${1:+?$1}" $(tls operator)
}
sx_fold_wait() {	# until the fold job has folded every delta (fold_interval 5 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(st_db 'SELECT count(*) FROM stats_deltas')" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
# The operator of the dev CA's "operator" certificate, as a viewer for this section.
sx_op=$(st_db "SELECT o.id FROM operators o JOIN principals p ON p.kind = 'operator' AND p.id = o.id
	WHERE o.cert_sha256 IS NOT NULL ORDER BY o.id LIMIT 1")
sx_role=$(st_db "SELECT role FROM operators WHERE id = $sx_op")
st_db "UPDATE operators SET role = 'viewer' WHERE id = $sx_op" >/dev/null

# ---------------------------------------------------------------- shape, roles
sx_get
expect test_stats_viewer_200_conforms eval '[ "$STATUS" = 200 ] && conforms GET /v1/stats &&
	jq_eq .municipality null && [ "$(st_jv .daily.89.day)" = "$(TZ=Asia/Tokyo date +%F)" ] &&
	[ "$(st_jv .renewals_due.0.month)" = "$(TZ=Asia/Tokyo date +%Y-%m)" ]'
expect test_stats_match_ground_truth_after_earlier_sections sx_matches NULL
sx_get municipality=131016
expect test_stats_municipality_filter_matches_ground_truth eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/stats && jq_eq .municipality 131016 && jq_eq .municipalities.0.code 131016 &&
	jq_eq .municipalities.0.name 千代田区 && [ "$(st_jv ".municipalities.1")" = "" ] &&
	sx_matches "'\''131016'\''"'
# Nationally the per-municipality list is a page (limit, cursor): walking it
# one municipality at a time gives the same list as one page of all.
sx_get limit=500
sx_all=$($PY -c 'import json,sys; print(" ".join(m["code"] for m in json.load(open(sys.argv[1]))["municipalities"]))' "$work/body")
sx_walk= sx_cur= sx_n=0
while :; do
	sx_get "limit=1${sx_cur:+&cursor=$sx_cur}"
	[ "$STATUS" = 200 ] || break
	sx_walk="$sx_walk${sx_walk:+ }$(st_jv .municipalities.0.code)"
	sx_cur=$(st_jv .municipalities_next_cursor)
	[ -n "$sx_cur" ] && [ "$sx_cur" != null ] || break
	sx_n=$((sx_n + 1)); [ $sx_n -lt 100 ] || break
done
expect test_stats_municipalities_paged_by_code eval '[ -n "$sx_all" ] && [ "$sx_walk" = "$sx_all" ] && [ "$(echo "$sx_all" | wc -w)" -ge 2 ] && [ "$(echo "$sx_all" | tr " " "\n" | sort | tr "\n" " " | sed "s/ $//")" = "$sx_all" ]'
sx_get "limit=0"
expect test_stats_bad_limit_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.limit)" ]'
sx_get "cursor=bm90LWEtY29kZQ"
expect test_stats_bad_cursor_400 eval 'is_problem 400 && [ -n "$(st_jv .fields.cursor)" ]'
sx_get municipality=13101
expect test_stats_bad_municipality_400 eval 'is_problem 400 && conforms GET /v1/stats &&
	[ -n "$(st_jv .fields.municipality)" ]'
sx_get municipality=999999
expect test_stats_unknown_municipality_400 eval 'is_problem 400 && conforms GET /v1/stats &&
	jq_eq .fields.municipality "no such municipality"'
call GET "$API/v1/stats" $(tls "$term_a")
expect test_stats_terminal_403 eval 'is_problem 403 && conforms GET /v1/stats'
call GET "$ST/v1/stats"
expect test_stats_not_on_status_listener_404 is_problem 404

# ---------------------------------------------------------------- issuance moves the figures
sx_get
sv0=$(st_jv .certificates.sign.valid)
av0=$(st_jv .certificates.auth.valid)
si0=$(st_jv .daily.89.sign.issued)
st_resident 13101690001 131016
st_issue 13101690001
sx_get
expect test_stats_issuance_counts_at_once eval '[ "$STATUS" = 200 ] &&
	[ "$(st_jv .certificates.sign.valid)" = $((sv0 + 1)) ] &&
	[ "$(st_jv .certificates.auth.valid)" = $((av0 + 1)) ] &&
	[ "$(st_jv .daily.89.sign.issued)" = $((si0 + 1)) ] && sx_matches NULL'
expect test_stats_fold_job_folds_within_fold_interval eval 'sx_fold_wait && sx_get &&
	jq_eq .unfolded_deltas 0 && [ -n "$(st_jv .folded_at)" ] && sx_matches NULL &&
	[ "$(st_jv .certificates.sign.valid)" = $((sv0 + 1)) ]'

# ---------------------------------------------------------------- plain SQL: JST days, expiry
# 15:30Z on the UTC day before today JST is 00:30 today JST; 14:30Z is
# 23:30 yesterday JST.
sx_today=$(TZ=Asia/Tokyo date +%F)
sx_prev=$(date -u -d "$sx_today -1 day" +%F)
sx_get
se0=$(st_jv .certificates.sign.expired)
t89=$(st_jv .daily.89.sign.issued)
a88=$(st_jv .daily.88.auth.issued)
st_resident 13101690002 131016
st_resident 13101690003 141003
st_db "INSERT INTO serials (serial, issuer) VALUES ('\\x7f5a0001', 'sign'), ('\\x7f5a0002', 'auth');
	INSERT INTO certificates (issuer, serial, type, resident_code, card_number, subject,
	    not_before, not_after, crl_shard, der, issued_at) VALUES
	('sign', '\\x7f5a0001', 'sign', '13101690002', '913101690002', 'CN=stats a',
	    '${sx_prev}T00:00:00Z', now() - interval '1 hour', '131016', '\\x00', '${sx_prev}T15:30:00Z'),
	('auth', '\\x7f5a0002', 'auth', '13101690003', '913101690003', 'CN=stats b',
	    '${sx_prev}T00:00:00Z', now() + interval '40 days', '141003', '\\x00', '${sx_prev}T14:30:00Z')" >/dev/null
sx_get
expect test_stats_jst_day_boundary eval '[ "$(st_jv .daily.89.sign.issued)" = $((t89 + 1)) ] &&
	[ "$(st_jv .daily.88.auth.issued)" = $((a88 + 1)) ] && sx_matches NULL'
expect test_stats_valid_past_not_after_counts_as_expired eval '
	[ "$(st_jv .certificates.sign.expired)" = $((se0 + 1)) ] && sx_matches NULL'
st_db "UPDATE certificates SET status = 'expired' WHERE serial = '\\x7f5a0001'" >/dev/null
sx_get
expect test_stats_expiry_marking_keeps_expired_count eval '
	[ "$(st_jv .certificates.sign.expired)" = $((se0 + 1)) ] && sx_matches NULL'
sx_get municipality=141003
expect test_stats_municipality_141003_matches_ground_truth eval '[ "$STATUS" = 200 ] &&
	conforms GET /v1/stats && sx_matches "'\''141003'\''"'

# ---------------------------------------------------------------- revocation (as the sweep would)
sx_get
ar0=$(st_jv .certificates.auth.revoked)
rc0=$(st_jv .revocation_reasons.auth.cessationOfOperation)
ad0=$(st_jv .daily.89.auth.revoked)
st_db "UPDATE certificates SET status = 'revoked', revoked_at = now(), reason = 'cessationOfOperation'
	WHERE serial = '\\x7f5a0002'" >/dev/null
sx_get
expect test_stats_revocation_by_reason_and_day eval '
	[ "$(st_jv .certificates.auth.revoked)" = $((ar0 + 1)) ] &&
	[ "$(st_jv .revocation_reasons.auth.cessationOfOperation)" = $((rc0 + 1)) ] &&
	[ "$(st_jv .daily.89.auth.revoked)" = $((ad0 + 1)) ] && sx_matches NULL'
expect test_stats_still_exact_after_fold eval 'sx_fold_wait && sx_get && jq_eq .unfolded_deltas 0 &&
	sx_matches NULL && sx_get municipality=141003 && sx_matches "'\''141003'\''"'

# ---------------------------------------------------------------- in-memory parts
sx_get
o0=$(st_jv .status_requests.ocsp)
c0=$(st_jv .status_requests.crl)
r0=$(st_jv .relying_party_checks.total)
openssl ocsp -issuer "$ca/sign-ca.crt" -serial "0x$ST_SIGN" -no_nonce -reqout "$work/sx.req" >/dev/null 2>&1
call POST "$API/ocsp" $(tls rp) -H 'Content-Type: application/ocsp-request' --data-binary @"$work/sx.req"
call GET "$ST/crl/sign/131016.crl"
sx_get
expect test_stats_ocsp_crl_and_rp_checks_count eval '[ "$STATUS" = 200 ] && conforms GET /v1/stats &&
	[ "$(st_jv .status_requests.ocsp)" = $((o0 + 1)) ] &&
	[ "$(st_jv .status_requests.crl)" = $((c0 + 1)) ] &&
	[ "$(st_jv .relying_party_checks.total)" = $((r0 + 1)) ] &&
	$PY -c "import json,sys; c=json.load(open(sys.argv[1]))[\"status_requests\"][\"ocsp_cache\"]; sys.exit(0 if c[\"hits\"] + c[\"misses\"] > 0 and c[\"hit_ratio\"] is not None else 1)" "$work/body"'
expect test_stats_rp_checks_db_part_matches_usage_table eval 'sx_truth "$(st_jv .as_of)" NULL &&
	$PY -c "import json,sys; g=json.load(open(sys.argv[1]))[\"relying_party_checks\"]; w=json.load(open(sys.argv[2]))[\"relying_party_checks\"]; sys.exit(0 if g[\"total\"] - g[\"unflushed\"] <= w[\"sign\"] + w[\"auth\"] <= g[\"total\"] else 1)" "$work/body" "$work/truth.json"'

st_db "UPDATE operators SET role = '$sx_role' WHERE id = $sx_op" >/dev/null
