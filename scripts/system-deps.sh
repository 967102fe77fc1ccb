#!/usr/bin/env bash
# The Debian packages and services insa's two commands need, installed when missing.
#   scripts/system-deps.sh test   # make test: PostgreSQL up, Chromium, fonts, Pango, Tesseract
#   scripts/system-deps.sh demo   # make demo: what the demo uses (PDF fonts and layout, OCR)
# As root it installs what is missing (apt-get); otherwise it names the packages and stops.
set -euo pipefail
mode="${1:-test}"
export DEBIAN_FRONTEND=noninteractive

need=()
# documents (withholding receipts) are laid out by WeasyPrint with Pango, in the Nanum fonts
fc-list 2>/dev/null | grep -qi nanum || need+=(fonts-nanum fontconfig)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset.so.0 || need+=(libharfbuzz-subset0)
# receipts are read by Tesseract with its Korean model
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
ls /usr/share/tesseract-ocr/*/tessdata/kor.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-kor)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# py-tlsh (the look-alike pages' TLSH) has no wheel: pip builds it with a C++ compiler
command -v g++ >/dev/null 2>&1 || need+=(g++)
if [ "$mode" = test ]; then
  command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)  # Playwright drives Debian's Chromium
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)  # pyspark's local mode (allowance --engine spark)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "insa: missing Debian packages: ${need[*]}" >&2
    echo "      install them as root: apt-get install -y ${need[*]}" >&2
    echo "      (or run this command as root: it installs them itself)" >&2
    exit 1
  fi
  echo "insa: installing Debian packages: ${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

[ "$mode" = test ] || exit 0

# the database tests run on PostgreSQL at 127.0.0.1:5432, database `test`, trust auth
cluster() { ls /etc/postgresql | head -n 1; }
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "insa: PostgreSQL is not running on 127.0.0.1:5432; start it as root:" >&2
    echo "      pg_ctlcluster --skip-systemctl-redirect $(cluster) main start" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(cluster)" main start
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
  done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "insa: PostgreSQL did not start" >&2; exit 1; }
# A PostgreSQL freshly installed from Debian asks for a password on TCP: switch loopback
# connections to trust (the tests connect as postgres@127.0.0.1, as this machine kind is set up).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "insa: PostgreSQL refuses postgres@127.0.0.1 without a password (needs trust auth)" >&2
    exit 1
  fi
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
  sed -ri 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$(cluster)" main reload
  sleep 1
fi
if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  createdb -h 127.0.0.1 -U postgres test
fi
psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null  # fail loudly if unreachable
