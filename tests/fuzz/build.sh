#!/usr/bin/env bash
# Build the libFuzzer harnesses (tests/fuzz/README.md) with clang
# -fsanitize=fuzzer,address,undefined: the project's libraries in their own
# build directory (configured with CC=clang; the gcc builds are untouched),
# then one binary per harness in BUILDDIR/tests/fuzz/.
# Usage: tests/fuzz/build.sh [BUILDDIR]   (default _build-fuzz)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/_build-fuzz}
mkdir -p "$build"
build=$(cd "$build" && pwd)
cd "$top"
. deploy/lib.sh

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "$CC not found: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }

# The libraries, with coverage instrumentation but no libFuzzer main.
jpki_build "$top" "$build" CC="$CC" CFLAGS="-O1 -g $SAN -fsanitize=fuzzer-no-link" >&2

PKGS="libmicrohttpd gnutls libcrypto libssl libpq jansson libsystemd libp11 inih libargon2 liboath libcurl"
# shellcheck disable=SC2086 # PKGS is a list
CFLAGS="-std=c11 -O1 -g $SAN -fsanitize=fuzzer-no-link -Wall -Wextra -Werror -Wno-unused-parameter
	-I$top -I$build -D_GNU_SOURCE $(pkg-config --cflags $PKGS)"
# shellcheck disable=SC2086
LIBS="-Wl,--start-group $build/libjpkivcard.a $build/libjpkidaemon.a $build/libjpkiapi.a
	$build/libjpkidb.a $build/libjpkica.a $build/libjpkicommon.a -Wl,--end-group
	$(pkg-config --libs $PKGS) -lpthread -lm"

out=$build/tests/fuzz
mkdir -p "$out"
# Objects besides fuzz_NAME.c and fuzzlib.c that a harness needs.
extra() {
	case $1 in
	base64) echo b64_shim_ocsp b64_shim_issue b64_shim_pin_resets b64_shim_pinreset b64_shim_vcard ;;
	ocsp_req) echo b64_shim_ocsp ;;
	esac
}
newer() {	# newer FILE DEP...: 0 when a DEP is newer than FILE (or FILE is missing)
	local f=$1 d
	shift
	[ -f "$f" ] || return 0
	for d in "$@"; do [ "$d" -nt "$f" ] && return 0; done
	return 1
}
obj() {	# compile tests/fuzz/$1.c into $out/$1.o when it is out of date
	local src=tests/fuzz/$1.c o=$out/$1.o
	# The shims and fuzz_import.c #include project sources: any rebuilt
	# library means a source may have changed.
	if newer "$o" "$src" tests/fuzz/*.h "$build"/lib*.a; then
		# shellcheck disable=SC2086
		$CC $CFLAGS -c "$src" -o "$o"
	fi
}
obj fuzzlib
for src in tests/fuzz/fuzz_*.c; do
	h=$(basename "$src" .c)
	h=${h#fuzz_}
	objs="$out/fuzz_$h.o $out/fuzzlib.o"
	obj "fuzz_$h"
	for e in $(extra "$h"); do
		obj "$e"
		objs="$objs $out/$e.o"
	done
	# shellcheck disable=SC2086
	$CC $SAN -fsanitize=fuzzer -o "$out/fuzz_$h" $objs $LIBS
done
built=
for src in tests/fuzz/fuzz_*.c; do built="$built $(basename "$src" .c)"; done
echo "built in $out:$built" >&2
