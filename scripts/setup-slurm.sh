#!/usr/bin/env bash
# Installs Slurm (Debian's slurm-wlm, 22.05 on bookworm) and MUNGE from apt, for the real-Slurm tests under
# test/unit/cluster/ and for users who want a one-machine cluster. Installs packages only: the tests start their own
# munged, slurmctld and slurmd on a private configuration (test/support/slurmCluster.ts) and stop them by pid.
# Idempotent; without root (or sudo) and apt it says so and returns 0, and the Slurm tests then skip and say why.
# RANKLENS_SKIP_SLURM=1 skips it.
set -euo pipefail
if [ "${RANKLENS_SKIP_SLURM:-0}" = 1 ]; then
  echo "setup-slurm: skipped (RANKLENS_SKIP_SLURM=1)" >&2
  exit 0
fi
if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
  && command -v munged >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "setup-slurm: not root and no sudo: Slurm not installed, the real-Slurm tests will skip" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-slurm: no apt-get: Slurm not installed, the real-Slurm tests will skip" >&2
  exit 0
fi
echo "setup-slurm: installing slurm-wlm and munge with apt" >&2
$SUDO apt-get update -qq
# policy-rc.d keeps the packages' postinst from starting system daemons: the tests run their own, on their own config.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  ADDED_POLICY=1
fi
status=0
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2 || status=$?
[ "$ADDED_POLICY" = 1 ] && $SUDO rm -f "$POLICY"
exit "$status"
