# R22 keys (issue 13), sourced by tests/api/run.sh on the main daemon ($API,
# real clock): one key, one holder, one type; weak RSA keys refused at CSR
# time; the key fingerprint column of migration 0012. Residents 1310166600N
# (131016, $term_a) and 1410036600N (141003, $term_b).

ks=$work/keys
mkdir -p "$ks"
ks_apply() {	# ks_apply CODE TYPES-JSON [TERM]: sets KS_APP
	call POST "$API/v1/applications" $(tls "${3:-$term_a}") -H 'Content-Type: application/json' \
		--data-binary "{\"resident_code\":\"$1\",\"procedure\":\"issue\",\"types\":$2,\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV}"
	KS_APP=$(st_jv .id)
}
ks_issue() {	# ks_issue APP TYPE CSR [TERM]
	call POST "$API/v1/applications/$1/certificates" $(tls "${4:-$term_a}") \
		-H 'Content-Type: application/json' --data-binary "{\"type\":\"$2\",\"csr\":\"$3\"}"
}
ks_count() {	# ks_count CODE: certificates of a resident
	st_db "SELECT count(*) FROM certificates WHERE resident_code = '$1'"
}
ks_fp() {	# ks_fp KEYFILE: hex SHA-256 of the SubjectPublicKeyInfo DER
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
}

for n in 1 2 3 4 5 6 7 8; do st_resident 1310166600$n 131016; done
st_resident 14100366001 141003

# One key certified for resident 1 (AUTH), then offered for others.
new_csr ks_k1
ks_k1_key=$NEW_CSR_KEY
ks_apply 13101666001 '["auth","sign"]'
ks_app1=$KS_APP
ks_issue "$ks_app1" auth "$ks_k1"
expect test_r22_first_use_of_a_key_issued eval '[ "$STATUS" = 201 ] &&
	[ "$(st_db "SELECT encode(key_sha256, '"'hex'"') FROM certificates WHERE encode(serial, '"'hex'"') = '"'$(st_jv .serial)'"'")" = "$(ks_fp "$ks_k1_key")" ]'
ks_auth1=$(st_jv .serial)

# R22: the same key for SIGN of the same resident: an AUTH signature (4-digit PIN) would verify as SIGN.
ks_issue "$ks_app1" sign "$ks_k1"
expect test_r22_same_key_for_sign_and_auth_refused_409 eval 'is_problem 409 && conforms POST /v1/applications/x/certificates &&
	jq_eq .rule R22 && jq_eq .type urn:jpkid:problem:key-in-use && jq_eq .fields.csr "public key already certified" &&
	grep -q "auth certificate $ks_auth1" "$work/body" && [ "$(ks_count 13101666001)" = 1 ] &&
	[ "$(st_db "SELECT array_to_string(issued_types, '"','"') FROM applications WHERE id = '"'$ks_app1'"'")" = auth ]'

# R22: the same key for another resident, same municipality and another one.
ks_apply 13101666002 '["auth"]'
ks_issue "$KS_APP" auth "$ks_k1"
expect test_r22_same_key_for_another_resident_refused_409 eval 'is_problem 409 && jq_eq .rule R22 &&
	jq_eq .type urn:jpkid:problem:key-in-use && grep -q "another resident" "$work/body" &&
	! grep -q 13101666001 "$work/body" && ! grep -q "$ks_auth1" "$work/body" && [ "$(ks_count 13101666002)" = 0 ]'
ks_apply 14100366001 '["auth"]' "$term_b"
ks_issue "$KS_APP" auth "$ks_k1" "$term_b"
expect test_r22_same_key_in_another_municipality_refused_without_naming_it eval 'is_problem 409 && jq_eq .rule R22 &&
	grep -q "another resident" "$work/body" && ! grep -q 131016 "$work/body" && [ "$(ks_count 14100366001)" = 0 ]'

# R22: a new issuance of the same type (R9 would supersede) with the old key: refused, nothing revoked.
ks_apply 13101666001 '["auth"]'
ks_issue "$KS_APP" auth "$ks_k1"
expect test_r22_same_key_for_renewal_of_same_type_refused eval 'is_problem 409 && jq_eq .rule R22 &&
	grep -q "earlier auth certificate $ks_auth1" "$work/body" &&
	[ "$(st_db "SELECT status FROM certificates WHERE encode(serial, '"'hex'"') = '"'$ks_auth1'"'")" = valid ] &&
	[ "$(ks_count 13101666001)" = 1 ]'
new_csr ks_k2
ks_issue "$KS_APP" auth "$ks_k2"
expect test_r22_new_key_for_renewal_issued_and_supersedes eval '[ "$STATUS" = 201 ] && jq_eq .superseded.0 "$ks_auth1"'

# R22 under concurrency: one new key, five residents, five parallel issuances: exactly one 201.
new_csr ks_k3
ks_k3_key=$NEW_CSR_KEY
ks_par=()
for n in 4 5 6 7 8; do
	ks_apply 1310166600$n '["auth"]'
	ks_par+=("$KS_APP")
done
ks_pids=()
for app in "${ks_par[@]}"; do
	curl -sS -o "$ks/par-$app.body" -w '%{http_code}' --max-time 30 $(tls "$term_a") \
		-H 'Content-Type: application/json' --data-binary "{\"type\":\"auth\",\"csr\":\"$ks_k3\"}" \
		"$API/v1/applications/$app/certificates" > "$ks/par-$app.status" 2>/dev/null &
	ks_pids+=($!)
done
wait "${ks_pids[@]}"
ks_201=0 ks_409=0
for app in "${ks_par[@]}"; do
	case $(cat "$ks/par-$app.status") in
	201) ks_201=$((ks_201 + 1)) ;;
	409) grep -q '"rule": *"R22"' "$ks/par-$app.body" && ks_409=$((ks_409 + 1)) ;;
	esac
done
expect test_r22_parallel_issuances_of_one_key_exactly_one_succeeds eval '[ $ks_201 = 1 ] && [ $ks_409 = 4 ] &&
	[ "$(st_db "SELECT count(*) FROM certificates WHERE key_sha256 = decode('"'$(ks_fp "$ks_k3_key")'"', '"'hex'"')")" = 1 ]'

# R22 weak keys with a valid proof of possession (tests/api/weak_csr.py).
ks_weak() {	# ks_weak KIND APP: sets STATUS for that CSR
	$PY "$top/tests/api/weak_csr.py" "$1" "$ks/$1.der" || return 1
	ks_issue "$2" auth "$(base64 -w0 "$ks/$1.der")"
}
ks_apply 13101666003 '["auth"]'
ks_app3=$KS_APP
ks_weak roca "$ks_app3"
expect test_r22_roca_key_refused_422 eval 'is_problem 422 && conforms POST /v1/applications/x/certificates &&
	jq_eq .rule R22 && jq_eq .type urn:jpkid:problem:csr-key && grep -q ROCA "$work/body" && [ "$(ks_count 13101666003)" = 0 ]'
ks_weak smallfactor "$ks_app3"
expect test_r22_small_prime_factor_key_refused_422 eval 'is_problem 422 && jq_eq .rule R22 &&
	grep -q "small prime factor (3)" "$work/body" && [ "$(ks_count 13101666003)" = 0 ]'
ks_weak fermat "$ks_app3"
expect test_r22_close_primes_key_refused_422 eval 'is_problem 422 && jq_eq .rule R22 &&
	grep -q "Fermat" "$work/body" && [ "$(ks_count 13101666003)" = 0 ]'
# issue 15: the fast checks still reach the last small prime and the last Fermat steps.
ks_weak smallfactor65521 "$ks_app3"
expect test_r22_small_prime_factor_65521_key_refused_422 eval 'is_problem 422 && jq_eq .rule R22 &&
	grep -q "small prime factor (65521)" "$work/body" && [ "$(ks_count 13101666003)" = 0 ]'
ks_weak fermatlate "$ks_app3"
expect test_r22_close_primes_found_late_refused_422 eval 'is_problem 422 && jq_eq .rule R22 &&
	grep -q "Fermat" "$work/body" && [ "$(ks_count 13101666003)" = 0 ]'
new_csr ks_k4
ks_issue "$ks_app3" auth "$ks_k4"
expect test_r22_normal_key_after_weak_ones_issued eval '[ "$STATUS" = 201 ]'

# Migration 0012: the SQL walk gives openssl's SPKI fingerprint for every issued certificate;
# a row whose der is not a certificate gets NULL; a wrong fingerprint is refused; it never changes.
ks_fps_agree() {	# every certificate: SQL walk = key_sha256; the last few: = openssl's
	local s
	[ "$(st_db "SELECT count(*) FROM certificates WHERE key_sha256 IS DISTINCT FROM
		sha256(der_certificate_spki(der)) AND der_certificate_spki(der) IS NOT NULL")" = 0 ] || return 1
	[ "$(st_db "SELECT count(*) FROM certificates WHERE key_sha256 IS NULL
		AND der_certificate_spki(der) IS NOT NULL")" = 0 ] || return 1
	for s in $ks_auth1 $(st_db "SELECT encode(serial, 'hex') FROM certificates ORDER BY issued_at DESC LIMIT 3"); do
		st_db "SELECT encode(der, 'base64') FROM certificates WHERE encode(serial, 'hex') = '$s'" |
			base64 -d > "$ks/c.der" || return 1
		[ "$(openssl x509 -inform DER -in "$ks/c.der" -noout -pubkey | openssl pkey -pubin -outform DER |
			sha256sum | cut -d' ' -f1)" = \
		  "$(st_db "SELECT encode(key_sha256, 'hex') FROM certificates WHERE encode(serial, 'hex') = '$s'")" ] ||
			{ echo "# fingerprint of $s differs" >&2; return 1; }
	done
}
expect test_0012_sql_fingerprint_equals_openssl_for_every_certificate ks_fps_agree
expect test_0012_spki_walk_returns_null_for_non_certificates eval '[ "$(st_db "SELECT count(*) FROM (VALUES
	('"'\\x30'"'::bytea), ('"'\\x3082ffff'"'), ('"'\\x0101ff'"'), ('"'\\x3003020101'"')) v(d) WHERE der_certificate_spki(d) IS NULL")" = 4 ]'
expect test_0012_fingerprint_immutable eval '! st_db "UPDATE certificates SET key_sha256 = sha256('"'x'"'::bytea) WHERE encode(serial, '"'hex'"') = '"'$ks_auth1'"'" 2>"$ks/upd.err" &&
	grep -q certificates_key_immutable "$ks/upd.err" || grep -q "immutable (R22)" "$ks/upd.err"'
