#!/usr/bin/env bash
# Installs tollgate for tollgate's GitHub Action.
#
# For a release (v1.2.3), the release binary for this runner, checked against the action's own
# list of SHA-256 checksums: action/checksums.txt in the action's checkout, which the release
# workflow writes into the very commit the release tag names (never a file downloaded with the
# archive, which whoever replaced the archive could replace too). The archive is checked after
# the download and the binary after unpacking, and a binary the cache restored is checked
# before it is used; one that does not match is removed and the release downloaded again. A
# release that the list does not name is refused.
#
# For any other ref (a branch, a commit, `uses: ./`), or a runner the release has no binary
# for, the action's own source is built with `cargo install --locked --path`, so the binary
# always matches the action. Nothing lists a checksum for such a build, so it is cached only
# for a commit and only in runs on a branch or a tag, whose cache a pull request's runs cannot
# write (they write their own refs/pull/N/merge scope only). A `version` input that is neither
# a release (vX.Y.Z) nor the action's own ref is refused, never built as the action's source.
#
# Only the binary goes on the PATH: a copy in a fresh folder of RUNNER_TEMP, never the cache's
# folder, whose other files a restore brings back unchecked.
#
#   install.sh locate    writes dir, cacheable and cache-key to GITHUB_OUTPUT
#   install.sh install   installs into dir (after checking what the cache restored there) and
#                        puts a copy of the binary alone on GITHUB_PATH
#
# Inputs (environment): TOLLGATE_VERSION (the `version` input; may be empty),
# TOLLGATE_ACTION_REF (the action's ref, installed when the input is empty; empty for
# `uses: ./`), TOLLGATE_REPOSITORY (owner/name of the action's repository), TOLLGATE_SOURCE (the
# action's checkout, which holds action/checksums.txt; default: GITHUB_ACTION_PATH),
# TOLLGATE_DOWNLOAD_BASE (the releases' download address; default: the GitHub server's),
# GITHUB_REF, RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP.
set -euo pipefail

step="${1:?usage: install.sh locate|install}"
version_input="${TOLLGATE_VERSION:-}"
action_ref="${TOLLGATE_ACTION_REF:-}"
version="${version_input:-$action_ref}"
repository="${TOLLGATE_REPOSITORY:-}"
source_dir="${TOLLGATE_SOURCE:-${GITHUB_ACTION_PATH:-}}"
checksums="$source_dir/action/checksums.txt"
server="${GITHUB_SERVER_URL:-https://github.com}"
download_base="${TOLLGATE_DOWNLOAD_BASE:-$server/$repository/releases/download}"
github_output="${GITHUB_OUTPUT:-/dev/null}"

# The release target of this runner; empty when the releases do not cover it.
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
Linux/X64) triple=x86_64-unknown-linux-gnu ;;
Linux/ARM64) triple=aarch64-unknown-linux-gnu ;;
macOS/X64) triple=x86_64-apple-darwin ;;
macOS/ARM64) triple=aarch64-apple-darwin ;;
*) triple="" ;;
esac
runner="${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}"

# Prints the SHA-256 that the action's checksums.txt lists for the file named $1 (a release
# archive, or the binary's path inside it); prints nothing when the list does not name it.
listed_sha256() {
    if [[ -f "$checksums" ]]; then
        awk -v name="$1" 'NF == 2 && $2 == name && length($1) == 64 && $1 ~ /^[0-9a-f]+$/ { print $1; exit }' \
            "$checksums"
    fi
}

# Succeeds when the action's checksums.txt lists any file of release $1 (and not merely of a
# pre-release of it: v1.2.3-rc.1 is not v1.2.3).
release_listed() {
    [[ -f "$checksums" ]] &&
        awk -v prefix="tollgate-$1-" '
            NF == 2 && index($2, prefix) == 1 &&
                substr($2, length(prefix) + 1) ~ /^(x86_64|aarch64)-[a-z0-9_-]+(\.tar\.gz|\/tollgate)$/ { found = 1 }
            END { exit !found }' "$checksums"
}

# Prints the SHA-256 of the file $1.
sha256_of() {
    if command -v sha256sum > /dev/null; then
        sha256sum "$1" | awk '{ print $1 }'
    else
        shasum -a 256 "$1" | awk '{ print $1 }'
    fi
}

# Prints an ::error annotation of the install step, and stops.
refuse() {
    echo "::error title=tollgate install::$1"
    exit 1
}

# A release's version: vX.Y.Z, or a pre-release of it (v1.2.3-rc.1).
release_pattern='^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$'

# The input names a release or the action's own ref; anything else (1.2.3, v1.2) is a mistake
# that must not quietly build the action's source in place of the release it meant.
if [[ -n "$version_input" && ! "$version_input" =~ $release_pattern && "$version_input" != "$action_ref" ]]; then
    refuse "the version input '$version_input' is not a release: set it to the form vX.Y.Z (such as v0.2.0, or a pre-release such as v0.2.0-rc.1), or leave it empty (or set it to the action's own ref, ${action_ref:-none for uses: ./}) to install the action's own ref; nothing was installed"
fi

# What this run installs: "release" (the checked binary of a release the list names), "unlisted"
# (a release the list does not name: refused), or "source" (the action's own source; `why`
# says so when a listed release has no binary for this runner).
kind=source
why=""
if [[ "$version" =~ $release_pattern ]]; then
    if ! release_listed "$version"; then
        kind=unlisted
    elif [[ -n "$triple" && -n "$(listed_sha256 "tollgate-$version-$triple.tar.gz")" ]]; then
        kind=release
    else
        why="tollgate $version: the release has no binary for $runner"
    fi
fi

# A release binary is cached (it is checked after every restore); a build from source only for
# a commit, the one ref that never moves, and only outside pull requests' runs (see the top).
if [[ "$kind" == release ]]; then
    cacheable=true
    key="tollgate-$version-$triple"
elif [[ "$kind" == source && "$version" =~ ^[0-9a-f]{40}$ && "${GITHUB_REF:-}" =~ ^refs/(heads|tags)/ ]]; then
    cacheable=true
    key="tollgate-source-$version-$runner"
else
    cacheable=false
    key="tollgate-source-$runner"
fi
dir="${RUNNER_TOOL_CACHE:-$HOME/.cache}/tollgate/$key"

# Builds the action's own source into $dir.
build_from_source() {
    if [[ -z "$source_dir" || ! -f "$source_dir/Cargo.toml" ]]; then
        refuse "no release binary to install and no tollgate source at '$source_dir' to build; set the action's version input to a release such as v0.2.0"
    fi
    echo "tollgate ${version:-(local)}: building the action's source with cargo install --locked"
    cargo install --locked --root "$dir" --path "$source_dir" --bin tollgate
}

# Downloads the release archive for this runner, checks it and the binary in it against the
# action's checksums.txt, and installs the binary into $dir; installs nothing on a mismatch.
install_release() {
    local archive="tollgate-$version-$triple.tar.gz"
    local binary="tollgate-$version-$triple/tollgate"
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # $work is fixed now
    trap "rm -rf '$work'" EXIT
    if ! curl --fail --silent --show-error --location --retry 3 \
        --output "$work/$archive" "$download_base/$version/$archive"; then
        refuse "could not download $archive from $download_base/$version/ (see above); nothing was installed. Re-run the job; if the release lost the file, pin the action to another release"
    fi
    local expected actual
    expected="$(listed_sha256 "$archive")"
    actual="$(sha256_of "$work/$archive")"
    if [[ "$actual" != "$expected" ]]; then
        refuse "$archive as downloaded does not match the SHA-256 in the action's checksums.txt (expected $expected, got $actual): the release's file was replaced or corrupted; nothing was installed"
    fi
    tar -xzf "$work/$archive" -C "$work"
    expected="$(listed_sha256 "$binary")"
    actual="$(sha256_of "$work/$binary")"
    if [[ -z "$expected" || "$actual" != "$expected" ]]; then
        refuse "$binary in the archive does not match the SHA-256 in the action's checksums.txt (expected ${expected:-a listed checksum}, got $actual); nothing was installed"
    fi
    install -m 0755 "$work/$binary" "$dir/bin/tollgate"
    echo "tollgate $version ($triple): downloaded and installed; its archive and binary match the action's checksums.txt"
}

# Keeps a binary the cache restored only when it matches the action's checksums.txt; removes
# it otherwise. Succeeds when it was kept.
keep_checked_restore() {
    local binary="tollgate-$version-$triple/tollgate" expected actual
    expected="$(listed_sha256 "$binary")"
    actual="$(sha256_of "$dir/bin/tollgate")"
    if [[ -n "$expected" && "$actual" == "$expected" ]]; then
        echo "tollgate $version ($triple): restored from the cache; it matches the action's checksums.txt"
        return 0
    fi
    echo "::warning title=tollgate install::the tollgate $version binary restored from the cache does not match the SHA-256 in the action's checksums.txt (expected ${expected:-a listed checksum}, got $actual); it was removed unrun, and the release is downloaded instead"
    rm -rf "$dir/bin/tollgate"
    return 1
}

# Puts a copy of the installed binary on the PATH of the job's later steps, alone in a fresh
# folder of the runner's temporary folder (emptied after each job): the cache's folder holds
# whatever the restored entry held (a `bin/awk` too), and only the binary was checked.
put_on_path() {
    if [[ -n "${GITHUB_PATH:-}" ]]; then
        local only
        only="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tollgate-bin.XXXXXX")"
        install -m 0755 "$dir/bin/tollgate" "$only/tollgate"
        printf '%s\n' "$only" >> "$GITHUB_PATH"
    fi
}

case "$step" in
locate)
    {
        printf 'dir=%s\n' "$dir"
        printf 'cacheable=%s\n' "$cacheable"
        printf 'cache-key=%s\n' "$key"
    } >> "$github_output"
    ;;
install)
    case "$kind" in
    unlisted)
        refuse "tollgate $version is not listed in the action's checksums.txt ($checksums), so its binary cannot be checked; nothing was installed. Pin the action to a release tag (uses: OWNER/tollgate@vX.Y.Z), whose checksums.txt lists that release and the earlier ones, or set the version input to a release it lists"
        ;;
    release)
        mkdir -p "$dir/bin"
        if [[ ! -e "$dir/bin/tollgate" ]] || ! keep_checked_restore; then
            install_release
        fi
        ;;
    source)
        if [[ "$cacheable" == true && -x "$dir/bin/tollgate" ]]; then
            echo "tollgate $version: the build of this commit, restored from the cache of this branch"
        else
            if [[ -n "$why" ]]; then
                echo "$why"
            fi
            mkdir -p "$dir/bin"
            build_from_source
        fi
        ;;
    esac
    put_on_path
    ;;
*)
    echo "install.sh: unknown step '$step': use locate or install" >&2
    exit 1
    ;;
esac
