# Shared by the issue-4 sections of tests/api/run.sh (revocation, crl, ocsp,
# rp): make a resident with a card and issue both certificates to it on the
# MAIN daemon ($API, real clock, CA in $ca), as a terminal of its
# municipality. Sourced once by run.sh before those sections.
#
#   st_resident CODE MUNI [BIRTH]   resident + active My Number card (card
#                                   number "9" + CODE) in 131016 or 141003
#   st_issue CODE [TYPES]           apply (self) and issue; TYPES defaults to
#                                   both. Sets ST_SIGN / ST_AUTH (hex serials)
#                                   and writes $work/st/<serial>.pem
#   st_db SQL                       one psql value
#   st_jv PATH                      a value of the last JSON body

mkdir -p "$work/st"
[ -f "$work/st/holder.csr" ] || openssl req -new -newkey rsa:2048 -nodes \
	-keyout "$work/st/holder.key" -subj "/CN=ignored" -outform DER \
	-out "$work/st/holder.csr" 2>/dev/null
ST_CSR=$(base64 -w0 "$work/st/holder.csr")	# for requests that are refused before issuing

# R22: a card makes a new key pair for every issuance and jpkid refuses a key
# it has certified before. new_csr VAR: VAR = base64 DER CSR of a key no earlier
# call of this run used; NEW_CSR_KEY = its private key. The keys are kept in a
# pool across runs ($JPKI_KEYPOOL, default BUILDDIR/tests/keypool): every run
# starts with an empty database, so no run repeats a key.
keypool=${JPKI_KEYPOOL:-$build/tests/keypool}
mkdir -p "$keypool"
NEW_CSR_N=0
new_csr() {	# new_csr VAR
	local k
	NEW_CSR_N=$((NEW_CSR_N + 1))
	k=$keypool/$NEW_CSR_N.key
	[ -s "$k" ] || { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$k.$$" 2>/dev/null && mv "$k.$$" "$k"; }
	NEW_CSR_KEY=$k
	printf -v "$1" '%s' "$(openssl req -new -key "$k" -subj /CN=ignored -outform DER 2>/dev/null |
		base64 -w0)"
}
ST_EV='{"documents":[{"kind":"mynumber_card","holder":"resident"}]}'

st_db() { jpki_psql "$pg" jpkid -tAc "$1"; }
st_jv() {
	$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k) if isinstance(d, dict) else None
print("" if d is None else (d if isinstance(d, str) else json.dumps(d)))' "$work/body" "$1" 2>/dev/null
}
st_term() {	# the terminal certificate stem of a municipality
	case $1 in 131016) echo "$term_a" ;; 141003) echo "$term_b" ;; *) return 1 ;; esac
}
st_resident() {	# CODE MUNI [BIRTH]
	local code=$1 muni=$2 birth=${3:-1980-04-01} pref city
	case $muni in
	131016) pref=東京都; city=千代田区 ;;
	141003) pref=神奈川県; city=横浜市中区 ;;
	*) return 1 ;;
	esac
	st_db "INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
	    birth_date, sex, address) VALUES ('$code', '$muni', '試験', '太郎', '$birth', '1',
	    '$pref$city一番町$((10#${code: -3}))番') ON CONFLICT DO NOTHING;
	  INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on,
	    card_family_name, card_given_name, card_birth_date, card_sex, card_address)
	    SELECT '9' || '$code', '$code', 'mynumber', current_date - 30, current_date + 3650,
	    family_name, given_name, birth_date, sex, address FROM residents
	    WHERE resident_code = '$code' ON CONFLICT DO NOTHING" >/dev/null
}
st_issue() {	# CODE [TYPES-JSON]
	local code=$1 types=${2:-'["auth","sign"]'} muni term app t csr
	muni=$(st_db "SELECT municipality_code FROM residents WHERE resident_code = '$code'")
	term=$(st_term "$muni") || return 1
	ST_SIGN= ST_AUTH=
	call POST "$API/v1/applications" $(tls "$term") -H 'Content-Type: application/json' \
		--data-binary "{\"resident_code\":\"$code\",\"procedure\":\"issue\",\"types\":$types,\"applicant\":{\"kind\":\"self\"},\"evidence\":$ST_EV}"
	[ "$STATUS" = 201 ] || { echo "# st_issue apply $code: $STATUS $(head -c 300 "$work/body")" >&2; return 1; }
	app=$(st_jv .id)
	for t in auth sign; do
		case $types in *\"$t\"*) ;; *) continue ;; esac
		new_csr csr
		call POST "$API/v1/applications/$app/certificates" $(tls "$term") \
			-H 'Content-Type: application/json' \
			--data-binary "{\"type\":\"$t\",\"csr\":\"$csr\"}"
		[ "$STATUS" = 201 ] || { echo "# st_issue $t $code: $STATUS $(head -c 300 "$work/body")" >&2; return 1; }
		st_jv .certificate > "$work/st/$(st_jv .serial).pem"
		if [ $t = sign ]; then ST_SIGN=$(st_jv .serial); else ST_AUTH=$(st_jv .serial); fi
	done
}
