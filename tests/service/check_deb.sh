#!/bin/sh
# Builds the Debian package from a build directory with `cpack -G DEB` and checks what it
# would install: binaries, units, sysusers.d/tmpfiles.d entries, the conffile, library
# dependencies and maintainer scripts that set up but never start the service.
# Usage: check_deb.sh BUILD_DIR   (the hubsync and hubspot-sim targets must be built)
set -eu

build=$(cd "${1:?usage: check_deb.sh BUILD_DIR}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hubsync-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log" >&2
    echo "FAIL: cpack -G DEB failed" >&2
    exit 1
}
deb=$(ls "$work"/out/hubsync_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$work/cpack.log" >&2; echo "FAIL: no hubsync_*.deb produced" >&2; exit 1; }
echo "package: $(basename "$deb")"

dpkg-deb -c "$deb" | awk '{print $1, $6}' >"$work/contents"
for path in ./usr/bin/hubsync ./usr/bin/hubspot-sim; do
    grep -q "^-rwxr-xr-x $path\$" "$work/contents" || fail "$path missing or not executable"
done
for path in ./usr/lib/systemd/system/hubsync.service ./usr/lib/systemd/system/hubsync@.service \
            ./usr/lib/sysusers.d/hubsync.conf ./usr/lib/tmpfiles.d/hubsync.conf \
            ./etc/hubsync/hubsync.conf; do
    grep -q "^-rw-r--r-- $path\$" "$work/contents" || fail "$path missing or not mode 0644"
done
if grep -q -e '/usr/local' -e '_CPack_Packages' "$work/contents"; then
    fail "files outside the package prefix"
fi

dpkg-deb -x "$deb" "$work/root"
grep -q '^ExecStart=/usr/bin/hubsync run$' "$work/root/usr/lib/systemd/system/hubsync.service" ||
    fail "hubsync.service does not start /usr/bin/hubsync"
cmp -s "$work/root/etc/hubsync/hubsync.conf" "$(dirname "$0")/../../etc/hubsync.conf" ||
    fail "/etc/hubsync/hubsync.conf differs from etc/hubsync.conf"

dpkg-deb -f "$deb" Package Depends >"$work/control"
grep -q '^Package: hubsync$' "$work/control" || fail "package name is not hubsync"
for dep in libpoco libfmt9 libsqlite3-0 systemd; do
    grep -q "^Depends:.*$dep" "$work/control" || fail "Depends lacks $dep"
done

dpkg-deb -e "$deb" "$work/control.d"
grep -qx '/etc/hubsync/hubsync.conf' "$work/control.d/conffiles" || fail "hubsync.conf is not a conffile"
for script in postinst prerm postrm; do
    [ -x "$work/control.d/$script" ] || fail "$script missing or not executable"
    sh -n "$work/control.d/$script" || fail "$script has a syntax error"
done
grep -q 'systemd-sysusers' "$work/control.d/postinst" || fail "postinst does not create the user"
grep -q 'systemd-tmpfiles --create' "$work/control.d/postinst" || fail "postinst does not create the state directories"
if grep -E 'systemctl' "$work/control.d/postinst" | grep -E -q ' (enable|start|restart) '; then
    fail "postinst starts or enables the service"
fi

# The packaged binary accepts the packaged example configuration.
if [ -x "$work/root/usr/bin/hubsync" ]; then
    printf 'example-client-secret\n' >"$work/client_secret"
    chmod 600 "$work/client_secret"
    if ! HUBSYNC_HUBSPOT_CLIENT_SECRET_FILE="$work/client_secret" \
        "$work/root/usr/bin/hubsync" --config "$work/root/etc/hubsync/hubsync.conf" check-config \
        >"$work/check.log" 2>&1; then
        cat "$work/check.log" >&2
        fail "hubsync check-config rejects the packaged example configuration"
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "package contents OK"
