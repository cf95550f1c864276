#!/usr/bin/env bash
# Installs tollgate for tollgate's GitHub Action: for a release tag (v1.2.3), the release
# binary for this runner after checking its SHA-256 checksum; for any other ref (a branch, a
# commit, `uses: ./`), or where the release has no binary for the runner, the action's own
# source, built with `cargo install --locked --path`, so the binary always matches the action.
#
#   install.sh locate    writes dir, cacheable and cache-key to GITHUB_OUTPUT
#   install.sh install   installs into dir (skipped when the cache restored it) and puts it
#                        on GITHUB_PATH
#
# Inputs (environment): TOLLGATE_VERSION (the `version` input, else the action's ref; may be
# empty), TOLLGATE_REPOSITORY (owner/name of the action's repository), TOLLGATE_SOURCE (the
# action's checkout; default: GITHUB_ACTION_PATH), TOLLGATE_DOWNLOAD_BASE (the releases'
# download address; default: the GitHub server's), RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE.
set -euo pipefail

step="${1:?usage: install.sh locate|install}"
version="${TOLLGATE_VERSION:-}"
repository="${TOLLGATE_REPOSITORY:-}"
source_dir="${TOLLGATE_SOURCE:-${GITHUB_ACTION_PATH:-}}"
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

# A release is a tag v1.2.3 (or v1.2.3-rc.1); the release workflow builds those.
released=false
if [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ && -n "$triple" ]]; then
    released=true
fi
# A build from source is cached only for a commit, the one ref that never moves.
if [[ "$released" == true ]]; then
    cacheable=true
    key="tollgate-$version-$triple"
elif [[ "$version" =~ ^[0-9a-f]{40}$ ]]; then
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
        echo "::error title=tollgate install::no release binary to install and no tollgate source at '$source_dir' to build; set the action's version input to a release such as v0.2.0"
        exit 1
    fi
    echo "tollgate ${version:-(local)}: building the action's source with cargo install --locked"
    cargo install --locked --root "$dir" --path "$source_dir" --bin tollgate
}

# Downloads the release archive and its checksum into $1; fails when there is none.
download_release() {
    local work="$1" archive="$2"
    curl --fail --silent --show-error --location --retry 3 \
        --output "$work/$archive" "$download_base/$version/$archive" &&
        curl --fail --silent --show-error --location --retry 3 \
            --output "$work/$archive.sha256" "$download_base/$version/$archive.sha256"
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
    mkdir -p "$dir/bin"
    if [[ "$cacheable" == true && -x "$dir/bin/tollgate" ]]; then
        echo "tollgate $version: restored from the cache"
    elif [[ "$released" == true ]]; then
        archive="tollgate-$version-$triple.tar.gz"
        work="$(mktemp -d)"
        if ! download_release "$work" "$archive"; then
            echo "tollgate $version: no release archive $archive to download"
            build_from_source
        else
            expected="$(awk '{ print $1; exit }' "$work/$archive.sha256")"
            if command -v sha256sum > /dev/null; then
                actual="$(sha256sum "$work/$archive" | awk '{ print $1 }')"
            else
                actual="$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')"
            fi
            if [[ -z "$expected" || "$expected" != "$actual" ]]; then
                echo "::error title=tollgate install::$archive does not match its published SHA-256 checksum (expected ${expected:-nothing}, got $actual); nothing was installed"
                exit 1
            fi
            tar -xzf "$work/$archive" -C "$work"
            install -m 0755 "$work/tollgate-$version-$triple/tollgate" "$dir/bin/tollgate"
            echo "tollgate $version ($triple): installed after checking its SHA-256 checksum"
        fi
        rm -rf "$work"
    else
        build_from_source
    fi
    if [[ -n "${GITHUB_PATH:-}" ]]; then
        printf '%s\n' "$dir/bin" >> "$GITHUB_PATH"
    fi
    ;;
*)
    echo "install.sh: unknown step '$step': use locate or install" >&2
    exit 1
    ;;
esac
