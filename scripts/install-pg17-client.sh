#!/usr/bin/env bash
# Installs the PostgreSQL 17 client tools (pg_basebackup, pg_combinebackup,
# pg_verifybackup, pg_waldump, pg_controldata, psql, ...) into one prefix, default
# /opt/dbrs-pg17, with a bin/ of small wrappers: PREFIX/bin/pg_basebackup
# --version works. Idempotent: a complete install is left alone.
#
# Why it exists: incremental physical backups (pg_basebackup --incremental,
# pg_combinebackup) need the client tools of PostgreSQL 17, and this machine
# is Debian 12, whose apt has postgresql-client-15 only. Debian 13 (trixie)
# ships 17, but its binaries need glibc 2.38. So the trixie packages are
# fetched with apt-get download through a PRIVATE apt state (its own source
# list, lists and cache under a temp dir; /etc/apt and dpkg's database are
# never touched, nothing of trixie is installed system-wide), unpacked with
# dpkg -x, and each tool is started through trixie's own dynamic loader with
# trixie's libc/libpq/libldap first on the library path and Debian 12's
# libraries (libzstd, libssl, krb5, ...) after them.
#
# The wrappers pass the loader --argv0 with the wrapper's own path: tools that
# run a sibling (pg_verifybackup runs pg_waldump, pg_dumpall runs pg_dump)
# look for it next to argv[0], and so find its wrapper, not a bare binary
# that cannot start on this system's loader.
#
# Usage: scripts/install-pg17-client.sh [PREFIX]   (or DBRS_PG17_PREFIX=...)
# The backup library finds the tools through its binDir / toolPaths options;
# its tests read DBRS_PG17_BIN (default PREFIX/bin).
set -euo pipefail

prefix="${1:-${DBRS_PG17_PREFIX:-/opt/dbrs-pg17}}"
major=17
case "$prefix" in /?*/*|/opt/?*|/usr/local/?*) ;; *) echo "install-pg17-client: give an absolute prefix below a directory (got '$prefix')" >&2; exit 1 ;; esac
prefix="${prefix%/}"
tools=(pg_basebackup pg_combinebackup pg_verifybackup pg_waldump pg_controldata pg_receivewal psql pg_dump pg_dumpall pg_restore)
arch="$(dpkg --print-architecture)"
triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
loader_name="ld-linux-x86-64.so.2"
[ "$arch" = amd64 ] || { echo "install-pg17-client: only amd64 is supported (found $arch)" >&2; exit 1; }

installed() {
  local t
  for t in "${tools[@]}"; do
    "$prefix/bin/$t" --version 2>/dev/null | grep -q "(PostgreSQL) $major\." || return 1
  done
}

if installed; then
  echo "PostgreSQL $major client tools already in $prefix/bin ($("$prefix/bin/pg_basebackup" --version))"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/dbrs-pg17.XXXXXX")"
# The staging dir renamed into place at the end: removed with the work dir when any step before the rename fails.
stage="$prefix.new.$$"
trap 'rm -rf "$work" "$stage"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
cat >"$work/trixie.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_private=(
  -o "Dir::Etc::sourcelist=$work/trixie.sources"
  -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "APT::Sandbox::User=root"
)
echo "fetching the trixie package lists (private apt state in $work)"
apt-get "${apt_private[@]}" -qq update
# postgresql-17 (the server package) only for pg_waldump, which pg_verifybackup runs to check the backup's WAL, and
# pg_controldata, which a point-in-time restore reads beside the postgres binary it starts.
(cd "$work/debs" && apt-get "${apt_private[@]}" -qq download \
  "postgresql-client-$major" "postgresql-$major" libpq5 libc6 libldap2)
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done

rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/libexec" "$stage/lib"
cp -a "$work/root/usr/lib/$triplet/." "$stage/lib/"
[ -x "$stage/lib/$loader_name" ] || { echo "install-pg17-client: no $loader_name in libc6 of trixie" >&2; exit 1; }
for t in "${tools[@]}"; do
  src="$work/root/usr/lib/postgresql/$major/bin/$t"
  [ -x "$src" ] || { echo "install-pg17-client: $t not found in the trixie packages" >&2; exit 1; }
  cp "$src" "$stage/libexec/$t"
  # The final prefix is written in (not the staging dir): the directory is renamed into place below.
  cat >"$stage/bin/$t" <<EOF
#!/bin/sh
# PostgreSQL $major $t from Debian trixie, started through trixie's loader (scripts/install-pg17-client.sh).
exec "$prefix/lib/$loader_name" --library-path "$prefix/lib:/lib/$triplet:/usr/lib/$triplet" --argv0 "\$0" "$prefix/libexec/$t" "\$@"
EOF
  chmod 755 "$stage/bin/$t"
done
chmod -R a+rX "$stage"
rm -rf "$prefix"
mv "$stage" "$prefix"

installed || { echo "install-pg17-client: the installed tools do not run:" >&2; "$prefix/bin/pg_basebackup" --version >&2; exit 1; }
echo "installed PostgreSQL $major client tools in $prefix/bin: $("$prefix/bin/pg_combinebackup" --version)"
