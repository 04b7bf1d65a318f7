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

# Gives the account a fresh random password and a fresh ed25519 client key in <key dir> (installed as its
# only authorized key), and exports STOWAGE_TEST_SSH_USER, STOWAGE_TEST_SSH_PASSWORD, STOWAGE_TEST_SSH_KEY.
# This replaces the previous credentials, so a test run that is already using them will fail to log in.
sftp_test_user_fresh_credentials() {
  local key_dir="$1" sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local password
  password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
  echo "$SFTP_TEST_USER:$password" | $sudo chpasswd
  ssh-keygen -q -t ed25519 -N '' -C "$SFTP_TEST_USER@stowage-tests" -f "$key_dir/id_ed25519"
  $sudo install -d -m 700 -o "$SFTP_TEST_USER" -g "$SFTP_TEST_USER" "$SFTP_TEST_HOME/.ssh"
  $sudo install -m 600 -o "$SFTP_TEST_USER" -g "$SFTP_TEST_USER" "$key_dir/id_ed25519.pub" "$SFTP_TEST_HOME/.ssh/authorized_keys"
  export STOWAGE_TEST_SSH_USER="$SFTP_TEST_USER"
  export STOWAGE_TEST_SSH_PASSWORD="$password"
  export STOWAGE_TEST_SSH_KEY="$key_dir/id_ed25519"
}
