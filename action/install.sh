#!/usr/bin/env bash
# Installs tollgate for tollgate's GitHub Action: the release binary of VERSION for this
# runner, after checking its SHA-256 checksum; `cargo install --locked` where no release
# binary exists (a branch or commit, or a runner the releases do not cover).
#
#   install.sh locate    writes dir, cacheable and cache-key to GITHUB_OUTPUT
#   install.sh install   installs into dir (skipped when the cache restored it) and puts it
#                        on GITHUB_PATH
#
# Inputs (environment): TOLLGATE_VERSION (a release tag such as v0.2.0, or another git ref),
# TOLLGATE_REPOSITORY (owner/name of the action's repository), TOLLGATE_DOWNLOAD_BASE (the
# releases' download address; default: the GitHub server's), RUNNER_OS, RUNNER_ARCH,
# RUNNER_TOOL_CACHE.
set -euo pipefail

step="${1:?usage: install.sh locate|install}"
version="${TOLLGATE_VERSION:?TOLLGATE_VERSION is required}"
repository="${TOLLGATE_REPOSITORY:?TOLLGATE_REPOSITORY is required}"
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

# A release is a tag like v1.2.3; anything else is built from source.
released=false
if [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ && -n "$triple" ]]; then
    released=true
fi
safe_version="${version//[^A-Za-z0-9._-]/_}"
dir="${RUNNER_TOOL_CACHE:-$HOME/.cache}/tollgate/$safe_version/${triple:-source}"

case "$step" in
locate)
    {
        printf 'dir=%s\n' "$dir"
        printf 'cacheable=%s\n' "$released"
        printf 'cache-key=tollgate-%s-%s\n' "$safe_version" "${triple:-source}"
    } >> "$github_output"
    ;;
install)
    mkdir -p "$dir/bin"
    if [[ -x "$dir/bin/tollgate" ]]; then
        echo "tollgate $version: restored from the cache"
    elif [[ "$released" == true ]]; then
        archive="tollgate-$version-$triple.tar.gz"
        work="$(mktemp -d)"
        curl --fail --silent --show-error --location --retry 3 \
            --output "$work/$archive" "$download_base/$version/$archive"
        curl --fail --silent --show-error --location --retry 3 \
            --output "$work/$archive.sha256" "$download_base/$version/$archive.sha256"
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
        rm -rf "$work"
        echo "tollgate $version ($triple): installed after checking its SHA-256 checksum"
    else
        echo "tollgate $version: no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?} at this ref; building it with cargo install --locked"
        if [[ "$version" =~ ^[0-9a-f]{40}$ ]]; then
            ref=(--rev "$version")
        elif [[ "$version" =~ ^v[0-9] ]]; then
            ref=(--tag "$version")
        else
            ref=(--branch "$version")
        fi
        cargo install --locked --root "$dir" --git "$server/$repository" "${ref[@]}" tollgate
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
