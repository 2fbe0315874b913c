#!/usr/bin/env bash
# Hub stage: the daily VPS snapshot job. Installs Debian's nodejs, puts the bundled job, its
# service and timer in place, writes each provider's token (secret, from stdin) into a root-only
# file the service loads as a systemd credential, removes the token of a provider no longer
# snapshotted, and enables the timer.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../../../host/scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../../../host/scripts/lib.sh"
fi

stage_main() {
  lb_require LB_STAGE_FILES LB_JOB_PATH LB_SNAPSHOT_SECRETS_DIR LB_SNAPSHOT_TOKENS LB_UNIT LB_STATUS_DIR
  local pair secret file units_before mask
  lb_apt nodejs
  lb_dir "$(dirname "$LB_JOB_PATH")" 0755 root:root
  lb_put "$LB_JOB_PATH" 0644 root:root <"$LB_STAGE_FILES/job"
  lb_dir "$LB_SNAPSHOT_SECRETS_DIR" 0700 root:root
  mask="$(umask)"
  umask 077
  for pair in $LB_SNAPSHOT_TOKENS; do
    secret="${pair%%:*}"
    file="${pair#*:}"
    [[ -n "$(lb_secret "$secret")" ]] || lb_fail "secret $secret is required by stage ${LB_STAGE}"
    # lb_secret prints with a builtin (the token is on no command line); a process substitution,
    # not a pipe, so lb_put runs in this shell and its change is counted.
    lb_put "$LB_SNAPSHOT_SECRETS_DIR/$file" 0600 root:root < <(lb_secret "$secret")
  done
  umask "$mask"
  for file in ${LB_SNAPSHOT_STALE:-}; do
    if [[ -e "$LB_SNAPSHOT_SECRETS_DIR/$file" ]]; then
      shred -u -z "$LB_SNAPSHOT_SECRETS_DIR/$file"
      lb_changed "removed $LB_SNAPSHOT_SECRETS_DIR/$file"
    fi
  done
  lb_dir "$LB_STATUS_DIR" 0755 root:root
  units_before=$LB_CHANGES
  lb_put "/etc/systemd/system/$LB_UNIT.service" 0644 root:root <"$LB_STAGE_FILES/service"
  lb_put "/etc/systemd/system/$LB_UNIT.timer" 0644 root:root <"$LB_STAGE_FILES/timer"
  if ((LB_CHANGES > units_before)); then systemctl daemon-reload; fi
  lb_enable "$LB_UNIT.timer"
}
