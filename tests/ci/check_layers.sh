#!/usr/bin/env bash
# The layering of docs/architecture.md, checked on every #include:
#   libpkg/   its own headers; no libsolv, no curl, nothing from the layers above
#   repodata/ libpkg + its own (public include/, internal/, src/) + libsolv, curl, zstd
#   solver/   libpkg + repodata (its internal libsolv API too) + libsolv; no curl
#   cli/      the public headers of the three layers; no libsolv, no curl, no
#             repodata/internal (the build also withholds their include paths)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
headers() { for d in "$@"; do [ -d "$d" ] && ls "$d"; done | sed 's|^|krait/|'; }
libpkg=$(headers libpkg/include/krait)
repodata_pub=$(headers repodata/include/krait)
repodata_int=$(headers repodata/internal/krait)
solver_pub=$(headers solver/include/krait)
status=0
check() { # layer dir, allowed krait/ headers, forbidden system prefixes (regex)
  local dir=$1 allowed=$2 forbidden=$3 f inc
  while IFS=: read -r f inc; do
    case $inc in
      krait/*) grep -qxF "$inc" <<<"$allowed" || { echo "$f: includes $inc (not allowed in $dir/)"; status=1; } ;;
      *) if [ -n "$forbidden" ] && grep -qE "^($forbidden)" <<<"$inc"; then
           echo "$f: includes <$inc> (not allowed in $dir/)"; status=1
         fi ;;
    esac
  done < <(grep -rHoE '#include [<"][^>"]+[>"]' "$dir" --include=*.c --include=*.h |
           sed -E 's/#include [<"]([^>"]+)[>"]/\1/')
}
check libpkg "$libpkg" 'solv/|curl/'
check repodata "$libpkg"$'\n'"$repodata_pub"$'\n'"$repodata_int" ''
check solver "$libpkg"$'\n'"$repodata_pub"$'\n'"$repodata_int"$'\n'"$solver_pub" 'curl/'
check cli "$libpkg"$'\n'"$repodata_pub"$'\n'"$solver_pub" 'solv/|curl/'
# no libsolv type in a public header
if grep -nE '\b(Pool|Repo|Solvable|Queue)\b *\*|\bId\b' libpkg/include/krait/*.h repodata/include/krait/*.h \
     solver/include/krait/*.h; then
  echo "a public header mentions a libsolv type (above)"; status=1
fi
[ $status = 0 ] && echo "layers: every #include is allowed"
exit $status
