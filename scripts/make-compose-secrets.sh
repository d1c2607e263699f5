#!/usr/bin/env bash
# Creates the secret files docker-compose.yml expects in ./secrets (random, mode 0600),
# keeping any that already exist. Prints only the names of the files it wrote.
set -euo pipefail
cd "$(dirname "$0")/../secrets"
umask 077
rand() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c "${1:-40}"; }
make() { [[ -s $1 ]] && return 0; printf '%s' "$2" >"$1"; echo "wrote secrets/$1"; }
make postgres_password "$(rand 32)"
make database_url "postgres://hattama:$(cat postgres_password)@postgres:5432/hattama"
make s3_secret_key "$(rand 40)"
make url_signing_secret "$(rand 48)"
make admin_token "$(rand 40)"
make recorder_token "$(rand 40)"
