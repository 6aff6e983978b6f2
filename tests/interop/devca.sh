#!/bin/bash
# tests/interop/devca.sh [JPKICTL]
#
# Runs `jpkictl init` and checks the hierarchy with real clients: OpenSSL,
# GnuTLS certtool and NSS certutil; then the PKCS#11 path end to end (a
# SIGN CA key imported into a throwaway SoftHSM2 token). One line per check,
# "ok - name" / "not ok - name", then "N passed, N failed"; exit 1 on any
# failure. Missing tools are reported as "ok - name # SKIP ...".
#
# JPKICTL: $1, else $top_builddir/jpkictl, else ./jpkictl.
set -u

JPKICTL=${1:-${top_builddir:-.}/jpkictl}
SOFTHSM2_UTIL=${SOFTHSM2_UTIL-$(command -v softhsm2-util || true)}
SOFTHSM2_MODULE=${SOFTHSM2_MODULE-/usr/lib/softhsm/libsofthsm2.so}
passed=0
failed=0

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jpkid-interop-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
LOG=$TMP/log

ok()	{ echo "ok - $1"; passed=$((passed + 1)); }
notok()	{ echo "not ok - $1"; failed=$((failed + 1)); sed 's/^/#   /' "$LOG"; }
skip()	{ echo "ok - $1 # SKIP $2"; }

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@" >"$LOG" 2>&1; then ok "$name"; else notok "$name"; fi
}

# check_fails NAME CMD...: passes when CMD exits non-zero (a negative test).
check_fails() {
	local name=$1
	shift
	if "$@" >"$LOG" 2>&1; then notok "$name"; else ok "$name"; fi
}

have() { command -v "$1" >/dev/null 2>&1; }

if [ ! -x "$JPKICTL" ]; then
	echo "not ok - jpkictl found ($JPKICTL is not executable)"
	echo "0 passed, 1 failed"
	exit 1
fi

D=$TMP/ca
check "jpkictl init --dir" "$JPKICTL" init --dir "$D"
check_fails "second init without --force refuses" "$JPKICTL" init --dir "$D"

mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }
all_keys_0600() {
	local k
	for k in "$D"/*.key; do mode_is "$k" 600 || { echo "$k: $(stat -c %a "$k")"; return 1; }; done
}
check "directory is 0700" mode_is "$D" 700
check "every key file is 0600" all_keys_0600
check "manifest lists 7 client certificates" test "$(wc -l < "$D/manifest.txt")" -eq 7
check "manifest has a kiosk and an AUTH-reset kiosk (R16a)" \
	grep -q "^kiosk_auth kiosk-auth.crt - " "$D/manifest.txt"

# --- OpenSSL ---------------------------------------------------------------
subject_is() {
	local got
	got=$(openssl x509 -in "$1" -noout -subject -nameopt compat) || return 1
	[ "$got" = "subject=$2" ] || { echo "got: $got"; return 1; }
}
R23_JLIS="OU=Japan Agency for Local Authority Information Systems"
check "openssl: SIGN CA name is R23" subject_is "$D/sign-ca.crt" \
	"/C=JP/O=JPKI/OU=JPKI for digital signature/$R23_JLIS"
check "openssl: AUTH CA name is R23" subject_is "$D/auth-ca.crt" \
	"/C=JP/O=JPKI/OU=JPKI for user authentication/$R23_JLIS"
for ca in sign-ca auth-ca client-ca; do
	check "openssl: $ca self-signed verifies (x509_strict)" \
		openssl verify -x509_strict -CAfile "$D/$ca.crt" "$D/$ca.crt"
done
check "openssl: terminals verify against client CA" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$D/client-ca.crt" "$D"/terminal-*.crt
for c in feed rp operator; do
	check "openssl: $c verifies as TLS client" \
		openssl verify -x509_strict -purpose sslclient -CAfile "$D/client-ca.crt" "$D/$c.crt"
done
check "openssl: server verifies for localhost" \
	openssl verify -x509_strict -purpose sslserver -verify_hostname localhost \
	-CAfile "$D/client-ca.crt" "$D/server.crt"
check "openssl: server verifies for 127.0.0.1" \
	openssl verify -x509_strict -purpose sslserver -verify_ip 127.0.0.1 \
	-CAfile "$D/client-ca.crt" "$D/server.crt"
check_fails "openssl: terminal does not verify against SIGN CA" \
	openssl verify -CAfile "$D/sign-ca.crt" "$D/terminal-131016.crt"
has_ocsp_ext() {
	local txt
	txt=$(openssl x509 -in "$1" -noout -text) || return 1
	grep -q "OCSP Signing" <<<"$txt" && grep -q "OCSP No Check" <<<"$txt"
}
for t in sign auth; do
	check "openssl: $t-ocsp verifies against $t-ca (x509_strict, ocsphelper)" \
		openssl verify -x509_strict -purpose ocsphelper -CAfile "$D/$t-ca.crt" "$D/$t-ocsp.crt"
	check "openssl: $t-ocsp has OCSPSigning EKU and ocsp-nocheck" has_ocsp_ext "$D/$t-ocsp.crt"
done
check_fails "openssl: sign-ocsp does not verify against auth-ca" \
	openssl verify -CAfile "$D/auth-ca.crt" "$D/sign-ocsp.crt"
# R16a: the PIN reset authority is delegated by the AUTH CA, with its EKU.
check "openssl: pinreset verifies against auth-ca (x509_strict)" \
	openssl verify -x509_strict -CAfile "$D/auth-ca.crt" "$D/pinreset.crt"
check "openssl: pinreset has the PIN reset EKU and digitalSignature only" eval \
	'openssl x509 -in "$D/pinreset.crt" -noout -ext keyUsage,extendedKeyUsage |
	tr -d "\n " | grep -q "criticalDigitalSignatureX509v3ExtendedKeyUsage:2.25.98714405201932460530618134916077397736$"'
check_fails "openssl: pinreset does not verify against sign-ca" \
	openssl verify -CAfile "$D/sign-ca.crt" "$D/pinreset.crt"
# A responder certificate really can sign an OCSP response its CA's clients accept.
ocsp_roundtrip() {
	local t=$1
	openssl ocsp -issuer "$D/$t-ca.crt" -cert "$D/$t-ocsp.crt" -no_nonce \
		-reqout "$TMP/$t.req" >/dev/null || return 1
	: > "$TMP/$t.index"
	openssl ocsp -index "$TMP/$t.index" -CA "$D/$t-ca.crt" -rsigner "$D/$t-ocsp.crt" \
		-rkey "$D/$t-ocsp.key" -reqin "$TMP/$t.req" -respout "$TMP/$t.resp" \
		-ndays 1 >/dev/null || return 1
	openssl ocsp -respin "$TMP/$t.resp" -issuer "$D/$t-ca.crt" -CAfile "$D/$t-ca.crt" \
		-cert "$D/$t-ocsp.crt" -no_nonce
}
check "openssl ocsp: response by sign-ocsp verifies against sign-ca" ocsp_roundtrip sign

# --- GnuTLS ----------------------------------------------------------------
if have certtool; then
	for m in 131016 141003; do
		check "certtool --verify: terminal-$m against client CA" \
			certtool --verify --load-ca-certificate "$D/client-ca.crt" \
			--verify-purpose 1.3.6.1.5.5.7.3.2 --infile "$D/terminal-$m.crt"
	done
	cat "$D/terminal-131016.crt" "$D/client-ca.crt" > "$TMP/chain.pem"
	check "certtool --verify-chain: terminal + client CA" \
		certtool --verify-chain --infile "$TMP/chain.pem"
	check "certtool --verify: server for localhost" \
		certtool --verify --load-ca-certificate "$D/client-ca.crt" \
		--verify-hostname localhost --verify-purpose 1.3.6.1.5.5.7.3.1 \
		--infile "$D/server.crt"
	for t in sign auth; do
		check "certtool --verify: $t-ocsp against $t-ca (OCSPSigning)" \
			certtool --verify --load-ca-certificate "$D/$t-ca.crt" \
			--verify-purpose 1.3.6.1.5.5.7.3.9 --infile "$D/$t-ocsp.crt"
	done
	check_fails "certtool --verify: terminal against SIGN CA fails" \
		certtool --verify --load-ca-certificate "$D/sign-ca.crt" \
		--infile "$D/terminal-131016.crt"
else
	skip "certtool checks" "certtool (gnutls-bin) not installed"
fi

# --- NSS -------------------------------------------------------------------
if have certutil; then
	N=sql:$TMP/nss
	mkdir "$TMP/nss"
	check "certutil: new NSS db" certutil -N -d "$N" --empty-password
	check "certutil: add client CA (trusted for SSL)" \
		certutil -A -d "$N" -n client-ca -t "CT,," -a -i "$D/client-ca.crt"
	check "certutil: add SIGN CA" certutil -A -d "$N" -n sign-ca -t "CT,C,C" -a -i "$D/sign-ca.crt"
	check "certutil: add AUTH CA" certutil -A -d "$N" -n auth-ca -t "CT,C,C" -a -i "$D/auth-ca.crt"
	for c in terminal-131016 feed server sign-ocsp auth-ocsp; do
		certutil -A -d "$N" -n "$c" -t ",," -a -i "$D/$c.crt" >"$LOG" 2>&1 ||
			notok "certutil: add $c"
	done
	check "certutil -V -u C: terminal-131016 (SSL client)" \
		certutil -V -d "$N" -n terminal-131016 -u C -e
	check "certutil -V -u C: feed (SSL client)" certutil -V -d "$N" -n feed -u C -e
	check "certutil -V -u V: server (SSL server)" certutil -V -d "$N" -n server -u V -e
	check "certutil -V -u O: sign-ocsp (OCSP status responder)" \
		certutil -V -d "$N" -n sign-ocsp -u O -e
	check "certutil -V -u O: auth-ocsp (OCSP status responder)" \
		certutil -V -d "$N" -n auth-ocsp -u O -e
	check_fails "certutil -V -u V: terminal is not an SSL server" \
		certutil -V -d "$N" -n terminal-131016 -u V -e
else
	skip "certutil checks" "certutil (libnss3-tools) not installed"
fi

# --- PKCS#11: SIGN CA key on a SoftHSM2 token ------------------------------
if [ -n "$SOFTHSM2_UTIL" ] && [ -x "$SOFTHSM2_UTIL" ] && [ -n "$SOFTHSM2_MODULE" ] &&
    [ -f "$SOFTHSM2_MODULE" ]; then
	mkdir -m 700 "$TMP/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$TMP/tokens" > "$TMP/softhsm2.conf"
	export SOFTHSM2_CONF=$TMP/softhsm2.conf
	check "softhsm2: init token" "$SOFTHSM2_UTIL" --init-token --free \
		--label jpkid-interop --pin 1234 --so-pin 5678
	check "openssl: generate PKCS#8 RSA-2048 key" \
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/sign.pk8"
	check "softhsm2: import SIGN CA key" "$SOFTHSM2_UTIL" --import "$TMP/sign.pk8" \
		--token jpkid-interop --label sign-ca --id 01 --pin 1234
	(umask 077; echo 1234 > "$TMP/pin")
	P=$TMP/p11ca
	URI="pkcs11:token=jpkid-interop;object=sign-ca;id=%01?module-path=$SOFTHSM2_MODULE"
	check "jpkictl init --sign-key pkcs11:... --pin-file" \
		"$JPKICTL" init --dir "$P" --sign-key "$URI" --pin-file "$TMP/pin"
	check "pkcs11: SIGN CA self-signature verifies (openssl)" \
		openssl verify -x509_strict -CAfile "$P/sign-ca.crt" "$P/sign-ca.crt"
	same_pubkey() {
		cmp <(openssl x509 -in "$P/sign-ca.crt" -noout -pubkey) \
			<(openssl pkey -in "$TMP/sign.pk8" -pubout)
	}
	check "pkcs11: SIGN CA certifies the token's key" same_pubkey
	check "pkcs11: sign-ocsp (signed on the token) verifies" \
		openssl verify -x509_strict -purpose ocsphelper -CAfile "$P/sign-ca.crt" "$P/sign-ocsp.crt"
	check_fails "pkcs11: no sign-ca.key written" test -e "$P/sign-ca.key"
	check "pkcs11: sign-ca.keyspec names the token" grep -q "token=jpkid-interop" "$P/sign-ca.keyspec"
	if have certtool; then
		check "pkcs11: certtool verifies the token-signed SIGN CA" \
			certtool --verify --load-ca-certificate "$P/sign-ca.crt" --infile "$P/sign-ca.crt"
	fi
	echo 9999 > "$TMP/badpin"
	wrong_pin() {
		if "$JPKICTL" init --dir "$TMP/p11bad" --sign-key "$URI" --pin-file "$TMP/badpin" 2>"$TMP/err"; then
			return 1
		fi
		cat "$TMP/err"
		! grep -q 9999 "$TMP/err" && [ ! -e "$TMP/p11bad" ]
	}
	check "pkcs11: wrong PIN refused, PIN not printed, nothing left" wrong_pin
else
	skip "PKCS#11 checks" "softhsm2-util or the SoftHSM2 module not found"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
