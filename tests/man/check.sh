#!/usr/bin/env bash
# Man pages (issue 14): man/jpkid.8, man/jpkictl.8, man/jpki-terminal.1 and
# man/jpkid.conf.5 are mandoc -Tlint clean, document what the sources accept
# (every config key of daemon/config.c, every jpkictl subcommand and option,
# every jpki-terminal command and option), are installed by make install and
# render; every program answers --help, -h and --version with exit 0 and an
# invalid option with exit 2.
#
#   tests/man/check.sh BUILDDIR
#
# The lists are taken from the sources, so a new key, command or option
# without documentation fails here:
# - config keys: the rows '{ "SECTION", "NAME", K_...' of keys[] in
#   daemon/config.c, plus the rows '{ sec, "NAME", K_...' of its KEYPAIR macro
#   expanded for each 'KEYPAIR("SECTION", ...)'. In jpkid.conf.5 a key is
#   documented by '.It Cm NAME' under a '.Ss' line naming '[SECTION]'.
# - jpkictl: the '{ "NAME", jpkictl_..._main' rows of tools/jpkictl.c, the
#   named[] commands and "list" of tools/jpkictl_operator.c, "verify" of
#   tools/jpkictl_audit.c; options: every '{ "NAME", ..._argument' row of
#   tools/jpkictl*.c. A subcommand is documented by '.It Cm NAME ...'.
# - jpki-terminal: the '{ "WORD1", "WORD2"|NULL, cmd_...' rows of cmds[] and
#   the longopts[] rows of tools/jpki_terminal.c.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: tests/man/check.sh BUILDDIR}" && pwd)
man="$top/man"
work=$(mktemp -d /tmp/jpkid-man.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {	# NAME COMMAND (eval'd)
	if (eval "$2") >"$work/out" 2>&1; then
		echo "ok - $1"; passed=$((passed + 1))
	else
		echo "not ok - $1"; sed 's/^/    /' "$work/out" | head -n 20; failed=$((failed + 1))
	fi
}
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$build/config.h")
pages="jpkid.8 jpkictl.8 jpki-terminal.1 jpkid.conf.5"

# ---- mandoc -Tlint ----
for p in $pages; do
	check "test_${p}_lint_clean" 'out=$(mandoc -Tlint -Wwarning "$man/$p" 2>&1); rc=$?; [ -z "$out" ] && [ "$rc" -eq 0 ] || { echo "exit $rc"; echo "$out"; false; }'
done

# ---- jpkid.conf.5: every key daemon/config.c accepts ----
config_keys() {	# SECTION.NAME per line
	awk '
	/^#define KEYPAIR/ { inmacro = 1 }
	inmacro && match($0, /\{ sec, "[a-z0-9_]+", K_/) {
		s = substr($0, RSTART, RLENGTH); sub(/^\{ sec, "/, "", s); sub(/", K_$/, "", s)
		pair[++np] = s
	}
	inmacro && !/\\$/ { inmacro = 0 }
	match($0, /^[ \t]*KEYPAIR\("[a-z.]+"/) {
		s = substr($0, RSTART, RLENGTH); sub(/^[ \t]*KEYPAIR\("/, "", s); sub(/"$/, "", s)
		for (i = 1; i <= np; i++) print s "." pair[i]
	}
	match($0, /\{ "[a-z.]+", "[a-z0-9_]+", K_/) {
		s = substr($0, RSTART, RLENGTH); sub(/^\{ "/, "", s); sub(/", K_$/, "", s)
		sub(/", "/, ".", s); print s
	}' "$top/daemon/config.c"
}
documented_keys() {	# SECTION.NAME per line, from the .Ss [SECTION] blocks of jpkid.conf.5
	awk '
	/^\.Sh / { n = 0 }
	/^\.Ss / { n = 0; line = $0
		while (match(line, /\[[a-z.]+\]/)) {
			sec[++n] = substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, RSTART + RLENGTH)
		}
	}
	/^\.It Cm [a-z0-9_]+/ { for (i = 1; i <= n; i++) print sec[i] "." $3 }' "$man/jpkid.conf.5"
}
config_keys | sort -u > "$work/keys.src"
documented_keys | sort -u > "$work/keys.man"
check "test_config_keys_extracted_from_source ($(wc -l < "$work/keys.src") keys)" \
	'[ "$(wc -l < "$work/keys.src")" -ge 80 ] && grep -qx ca.sign.pin_file "$work/keys.src" && grep -qx daemon.log_level "$work/keys.src"'
check test_every_config_key_in_jpkid.conf.5 'missing=$(comm -23 "$work/keys.src" "$work/keys.man"); [ -z "$missing" ] || { echo "not in man/jpkid.conf.5: $missing"; false; }'
check test_no_config_key_in_jpkid.conf.5_that_jpkid_refuses 'extra=$(comm -13 "$work/keys.src" "$work/keys.man"); [ -z "$extra" ] || { echo "unknown to daemon/config.c: $extra"; false; }'
# Each key says whether SIGHUP applies it (daemon/main.c reload()).
check test_every_config_key_says_reload_or_restart 'awk "
	/^\\.It Cm / { if (key != \"\" && !ok) print key; key = \$3; ok = 0; next }
	/^\\.(Ss|Sh|El)/ { if (key != \"\" && !ok) print key; key = \"\" }
	/applied on reload|needs a restart/ { ok = 1 }" "$man/jpkid.conf.5" > "$work/noreload"; [ ! -s "$work/noreload" ] || { echo "no reload behaviour:"; cat "$work/noreload"; false; }'
# The first EXAMPLES block has the settings of deploy/jpkid.conf.example (sections
# and uncommented keys, in order).
settings() { grep -Ev '^[[:space:]]*(#|$)' "$1" | sed 's/[[:space:]]*=[[:space:]]*/ = /'; }
awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Ed/ { exit } ex && lit { print } ex && /^\.Bd -literal/ { lit = 1 }' "$man/jpkid.conf.5" > "$work/example.conf"
check test_jpkid.conf.5_example_matches_deploy_example 'settings "$top/deploy/jpkid.conf.example" > "$work/a"; settings "$work/example.conf" > "$work/b"; [ -s "$work/a" ] && diff "$work/a" "$work/b"'

# ---- jpkictl.8: every subcommand and option ----
{
	sed -n 's/^[ \t]*{ "\([a-z]*\)", jpkictl_[a-z]*_main,.*/\1/p' "$top/tools/jpkictl.c"
	sed -n '/named\[\] = {/,/NULL }/p' "$top/tools/jpkictl_operator.c" | grep -o '"[a-z]*"' | tr -d '"' | sed 's/^/operator /'
	echo "operator list"
	grep -o 'strcmp(argv\[1\], "[a-z]*") == 0)$' "$top/tools/jpkictl_audit.c" | grep -o '"[a-z]*"' | tr -d '"' | sed 's/^/audit /'
} > "$work/ctl.cmds"
check "test_jpkictl_commands_extracted ($(wc -l < "$work/ctl.cmds"))" 'grep -qx init "$work/ctl.cmds" && grep -qx "operator totp" "$work/ctl.cmds" && grep -qx "audit verify" "$work/ctl.cmds"'
while read -r c; do
	check "test_jpkictl.8_documents_${c// /_}" 'grep -Eq "^\.It Cm $c( |\$)" "$man/jpkictl.8"'
done < "$work/ctl.cmds"
grep -ho '{ *"[a-z-]*", *\(required\|no\)_argument' "$top"/tools/jpkictl*.c | sed 's/{ *"\([a-z-]*\)".*/\1/' | sort -u > "$work/ctl.opts"
check "test_jpkictl.8_documents_every_option ($(wc -l < "$work/ctl.opts"))" 'm=""; while read -r o; do grep -q "Fl \\\\-$o\\b" "$man/jpkictl.8" || m="$m --$o"; done < "$work/ctl.opts"; [ -s "$work/ctl.opts" ] && [ -z "$m" ] || { echo "missing:$m"; false; }'

# ---- jpki-terminal.1: every command and option ----
sed -n 's/^[ \t]*{ "\([a-z-]*\)", \(NULL\|"\([a-z-]*\)"\), cmd_.*/\1 \3/p' "$top/tools/jpki_terminal.c" | sed 's/ $//' > "$work/term.cmds"
check "test_jpki_terminal_commands_extracted ($(wc -l < "$work/term.cmds"))" 'grep -qx "card new" "$work/term.cmds" && grep -qx lookup "$work/term.cmds" && grep -qx "kiosk pin-reset" "$work/term.cmds"'
while read -r c; do
	check "test_jpki-terminal.1_documents_${c// /_}" 'grep -Eq "^\.It Cm $c( |\$)" "$man/jpki-terminal.1"'
done < "$work/term.cmds"
sed -n '/longopts\[\] = {/,/NULL, 0, NULL, 0/p' "$top/tools/jpki_terminal.c" | sed -n 's/.*{ "\([a-z-]*\)",.*/\1/p' | sort -u > "$work/term.opts"
check "test_jpki-terminal.1_documents_every_option ($(wc -l < "$work/term.opts"))" 'm=""; while read -r o; do grep -q "Fl \\\\-$o\\b" "$man/jpki-terminal.1" || m="$m --$o"; done < "$work/term.opts"; [ -s "$work/term.opts" ] && [ -z "$m" ] || { echo "missing:$m"; false; }'

# ---- jpkid.8: every getopt letter ----
opts=$(sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p; s/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$top/daemon/main.c" | tr -d ':')
check "test_jpkid.8_documents_every_option (-$opts)" '[ -n "$opts" ] && for o in $(echo "$opts" | fold -w1); do grep -q "^\.It Fl $o" "$man/jpkid.8" || { echo "missing -$o"; exit 1; }; done'

# ---- --help, -h, --version, an invalid option ----
for prog in jpkid jpkictl jpki-terminal; do
	bin="$build/$prog"
	for h in --help -h; do
		check "test_${prog}_${h}_usage_on_stdout_exit_0" '"$bin" $h >"$work/o" 2>"$work/e"; rc=$?; [ "$rc" -eq 0 ] && grep -q "$prog" "$work/o" && grep -qi usage "$work/o" && [ ! -s "$work/e" ] || { echo "exit $rc"; cat "$work/o" "$work/e"; false; }'
	done
	check "test_${prog}_--version_prints_${version}" 'out=$("$bin" --version); rc=$?; [ "$rc" -eq 0 ] && [ "$out" = "$prog $version" ] || { echo "exit $rc: $out"; false; }'
	check "test_${prog}_invalid_option_exit_2_usage_on_stderr" '"$bin" --no-such-option >"$work/o" 2>"$work/e"; rc=$?; [ "$rc" -eq 2 ] && grep -qi usage "$work/e" && [ ! -s "$work/o" ] || { echo "exit $rc"; cat "$work/o" "$work/e"; false; }'
done
check "test_jpkid_-V_prints_${version}" '[ "$("$build/jpkid" -V)" = "jpkid $version" ]'
check test_jpkid_without_-c_exit_2 '"$build/jpkid" >/dev/null 2>"$work/e"; [ $? -eq 2 ] && grep -q usage "$work/e"'
check test_jpkictl_help_command_exit_0 '"$build/jpkictl" help >"$work/o" 2>&1 && grep -q "operator" "$work/o"'
for c in init migrate enroll operator audit; do
	check "test_jpkictl_${c}_--help_on_stdout_exit_0" '"$build/jpkictl" $c --help >"$work/o" 2>"$work/e" && grep -q "jpkictl $c" "$work/o" && [ ! -s "$work/e" ]'
	check "test_jpkictl_help_${c}_exit_0" '"$build/jpkictl" help $c >"$work/o" 2>"$work/e" && grep -q "jpkictl $c" "$work/o"'
done
check test_jpkictl_unknown_command_exit_2 '"$build/jpkictl" frobnicate >/dev/null 2>"$work/e"; [ $? -eq 2 ] && grep -q "unknown command" "$work/e"'

# ---- make install puts them in man1, man5, man8; they render ----
dest="$work/dest"
check test_make_install_installs_the_man_pages 'make -C "$build" -s install DESTDIR="$dest" >"$work/install.log" 2>&1 || { tail "$work/install.log"; exit 1; }
	for f in man1/jpki-terminal.1 man5/jpkid.conf.5 man8/jpkid.8 man8/jpkictl.8; do
		[ -n "$(find "$dest" -path "*/share/man/$f" -type f)" ] || { echo "not installed: $f"; exit 1; }; done'
for p in $pages; do
	name=${p%.*}
	check "test_${p}_renders_with_its_NAME_line" 'mandoc -Tutf8 "$man/$p" | sed "s/.\x08//g" > "$work/r" && grep -A1 "^NAME" "$work/r" | grep -Eq "^ *$name (–|—|-) [a-z]"'
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
