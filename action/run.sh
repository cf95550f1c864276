#!/usr/bin/env bash
# The shell half of tollgate's GitHub Action (action.yml at the repository root): runs tollgate
# for one command and writes what the action's GitHub API steps need into GITHUB_OUTPUT. No
# GitHub API call is made here, so this script runs as it is in tests, against an emulator.
#
#   run.sh names   the names the action's other steps use: outputs head-sha (the pull
#                  request's head commit, TOLLGATE_HEAD_SHA), artifact (the saved plan's
#                  artifact, tied to that commit), comment-marker and issue-marker (the hidden
#                  markers of its one comment and one drift issue)
#   run.sh plan    validate (annotations), plan (annotations, job summary, saved plan), and the
#                  pull-request comment: outputs exitcode, has-changes, plan-file, comment-file
#   run.sh apply   apply the saved plan at TOLLGATE_PLAN_FILE: fails, saying why, when it is
#                  missing or stale; outputs exitcode
#   run.sh drift   the drift check: outputs exitcode, drift (true/false), issue-file
#
# Inputs (environment): INPUT_PATHS (space-separated YAML files or folders; empty: the
# project's or plans/), INPUT_TARGET (a project target), INPUT_IMPACT (true/false),
# INPUT_PRUNE (true/false: plan --prune and apply --prune, with a project file),
# INPUT_PRUNE_MAX (--prune-max; empty: tollgate's default),
# TOLLGATE_HEAD_SHA (the commit the plan is for), TOLLGATE_PLAN_FILE (where the saved plan is
# written or read), TOLLGATE_RUN_URL (this run, for the drift issue), TOLLGATE (the binary;
# default: tollgate on PATH). Exit status: 0 done (changes or drift are outputs, not
# failures), 1 an error, with an ::error annotation saying what to do.
set -euo pipefail

command="${1:?usage: run.sh plan|apply|drift}"
tollgate="${TOLLGATE:-tollgate}"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
plan_file="${TOLLGATE_PLAN_FILE:-$out_dir/tollgate.plan}"
target="${INPUT_TARGET:-}"
github_output="${GITHUB_OUTPUT:-/dev/null}"

# What the hidden markers of the comment and the issue name: the target, or "default".
marker_target="${target:-default}"
# The hidden marker that finds this action's one pull-request comment for the target.
comment_marker="<!-- tollgate-plan target=$marker_target -->"
# The hidden marker that finds this action's one drift issue for the target.
issue_marker="<!-- tollgate-drift target=$marker_target -->"
# What to do when apply refuses or cannot read the reviewed plan: plan anew from the default
# branch, so that a new review covers what will be applied.
replan="Re-plan on the default branch: open a pull request on top of it (its plan job plans against the account as it is now), review that plan, and merge it to apply it."
# The most characters of the report the drift issue holds (GitHub takes 65,536 in a body).
MAX_REPORT_CHARS=60000

global=()
if [[ -n "$target" ]]; then
    global+=(--target "$target")
fi
read -r -a paths <<< "${INPUT_PATHS:-}"
# --prune and --prune-max, given alike to plan and apply: a saved plan made with --prune is
# applied only with --prune.
prune=()
if [[ "${INPUT_PRUNE:-false}" == "true" ]]; then
    prune=(--prune)
    if [[ -n "${INPUT_PRUNE_MAX:-}" ]]; then
        prune+=(--prune-max "$INPUT_PRUNE_MAX")
    fi
fi
# The arrays are written ${a[@]+"${a[@]}"} where they may be empty: bash 3.2 (macOS's) takes
# an empty "${a[@]}" for an unset variable under `set -u`.

output() {
    printf '%s=%s\n' "$1" "$2" >> "$github_output"
}

# Prints an ::error workflow command; the message is escaped as the commands require.
annotate_error() {
    local message="$1"
    message="${message//'%'/'%25'}"
    message="${message//$'\r'/'%0D'}"
    message="${message//$'\n'/'%0A'}"
    printf '::error title=tollgate::%s\n' "$message"
}

# Runs tollgate, setting `code` to its exit status without stopping the script.
run_tollgate() {
    set +e
    "$tollgate" "$@"
    code=$?
    set -e
}

# A fence of backticks longer than any run of backticks in the file $1.
fence_for() {
    local longest
    longest=$(grep -o '`*' "$1" | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
    local length=$(( longest < 3 ? 3 : longest + 1 ))
    printf '%*s' "$length" '' | tr ' ' '`'
}

case "$command" in
names)
    output head-sha "${TOLLGATE_HEAD_SHA:-}"
    output artifact "tollgate-plan-$marker_target-${TOLLGATE_HEAD_SHA:-}"
    output comment-marker "$comment_marker"
    output issue-marker "$issue_marker"
    ;;
plan)
    run_tollgate ${global[@]+"${global[@]}"} validate --format github ${paths[@]+"${paths[@]}"}
    if [[ $code -ne 0 ]]; then
        # Not an annotation: validate's errors may already fill the 10 GitHub shows.
        echo "tollgate: the YAML is not valid (see the errors above); nothing was read from AWS"
        output exitcode 1
        exit 1
    fi
    impact=()
    if [[ "${INPUT_IMPACT:-false}" == "true" ]]; then
        impact=(--impact)
    fi
    # Annotations at the YAML lines, the text plan in the log, the Markdown plan in the job
    # summary, and the saved plan for the apply on merge.
    run_tollgate ${global[@]+"${global[@]}"} plan --format github --detailed-exitcode \
        --out "$plan_file" ${impact[@]+"${impact[@]}"} ${prune[@]+"${prune[@]}"} \
        ${paths[@]+"${paths[@]}"}
    output exitcode "$code"
    if [[ $code -eq 1 ]]; then
        annotate_error "tollgate could not make the plan (see the log); nothing was saved or applied"
        exit 1
    fi
    output has-changes "$([[ $code -eq 2 ]] && echo true || echo false)"
    output plan-file "$plan_file"
    comment_file="$out_dir/tollgate-comment.md"
    printf '%s\n' "$comment_marker" > "$comment_file"
    run_tollgate ${global[@]+"${global[@]}"} show "$plan_file" --format markdown >> "$comment_file"
    if [[ $code -ne 0 ]]; then
        annotate_error "the saved plan could not be shown for the comment (see the log)"
        exit 1
    fi
    if [[ -n "${TOLLGATE_HEAD_SHA:-}" ]]; then
        printf '\n<sub>Planned for commit %s; merging applies exactly this plan.</sub>\n' \
            "$TOLLGATE_HEAD_SHA" >> "$comment_file"
    fi
    output comment-file "$comment_file"
    ;;
apply)
    if [[ ! -s "$plan_file" ]]; then
        annotate_error "no saved plan for commit ${TOLLGATE_HEAD_SHA:-?}: the plan job did not run or failed on the pull request's final commit; nothing was applied. Run the plan workflow on that commit (or push a new one), review its plan, and merge again."
        output exitcode 1
        exit 1
    fi
    run_tollgate ${global[@]+"${global[@]}"} show "$plan_file"
    if [[ $code -ne 0 ]]; then
        output exitcode 1
        annotate_error "the saved plan of commit ${TOLLGATE_HEAD_SHA:-?} cannot be read (see the log); nothing was applied. $replan"
        exit 1
    fi
    run_tollgate ${global[@]+"${global[@]}"} apply --auto-approve --detailed-exitcode \
        ${prune[@]+"${prune[@]}"} "$plan_file"
    output exitcode "$code"
    if [[ $code -eq 1 ]]; then
        annotate_error "the reviewed plan of commit ${TOLLGATE_HEAD_SHA:-?} was not applied in full; the log says why: tollgate refused the saved plan (a plan or key it changes or deletes changed since it was reviewed, it no longer matches the YAML of this commit, its signature is missing or wrong, or its deletions differ from the prune input or exceed prune-max), or a change failed. $replan"
        exit 1
    fi
    ;;
drift)
    report="$out_dir/tollgate-drift.txt"
    run_tollgate ${global[@]+"${global[@]}"} plan --detailed-exitcode ${paths[@]+"${paths[@]}"} > "$report"
    cat "$report"
    output exitcode "$code"
    if [[ $code -eq 1 ]]; then
        annotate_error "the drift check could not read the account (see the log)"
        exit 1
    fi
    output drift "$([[ $code -eq 2 ]] && echo true || echo false)"
    issue_file="$out_dir/tollgate-drift-issue.md"
    fence="$(fence_for "$report")"
    {
        printf '%s\n' "$issue_marker"
        printf 'The live usage plans%s differ from what the repository declares.' \
            "$([[ -n "$target" ]] && printf ' of target %s' "$target")"
        if [[ -n "${TOLLGATE_RUN_URL:-}" ]]; then
            printf ' Found by %s.' "$TOLLGATE_RUN_URL"
        fi
        printf ' Apply the YAML, or change it to what is live; this issue is closed by the first check that finds no drift.\n\n'
        printf '%stext\n' "$fence"
        if [[ $(wc -c < "$report") -gt $MAX_REPORT_CHARS ]]; then
            head -c "$MAX_REPORT_CHARS" "$report"
            printf '\n[cut here to fit in an issue: the whole report is in the run'"'"'s log]\n'
        else
            cat "$report"
        fi
        printf '%s\n' "$fence"
    } > "$issue_file"
    output issue-file "$issue_file"
    ;;
*)
    annotate_error "unknown command: use plan, apply or drift"
    exit 1
    ;;
esac
