#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, ingest a mailbox
# (the bundled sample by default), print the findings, then serve the dashboard on 127.0.0.1
# until Ctrl-C (ILC_NO_SERVE=1 stops after the findings).
#   scripts/run.sh                      # the bundled sample (samples/ardentis), reproducible settings
#   scripts/run.sh PATH... [--me ADDR]  # your own mbox / Maildir / .eml files (extra args go to ingest)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
bin=build/interlocutor
mkdir -p out
if [ $# -eq 0 ]; then
  db=out/sample.db
  s=samples/ardentis
  echo "== ingest: bundled sample ($s)"
  "$bin" ingest --db "$db" "$s"/INBOX.mbox.gz "$s"/Sent.mbox.gz "$s"/Archives.mbox.gz \
      --me isabelle.charpentier@ardentis.fr --me icharpentier@ardentis.fr --internal-domain ardentis.fr
  echo
  echo "== findings"
  analyze_opts=(--now 2026-11-12T10:00:00+01:00 --tz Europe/Paris --holidays "$s"/holidays.txt
                --manager marc.moreau@ardentis.fr)
  "$bin" analyze --db "$db" "${analyze_opts[@]}" --format text
else
  db=${ILC_DB:-out/interlocutor.db}
  echo "== ingest: $*"
  "$bin" ingest --db "$db" "$@"
  echo
  echo "== findings"
  analyze_opts=()
  "$bin" analyze --db "$db" --format text
fi
echo
echo "store: $db — try '$bin threads --db $db --format text' or '$bin inspect --db $db --message-id ID'"
if [ "${ILC_NO_SERVE:-0}" != 1 ]; then
  echo
  echo "== dashboard (Ctrl-C to stop): open the URL below in a browser on this machine"
  exec "$bin" serve --db "$db" --open "${analyze_opts[@]}"
fi
