#!/usr/bin/env bash
# The Debian packages (debian/, docs/deploy.md): build jpkid, jpkictl and
# jpki-terminal from a clean copy of the tree, lintian them (no E:), unpack
# them into a throwaway root (dpkg -x, no container, no maintainer scripts)
# and check what an installation gets: the programs run and link, jpkid -t
# accepts the packaged configuration pointed at a CA made by the packaged
# jpkictl, the units, sysusers and tmpfiles files are where systemd looks.
#
#   bash tests/deb/check.sh [BUILDDIR]
#
# The clean copy: `make distdir` of BUILDDIR when it has a Makefile (what a
# release tarball holds, so EXTRA_DIST must carry debian/), else
# `git archive HEAD`. Needs debhelper, dpkg-dev, lintian (deploy/lib.sh).
# Prints "ok - NAME" / "not ok - NAME" per test and "N passed, N failed" last.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-}
[ -n "$build" ] && build=$(cd "$build" 2>/dev/null && pwd)
work=$(mktemp -d /tmp/jpki-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
expect() {	# expect NAME COMMAND...: ok when COMMAND exits 0
	local name=$1
	shift
	if "$@" >"$work/expect.out" 2>&1; then ok "$name"; else
		not_ok "$name"
		sed 's/^/# /' "$work/expect.out" | tail -n 20
	fi
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit; }

for t in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v "$t" >/dev/null || { not_ok "setup_tool_$t (apt-get install debhelper dpkg-dev lintian)"; finish; }
done

# ------------------------------------------------------------ clean copy
version=$(sed -n 's/^AC_INIT(\[jpkid\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
src=$work/src/jpkid-$version
mkdir -p "$work/src"
if [ -n "$build" ] && [ -f "$build/Makefile" ]; then
	how="make distdir ($build)"
	make -C "$build" -s distdir distdir="$src" top_distdir="$src" >"$work/dist.log" 2>&1
else
	how="git archive HEAD"
	git -C "$top" archive --prefix="jpkid-$version/" HEAD 2>"$work/dist.log" | tar -x -C "$work/src"
fi
[ -f "$src/debian/control" ] || { cat "$work/dist.log"; not_ok "setup_clean_copy_has_debian ($how)"; finish; }
ok "clean_copy_has_debian ($how)"
expect changelog_version_is_configure_ac_version \
	test "$(cd "$src" && dpkg-parsechangelog -S Version)" = "$version"

# ------------------------------------------------------------ build
t0=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck noautodbgsym" \
	dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1
rc=$?
echo "# dpkg-buildpackage: rc $rc, $(($(date +%s) - t0)) s"
if [ $rc != 0 ]; then
	tail -n 40 "$work/build.log" | sed 's/^/# /'
	not_ok dpkg_buildpackage_builds
	finish
fi
ok dpkg_buildpackage_builds
arch=$(dpkg --print-architecture)
changes=$work/src/jpkid_${version}_$arch.changes
for p in jpkid jpkictl jpki-terminal; do
	expect "deb_built_$p" test -f "$work/src/${p}_${version}_$arch.deb"
done

# ------------------------------------------------------------ lintian
lintian --tag-display-limit 0 "$changes" >"$work/lintian.out" 2>&1
grep -v '^N:' "$work/lintian.out" | grep -v 'running with root privileges' | sed 's/^/# lintian: /'
expect lintian_no_errors eval '! grep -q "^E:" "$work/lintian.out"'

# ------------------------------------------------------------ unpack
root=$work/root
mkdir -p "$root"
for p in jpkid jpkictl jpki-terminal; do
	dpkg-deb -x "$work/src/${p}_${version}_$arch.deb" "$root"
done
jpkid=$root/usr/sbin/jpkid
jpkictl=$root/usr/sbin/jpkictl
terminal=$root/usr/bin/jpki-terminal

for b in "$jpkid" "$jpkictl" "$terminal"; do
	n=$(basename "$b")
	expect "links_$n" eval 'ldd "$b" > "$work/ldd.out" && ! grep "not found" "$work/ldd.out"'
done
# Man pages (make install, dist_man_MANS): each in its program's package
# (debian/*.install).
for m in jpkid:man8/jpkid.8 jpkid:man5/jpkid.conf.5 jpkictl:man8/jpkictl.8 \
    jpki-terminal:man1/jpki-terminal.1; do
	p=${m%%:*} page=${m#*:}
	expect "man_${page#*/}_in_$p" eval \
		'dpkg-deb -c "$work/src/${p}_${version}_$arch.deb" > "$work/contents" && grep -q "\./usr/share/man/$page\.gz$" "$work/contents"'
done
expect jpkid_version_is_package_version eval '[ "$("$jpkid" -V)" = "jpkid $version" ]'
for b in "$jpkid" "$jpkictl" "$terminal"; do
	expect "help_runs_$(basename "$b")" eval '"$b" --help > "$work/help.out" && grep -q "$(basename "$b")" "$work/help.out"'
done

# jpkid -t with the packaged configuration: its /etc/jpkid paths point at
# a development CA that the packaged jpkictl makes (a real installation
# has the files there, or pkcs11: URIs; docs/deploy.md).
ca=$work/ca
expect jpkictl_init_makes_a_ca eval '"$jpkictl" init --dir "$ca" >"$work/init.out"'
conf=$work/jpkid.conf
sed -e "s#/etc/jpkid/#$ca/#g" -e "s|^#answer_key = |answer_key = |" "$root/etc/jpkid/jpkid.conf" > "$conf"
expect jpkid_t_accepts_packaged_config eval \
	'"$jpkid" -t -c "$conf" > "$work/t.out" 2>&1 && grep -q "configuration and keys OK" "$work/t.out"'
# ... and fails without the keys (the test can fail).
sed "s#^key = $ca/sign-ca.key#key = $work/missing.key#" "$conf" > "$work/nokey.conf"
expect jpkid_t_refuses_missing_ca_key eval '! "$jpkid" -t -c "$work/nokey.conf" >/dev/null 2>&1'
expect example_config_is_the_conffile cmp "$root/etc/jpkid/jpkid.conf" "$root/usr/share/doc/jpkid/examples/jpkid.conf"
expect conffile_declared eval 'dpkg-deb -I "$work/src/jpkid_${version}_$arch.deb" conffiles > "$work/conffiles" && grep -qx /etc/jpkid/jpkid.conf "$work/conffiles"'

# ------------------------------------------------------------ systemd
for u in jpkid.service jpkid-api.socket jpkid-status.socket jpkid-console.socket; do
	expect "unit_$u" cmp "$root/lib/systemd/system/$u" "$top/deploy/$u"
done
expect unit_execstart_binary_is_packaged eval \
	'exec=$(sed -n "s/^ExecStart=\([^ ]*\).*/\1/p" "$root/lib/systemd/system/jpkid.service") && [ "$exec" = /usr/sbin/jpkid ] && [ -x "$root$exec" ]'
expect sysusers_file cmp "$root/usr/lib/sysusers.d/jpkid.conf" "$top/deploy/jpkid.sysusers"
expect tmpfiles_file cmp "$root/usr/lib/tmpfiles.d/jpkid.conf" "$top/deploy/jpkid.tmpfiles"
ctl=$work/ctl
dpkg-deb -e "$work/src/jpkid_${version}_$arch.deb" "$ctl"
# The user must exist before tmpfiles gives it /var/lib/jpkid.
expect postinst_sysusers_then_tmpfiles eval \
	's=$(grep -m1 -n "systemd-sysusers" "$ctl/postinst" | cut -d: -f1) && t=$(grep -m1 -n "systemd-tmpfiles" "$ctl/postinst" | cut -d: -f1) && [ -n "$s" ] && [ -n "$t" ] && [ "$s" -lt "$t" ]'
expect postinst_does_not_start_jpkid eval '! grep -q "deb-systemd-invoke" "$ctl/postinst"'
# What postinst would do, in the throwaway root (systemd-sysusers and
# systemd-tmpfiles with --root).
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$root/etc"
	expect sysusers_creates_jpkid_user eval \
		'systemd-sysusers --root="$root" jpkid.conf && grep -q "^jpkid:x:[0-9]*:[0-9]*:jpkid certificate authority:/var/lib/jpkid:" "$root/etc/passwd"'
	expect tmpfiles_creates_dirs eval \
		'systemd-tmpfiles --root="$root" --create jpkid.conf && gid=$(sed -n "s/^jpkid:x:\([0-9]*\):.*/\1/p" "$root/etc/group") && [ "$(stat -c "%a %g" "$root/etc/jpkid")" = "750 $gid" ] && [ "$(stat -c %a "$root/var/lib/jpkid")" = 700 ]'
fi

# ------------------------------------------------------------ dependencies
deps=$(dpkg-deb -f "$work/src/jpkid_${version}_$arch.deb" Depends)
echo "# jpkid Depends: $deps"
expect depends_libmicrohttpd eval 'grep -q "libmicrohttpd" <<<"$deps"'
expect depends_libpq eval 'grep -q "libpq5" <<<"$deps"'
expect depends_libjs_chart eval 'grep -q "libjs-chart.js" <<<"$deps"'
# The SQL migrations are compiled into jpkid and jpkictl (db/migrations_data.c):
# no files to install, jpkictl migrate and jpkid's [daemon] migrate use them.
expect migrations_embedded_in_jpkictl grep -aq 'CREATE TABLE' "$jpkictl"
expect jpkictl_depends_libpq eval 'grep -q libpq5 <<<"$(dpkg-deb -f "$work/src/jpkictl_${version}_$arch.deb" Depends)"'
# The dashboard where jpkid looks by default ([console] dashboard_dir) and
# Chart.js where libjs-chart.js puts it ([console] chartjs).
expect dashboard_in_default_dir eval \
	'grep -aq /usr/share/jpkid/dashboard "$jpkid" && [ -f "$root/usr/share/jpkid/dashboard/index.html" ] && [ ! -e "$root/usr/share/jpkid/dashboard/README.md" ]'
expect dashboard_files_are_make_install_list eval \
	'diff <(cd "$root/usr/share/jpkid" && find dashboard -type f | LC_ALL=C sort) <(bash "$top/deploy/dashboard-files.sh")'
expect chartjs_default_path_from_libjs_chart eval \
	'grep -q "^#chartjs = /usr/share/javascript/chart.js/chart.min.js$" "$root/etc/jpkid/jpkid.conf" && { ! dpkg -s libjs-chart.js >/dev/null 2>&1 || grep -qx /usr/share/javascript/chart.js/chart.min.js <<<"$(dpkg -L libjs-chart.js)"; }'
finish
