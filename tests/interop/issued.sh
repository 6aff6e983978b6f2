#!/bin/bash
# tests/interop/issued.sh DIR
#
# Checks issued SIGN/AUTH certificates (docs/rules.md R22-R25) with real
# clients: OpenSSL, GnuTLS certtool and NSS certutil, and reads the R25
# subjectAltName back through `openssl asn1parse`.
#
# DIR holds sign-ca.crt and auth-ca.crt (PEM, the self-signed issuing CAs)
# and any number of <name>.crt (PEM leaf) each with <name>.expect, lines of
# key=value (UTF-8, the value is everything after the first '='):
#   type=sign|auth
#   name= name_map= sex= birth= address= address_map=   (sign only, R25)
# tests/unit/test_profile writes such a directory when PROFILE_OUT is set:
#   PROFILE_OUT=/tmp/pout ./tests/unit/test_profile && tests/interop/issued.sh /tmp/pout
#
# One line per check, "ok - <check> <name>" / "not ok - ...", then
# "N passed, N failed"; exit 1 on any failure. A missing tool is a failure.
#
# NSS usages (certutil -V -u): keyUsage alone decides, there is no EKU.
#   AUTH (digitalSignature): C, SSL client - what a login portal does.
#   SIGN (digitalSignature + nonRepudiation): S, email (document) signer.
# NSS's classic verifier (certutil's default, CERT_VerifyCert) does not
# know certificatePolicies and refuses a certificate where it is critical
# ("Certificate contains unknown critical extension") - and R24 makes it
# critical on SIGN, as J-LIS does. libpkix (NSS_ENABLE_PKIX_VERIFY=1)
# processes policies and accepts it, so SIGN is checked with libpkix; the
# classic verifier's answer is printed as a note, not counted.
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR (with sign-ca.crt, auth-ca.crt, <name>.crt + <name>.expect)" >&2
	exit 2
fi
DIR=$1
passed=0
failed=0

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jpkid-issued-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
LOG=$TMP/log
: > "$LOG"

ok()	{ echo "ok - $1"; passed=$((passed + 1)); }
notok()	{ echo "not ok - $1"; failed=$((failed + 1)); sed 's/^/#   /' "$LOG"; }

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

: > "$LOG"
have_openssl=0 have_certtool=0 have_certutil=0
if have openssl; then have_openssl=1; ok "tool openssl installed"; else
	echo "openssl not found in PATH" > "$LOG"; notok "tool openssl installed"; fi
if have certtool; then have_certtool=1; ok "tool certtool (gnutls-bin) installed"; else
	echo "certtool not found in PATH" > "$LOG"; notok "tool certtool (gnutls-bin) installed"; fi
if have certutil; then have_certutil=1; ok "tool certutil (libnss3-tools) installed"; else
	echo "certutil not found in PATH" > "$LOG"; notok "tool certutil (libnss3-tools) installed"; fi

for ca in sign-ca auth-ca; do
	check "$ca.crt present" test -f "$DIR/$ca.crt"
done

# --- helpers -----------------------------------------------------------------

# read_expect FILE: fills the associative array E (key -> value).
declare -A E
read_expect() {
	local line
	E=()
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in ''|'#'*) continue ;; esac
		case $line in *=*) ;; *) echo "bad line: $line"; return 1 ;; esac
		E[${line%%=*}]=${line#*=}
	done < "$1"
}

# Attribute types of the subject, in order, e.g. "C L L CN".
subject_types() {
	openssl x509 -in "$1" -noout -subject -nameopt sep_multiline,sname,utf8,-esc_msb |
		sed 1d | sed -E 's/^ +([A-Za-z0-9.]+)=.*/\1/' | paste -sd' '
}

subject_is() {
	local got
	got=$(subject_types "$1") || return 1
	echo "subject attribute types: $got (want: $2)"
	[ "$got" = "$2" ]
}

# Offset of the subjectAltName extnValue OCTET STRING in the certificate's
# asn1parse output (after the OID and, if any, the critical BOOLEAN).
san_offset() {
	openssl asn1parse -in "$1" | awk '
		/:X509v3 Subject Alternative Name *$/ { found = 1; next }
		found && /prim: OCTET STRING/ { split($0, a, ":"); print a[1] + 0; exit }'
}

no_san() {
	local off
	off=$(san_offset "$1") || return 1
	[ -z "$off" ] || { echo "subjectAltName present at offset $off"; return 1; }
}

# asn1parse output reduced to "d=<depth> <type>[:<value>]" lines; values
# (OBJECT, UTF8STRING) are kept byte for byte.
asn1_reduce() {
	local re='^ *[0-9]+:d=([0-9]+) +hl= *[0-9]+ +l= *[0-9]+ (prim|cons): (.*)$'
	local line d rest
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			d=${BASH_REMATCH[1]}
			rest=${BASH_REMATCH[3]}
			case $rest in
			OBJECT*|UTF8STRING*)
				printf 'd=%s %s:%s\n' "$d" "${rest%% *}" "${rest#*:}" ;;
			*)
				rest=${rest%"${rest##*[! ]}"}
				printf 'd=%s %s\n' "$d" "$rest" ;;
			esac
		else
			printf 'UNPARSED %s\n' "$line"
		fi
	done
}

# R25: the SAN is exactly six otherNames 1.2.392.200149.8.5.5.1..6, in
# order, each [0] EXPLICIT UTF8String equal to the .expect value.
san_is() {
	local leaf=$1 off i
	local keys=(name name_map sex birth address address_map)
	off=$(san_offset "$leaf") || return 1
	[ -n "$off" ] || { echo "no subjectAltName"; return 1; }
	openssl asn1parse -in "$leaf" -strparse "$off" > "$TMP/san.txt" || return 1
	asn1_reduce < "$TMP/san.txt" > "$TMP/san.got"
	{
		echo "d=0 SEQUENCE"
		for i in 0 1 2 3 4 5; do
			echo "d=1 cont [ 0 ]"
			echo "d=2 OBJECT:1.2.392.200149.8.5.5.$((i + 1))"
			echo "d=2 cont [ 0 ]"
			printf 'd=3 UTF8STRING:%s\n' "${E[${keys[$i]}]-MISSING ${keys[$i]} in .expect}"
		done
	} > "$TMP/san.want"
	cat "$TMP/san.txt"
	diff -u "$TMP/san.want" "$TMP/san.got"
}

certtool_verifies() {
	local out
	out=$(certtool --verify --verify-profile medium --load-ca-certificate "$1" \
		--infile "$2" 2>&1)
	local rc=$?
	echo "$out"
	[ $rc -eq 0 ] && grep -q "Chain verification output: Verified" <<<"$out"
}

# nss_setup NAME CA LEAF: a fresh NSS database $N for this leaf alone (NSS
# keeps one nickname per subject, so leaves never share a database), with
# CA trusted (CT,C,C) and the leaf as NAME.
nss_setup() {
	N=sql:$TMP/nss-$1
	mkdir "$TMP/nss-$1" &&
	certutil -N -d "$N" --empty-password &&
	certutil -A -d "$N" -n ca -t "CT,C,C" -a -i "$2" &&
	certutil -A -d "$N" -n "$1" -t ",," -a -i "$3"
}

# nss_valid classic|pkix NICK USAGE: certutil -V says "certificate is valid".
# NSS switches to libpkix when NSS_ENABLE_PKIX_VERIFY is set non-empty.
nss_valid() {
	local mode=$1 nick=$2 usage=$3 out
	if [ "$mode" = pkix ]; then
		out=$(env NSS_ENABLE_PKIX_VERIFY=1 certutil -V -d "$N" -n "$nick" \
			-u "$usage" -e 2>&1)
	else
		out=$(env -u NSS_ENABLE_PKIX_VERIFY certutil -V -d "$N" -n "$nick" \
			-u "$usage" -e 2>&1)
	fi
	echo "$out"
	grep -q "certificate is valid" <<<"$out"
}

# --- every leaf --------------------------------------------------------------
nleaf=0
for leaf in "$DIR"/*.crt; do
	[ -e "$leaf" ] || continue
	name=$(basename "$leaf" .crt)
	case $name in sign-ca|auth-ca) continue ;; esac
	nleaf=$((nleaf + 1))
	exp=$DIR/$name.expect
	if ! read_expect "$exp" >"$LOG" 2>&1; then
		echo "cannot read $exp" >> "$LOG"
		notok "expect file $name"
		continue
	fi
	type=${E[type]-}
	case $type in
	sign) ca=$DIR/sign-ca.crt other=$DIR/auth-ca.crt usage=S ;;
	auth) ca=$DIR/auth-ca.crt other=$DIR/sign-ca.crt usage=C ;;
	*)
		echo "type=$type: must be sign or auth" > "$LOG"
		notok "expect file $name"
		continue ;;
	esac

	if [ $have_openssl = 1 ]; then
		check "openssl verify -x509_strict -purpose any $name" \
			openssl verify -x509_strict -purpose any -CAfile "$ca" "$leaf"
		check_fails "openssl verify refuses the other CA $name" \
			openssl verify -x509_strict -purpose any -CAfile "$other" "$leaf"
		if [ "$type" = sign ]; then
			check "openssl subject is C, L, L, CN (R23) $name" subject_is "$leaf" "C L L CN"
			check "openssl asn1parse subjectAltName = six R25 otherNames $name" san_is "$leaf"
		else
			check "openssl subject is C and CN only (R23) $name" subject_is "$leaf" "C CN"
			check "openssl asn1parse no subjectAltName (R23) $name" no_san "$leaf"
		fi
	fi
	if [ $have_certtool = 1 ]; then
		check "certtool --verify (medium profile) $name" certtool_verifies "$ca" "$leaf"
	fi
	if [ $have_certutil = 1 ]; then
		if nss_setup "$name" "$ca" "$leaf" >"$LOG" 2>&1; then
			if [ "$type" = sign ]; then
				check "certutil -V -u $usage (libpkix) $name" nss_valid pkix "$name" "$usage"
				nss_valid classic "$name" "$usage" >"$LOG" 2>&1
				echo "# note: NSS classic verifier on $name (critical" \
					"certificatePolicies, see the header): $(cat "$LOG")"
			else
				check "certutil -V -u $usage $name" nss_valid classic "$name" "$usage"
				check "certutil -V -u $usage (libpkix) $name" nss_valid pkix "$name" "$usage"
			fi
		else
			notok "certutil: NSS db with the CA and $name"
		fi
	fi
done
: > "$LOG"
if [ $nleaf -eq 0 ]; then
	echo "no <name>.crt besides the CAs in $DIR" > "$LOG"
	notok "at least one issued certificate"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
