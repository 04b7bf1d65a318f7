# Sourced by scripts/test.sh and scripts/bench.sh: the dedicated local account that the SFTP tests and the
# scale benchmark log in to through their own private sshd on a loopback port (never the system one).
# Never touches root's password or the system sshd.

SFTP_TEST_USER="stowage-sftp-test"

# Creates the account when it is missing and sets SFTP_TEST_HOME.
sftp_test_user_ensure() {
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! id "$SFTP_TEST_USER" >/dev/null 2>&1; then
    $sudo useradd --create-home --shell /bin/bash "$SFTP_TEST_USER"
  fi
  SFTP_TEST_HOME="$(getent passwd "$SFTP_TEST_USER" | cut -d: -f6)"
}
# scripts/test.sh sets the account's password and key (kept stable across overlapping runs).
