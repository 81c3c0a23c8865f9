# Sourced by bench/run.sh and bench/ingest_vs_dovecot.sh: the bench-owned Dovecot instance that
# `doveadm index` runs against (no protocols, only the auth service doveadm needs).
#   start_bench_dovecot DIR   writes DIR/dovecot.conf, starts Dovecot, and sets dv (=DIR),
#                             dvuid/dvgid (the mail user) and dovecot_conf (for the caller's
#                             cleanup: doveadm -c "$dovecot_conf" stop).
start_bench_dovecot() {
  dv=$1; mkdir -p "$dv/run" "$dv/home"
  # Dovecot refuses to access mail as root: under root it uses nobody, which can read the work dir.
  if [ "$(id -u)" = 0 ]; then dvuid=65534 dvgid=65534; else dvuid=$(id -u) dvgid=$(id -g); fi
  cat >"$dv/dovecot.conf" <<CONF
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/log
protocols =
listen = 127.0.0.1
ssl = no
mbox_read_locks = fcntl
mbox_write_locks = fcntl
userdb {
  driver = static
  args = uid=$dvuid gid=$dvgid home=$dv/home
}
passdb {
  driver = static
  args = password=unused
}
CONF
  dovecot -c "$dv/dovecot.conf"
  dovecot_conf=$dv/dovecot.conf
}
