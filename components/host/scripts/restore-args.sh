#!/usr/bin/env bash
# What the tenant's restore (components/compose) and the hub's share: their output lines and their
# arguments, --from-remote and one name at most. Inlined into each when shipped (inlineHostScripts).
# Set before: RESTORE_TAG, the lines' prefix; RESTORE_USAGE, the synopsis usage errors print.
log() { printf '[%s] %s\n' "$RESTORE_TAG" "$*"; }
fail() { printf '[%s] error: %s\n' "$RESTORE_TAG" "$*" >&2; exit 1; }
usage() { printf '[%s] usage: %s: %s\n' "$RESTORE_TAG" "$RESTORE_USAGE" "$*" >&2; exit 2; }

# restore_args WHAT ARG...: sets from_remote (0 or 1) and restore_name (empty when none given);
# WHAT names the positional argument in the usage error.
# shellcheck disable=SC2034 # both are read by the script this is part of
restore_args() {
  local what="$1" arg
  shift
  from_remote=0
  restore_name=""
  for arg in "$@"; do
    case "$arg" in
      --from-remote) from_remote=1 ;;
      -*) usage "unknown option $arg" ;;
      *) [[ -z "$restore_name" ]] || usage "one $what at most (got $restore_name and $arg)"; restore_name="$arg" ;;
    esac
  done
}
