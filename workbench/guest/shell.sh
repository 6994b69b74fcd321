# SPDX-License-Identifier: GPL-2.0
# Guest job of 'make shell': an interactive shell on the serial console.
wb_modules_setup || echo "wb: modules setup failed"
echo "wb: interactive guest; the project is at $WB_REPO, kselftests at $WB_KSFT"
echo "wb: 'exit' powers the guest off"
setsid sh -c 'exec bash -i </dev/ttyS0 >/dev/ttyS0 2>&1'
