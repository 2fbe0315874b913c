#!/usr/bin/env bash
# Entry point appended to every bundled stage: receives the stage's secrets on standard input
# (never on a command line or in the environment), keeps them in a root-only file on tmpfs for
# the stage, and shreds the file when the stage ends, however it ends.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

LB_SECRETS_DIR=/run/letsbe/secrets

lb_shred_secrets() {
  if [[ -n "${LB_SECRETS_FILE:-}" && -e "$LB_SECRETS_FILE" ]]; then shred -u -z "$LB_SECRETS_FILE"; fi
}

# Secret file lines are NAME=base64(value), split at the first "=" (base64 padding is "=" too).
# Each value is checked and decoded without eval, so values stay inert; an error names the
# variable or the line, never the value.
lb_load_secrets() {
  local line name value decoded number=0
  local -A seen=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    number=$((number + 1))
    [[ -z "$line" ]] && continue
    [[ "$line" == *=* ]] || lb_fail "secrets file line $number has no '=' (want NAME=base64)"
    name="${line%%=*}"
    value="${line#*=}"
    [[ "$name" =~ ^[A-Z][A-Z0-9_]*$ ]] || lb_fail "secrets file line $number: the name is not [A-Z][A-Z0-9_]*"
    [[ -z "${seen[$name]:-}" ]] || lb_fail "secret $name is given twice in the secrets file"
    seen[$name]=1
    if [[ ! "$value" =~ ^[A-Za-z0-9+/]*={0,2}$ ]] || (( ${#value} % 4 != 0 )); then
      lb_fail "secret $name is not valid base64 (line $number of the secrets file)"
    fi
    # The trailing "x" keeps trailing newlines of the value, which $(...) would strip.
    decoded="$(printf '%s' "$value" | base64 -d 2>/dev/null && printf x)" \
      || lb_fail "secret $name does not decode as base64 (line $number of the secrets file)"
    printf -v "LB_SECRET_$name" '%s' "${decoded%x}"
  done <"$LB_SECRETS_FILE"
}

lb_run_stage() {
  LB_STAGE="${LB_STAGE:?LB_STAGE must name the stage}"
  if [[ "${LB_WITH_SECRETS:-0}" == 1 ]]; then
    install -d -m 0700 -o root -g root /run/letsbe "$LB_SECRETS_DIR"
    [[ "$(findmnt -n -o FSTYPE --target "$LB_SECRETS_DIR")" == tmpfs ]] || lb_fail "$LB_SECRETS_DIR is not on tmpfs"
    LB_SECRETS_FILE="$LB_SECRETS_DIR/$LB_STAGE.env"
    trap lb_shred_secrets EXIT
    (umask 077 && cat >"$LB_SECRETS_FILE")
    lb_load_secrets
    lb_shred_secrets
  fi
  stage_main
  printf 'letsbe-stage %s changes=%d\n' "$LB_STAGE" "$LB_CHANGES"
}

lb_run_stage
