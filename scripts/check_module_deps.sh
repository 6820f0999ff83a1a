#!/bin/sh
# Checks that each engine module's CMake target links exactly what its sources include: every
# hubsync_* module and external package (POCO components, fmt, SQLite) a source includes is
# linked, PUBLIC when one of the module's headers includes it (every header in lib/<module>/ is
# on the include path of whoever links the module), PRIVATE when only its .cc files do; nothing
# else is linked; and no module includes one above it in the layering
#   core -> model -> http -> config -> oauth -> api -> mirror -> sync -> service
# The simulator library (sim/) is checked the same way, outside the layering.
#
# Usage: scripts/check_module_deps.sh LINKS_DIR
# LINKS_DIR is the directory CMake writes at configure time (build/module_links): one file per
# target with the lines "public <targets>" and "private <targets>". The test `module_deps`
# runs this; it prints one line per problem and exits 1 when there is any.
set -eu
cd "$(dirname "$0")/.."

links=${1:?usage: scripts/check_module_deps.sh LINKS_DIR (e.g. build/module_links)}
layers="core model http config oauth api mirror sync service"
problems=0

# Position of a module in the layering (empty for one outside it, such as sim).
layer_of() {
    n=0
    for l in $layers; do
        n=$((n + 1))
        if [ "$l" = "$1" ]; then
            echo $n
            return
        fi
    done
}

# NetSSL's headers sit in Poco/Net/ beside Net's.
netssl_headers="AcceptCertificateHandler CertificateHandlerFactory CertificateHandlerFactoryMgr
 ConsoleCertificateHandler Context FTPSClientSession FTPSStreamFactory HTTPSClientSession
 HTTPSSessionInstantiator HTTPSStreamFactory InvalidCertificateHandler KeyConsoleHandler
 KeyFileHandler NetSSL PrivateKeyFactory PrivateKeyFactoryMgr PrivateKeyPassphraseHandler
 RejectCertificateHandler SSLException SSLManager SecureSMTPClientSession SecureServerSocket
 SecureServerSocketImpl SecureSocketImpl SecureStreamSocket SecureStreamSocketImpl Session
 Utility VerificationErrorArgs X509Certificate"
lib_modules=$(cd lib && for d in */; do printf '%s ' "${d%/}"; done)

# "file<TAB>target<TAB>included path" for every include of the given files that names a
# CMake target; standard and system headers name none.
includes_of() {
    for f in "$@"; do
        shift
        if [ -f "$f" ]; then set -- "$@" "$f"; fi
    done
    [ $# -gt 0 ] || return 0
    awk -v netssl="$netssl_headers" -v modules="$lib_modules" '
        BEGIN {
            n = split(netssl, names, /[ \n]+/)
            for (i = 1; i <= n; i++) ssl["Poco/Net/" names[i] ".h"] = 1
            n = split(modules, mods, " ")
            for (i = 1; i <= n; i++) lib[mods[i]] = 1
        }
        /^[ \t]*#[ \t]*include[ \t]*[<"]/ {
            path = $0
            sub(/^[ \t]*#[ \t]*include[ \t]*[<"]/, "", path)
            sub(/[>"].*/, "", path)
            top = path
            sub(/\/.*/, "", top)
            t = ""
            if (path in ssl) t = "Poco::NetSSL"
            else if (path ~ /^Poco\/Net\//) t = "Poco::Net"
            else if (path ~ /^Poco\/JSON\//) t = "Poco::JSON"
            else if (path ~ /^Poco\/Crypto\//) t = "Poco::Crypto"
            else if (path ~ /^Poco\/Util\//) t = "Poco::Util"
            else if (path ~ /^Poco\//) t = "Poco::Foundation"
            else if (path ~ /^fmt\//) t = "fmt::fmt"
            else if (path == "sqlite3.h") t = "SQLite::SQLite3"
            else if (path ~ /\// && (top in lib)) t = "hubsync_" top
            else if (path ~ /^sim\//) t = "hubsync_sim"
            if (t != "") print FILENAME "\t" t "\t" path
        }' "$@"
}

# Whether a target is one this check knows (others, such as Threads::Threads, are left alone).
checked() {
    case $1 in
        hubsync_* | Poco::* | fmt::fmt | SQLite::SQLite3) return 0 ;;
    esac
    return 1
}

# Prints one line per problem of a module: its name, its target, its directory (whose headers
# are public) and its .cc files.
check_module() {
    module=$1 target=$2 dir=$3
    file="$links/$target"
    if [ ! -f "$file" ]; then
        echo "$target: no $file (configure the build first)"
        return
    fi
    declared_public=$(sed -n 's/^public//p' "$file")
    declared_private=$(sed -n 's/^private//p' "$file")
    # shellcheck disable=SC2086
    header_uses=$(includes_of "$dir"/*.h | awk -F'\t' -v self="$target" '$2 != self')
    # shellcheck disable=SC2086
    source_uses=$(includes_of $4 | awk -F'\t' -v self="$target" '$2 != self')
    all_uses=$(printf '%s\n%s\n' "$header_uses" "$source_uses" | sed '/^$/d')

    needed_public=$(printf '%s\n' "$header_uses" | cut -f2 | sed '/^$/d' | sort -u)
    needed_all=$(printf '%s\n' "$all_uses" | cut -f2 | sed '/^$/d' | sort -u)

    for t in $needed_all; do
        first=$(printf '%s\n' "$all_uses" | awk -F'\t' -v t="$t" '$2 == t {print $1 " includes " $3; exit}')
        case " $declared_public $declared_private " in
            *" $t "*) ;;
            *) echo "$target: $first, but $target does not link $t" ;;
        esac
    done
    for t in $needed_public; do
        first=$(printf '%s\n' "$header_uses" | awk -F'\t' -v t="$t" '$2 == t {print $1 " includes " $3; exit}')
        case " $declared_private " in
            *" $t "*) echo "$target: $first, so $target must link $t PUBLIC, not PRIVATE" ;;
        esac
    done
    for t in $declared_public $declared_private; do
        checked "$t" || continue
        case " $(echo $needed_all) " in
            *" $t "*) ;;
            *) echo "$target links $t, but no source in $dir includes it" ;;
        esac
    done
    for t in $declared_public; do
        checked "$t" || continue
        case " $(echo $needed_all) " in
            *" $t "*)
                case " $(echo $needed_public) " in
                    *" $t "*) ;;
                    *) echo "$target links $t PUBLIC, but only its .cc files include it (PRIVATE)" ;;
                esac
                ;;
        esac
    done

    own=$(layer_of "$module")
    [ -n "$own" ] || return 0
    printf '%s\n' "$all_uses" | while IFS="$(printf '\t')" read -r f t path; do
        case $t in hubsync_*) ;; *) continue ;; esac
        other=$(layer_of "${t#hubsync_}")
        if [ -n "$other" ] && [ "$other" -gt "$own" ]; then
            echo "$target: $f includes $path, a module above $module in the layering"
        fi
    done
}

for m in $layers; do
    out=$(check_module "$m" "hubsync_$m" "lib/$m" "lib/$m/*.cc")
    if [ -n "$out" ]; then
        echo "$out"
        problems=$((problems + $(printf '%s\n' "$out" | wc -l)))
    fi
done
sim_sources=$(ls sim/*.cc | grep -v -e '/main\.cc$' -e '/bench_sim\.cc$')
out=$(check_module sim hubsync_sim sim "$sim_sources")
if [ -n "$out" ]; then
    echo "$out"
    problems=$((problems + $(printf '%s\n' "$out" | wc -l)))
fi

if [ "$problems" -gt 0 ]; then
    echo "$problems problem(s): fix the includes or the target_link_libraries line named"
    exit 1
fi
echo "module dependencies: every module links exactly what it includes, nothing upwards"
