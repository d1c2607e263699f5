#!/usr/bin/env bash
# start-s3.sh — Hattama's S3 server for development, integration tests and CI:
# Ceph's RADOS Gateway (Debian bookworm, Ceph 16.2 "Pacific") as a single-host
# cluster on 127.0.0.1. MinIO has no Debian package; RADOS Gateway speaks the same
# S3 API the scaled-out deployment needs (SigV4, object lock, presigned URLs).
#
#   scripts/start-s3.sh [start]   install packages if missing, start (or bootstrap) the
#                                 cluster, wait until a signed S3 request succeeds, print env
#   scripts/start-s3.sh stop      stop the daemons (data kept)
#   scripts/start-s3.sh status    show daemons and whether S3 answers (exit 0 = healthy)
#   scripts/start-s3.sh clean     stop and delete all data
#   scripts/start-s3.sh env       print the export lines:  eval "$(scripts/start-s3.sh env)"
#
# One mon, one bluestore OSD on a sparse file, one radosgw (beast frontend),
# no mgr, auth none, pool size 1. Data lives in ${S3_DATA_DIR:-/var/tmp/hattama-s3}
# and survives stop/start and crashes. The defaults (port 7480, keys hattama-dev /
# hattama-dev-secret-key, region us-east-1) match test/support/services.ts, so the
# S3 suites (storage/objects) run against it without any environment.
#
# Throughput is modest (about 17 MB/s on 2 cores): keep test objects small.
# Memory: the OSD needs ~100 MB RSS, radosgw ~90 MB, mon ~35 MB.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
export LC_ALL=C

DATA="${S3_DATA_DIR:-/var/tmp/hattama-s3}"
DATA="${DATA%/}"
PORT="${S3_PORT:-7480}"
HOST=127.0.0.1
AK="${S3_ACCESS_KEY:-hattama-dev}"
SK="${S3_SECRET_KEY:-hattama-dev-secret-key}"
REGION="${S3_REGION:-us-east-1}"
TIMEOUT="${S3_START_TIMEOUT:-180}"        # seconds to wait for S3 to answer
DISK_SIZE="${S3_DISK_SIZE:-20G}"         # sparse OSD file; only used bytes take disk
MON_PORT_DEFAULT="${S3_MON_PORT:-$((PORT + 1))}"
CONF="$DATA/ceph.conf"
LOCK="$DATA.lock"
RGW_ID=hattama                           # radosgw runs as client.rgw.hattama
RGW_UID=hattama-dev                      # the S3 user that owns the dev keys
PKGS=(ceph-mon ceph-osd radosgw)

log() { printf 'start-s3: %s\n' "$*" >&2; }

tail_logs() {
  local f
  for f in "$DATA"/log/mon.out "$DATA"/log/mon.a.log "$DATA"/log/osd.out "$DATA"/log/osd.0.log \
           "$DATA"/log/rgw.out "$DATA"/log/client.rgw.$RGW_ID.log "$DATA"/log/admin.out; do
    [[ -s $f ]] || continue
    printf -- '----- tail %s -----\n' "$f" >&2
    tail -n 25 "$f" >&2 || true
  done
}

die() {
  log "ERROR: $*"
  tail_logs
  log "data dir: $DATA (inspect logs in $DATA/log; 'start-s3.sh clean' wipes it)"
  exit 1
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

print_env() {
  printf 'export S3_ENDPOINT=http://%s:%s\n' "$HOST" "$PORT"
  printf 'export S3_ACCESS_KEY=%s\n' "$AK"
  printf 'export S3_SECRET_KEY=%s\n' "$SK"
  printf 'export S3_REGION=%s\n' "$REGION"
}

# ---------------------------------------------------------------- packages
ensure_packages() {
  local missing=() p t0
  for p in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
    command -v "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]} and not root: cannot apt-get install ${PKGS[*]}"
  t0=$(now)
  log "installing ${PKGS[*]} curl (missing: ${missing[*]}) ..."
  export DEBIAN_FRONTEND=noninteractive
  local i ok=0
  for i in 1 2 3 4 5; do
    if apt-get -q -o DPkg::Lock::Timeout=600 update >"$DATA.apt.log" 2>&1; then ok=1; break; fi
    log "apt-get update failed (try $i), retrying in 10s"; sleep 10
  done
  ((ok)) || { tail -n 20 "$DATA.apt.log" >&2; die "apt-get update failed"; }
  ok=0
  for i in 1 2 3; do
    if apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends \
         "${PKGS[@]}" curl </dev/null >>"$DATA.apt.log" 2>&1; then ok=1; break; fi
    log "apt-get install failed (try $i), retrying in 10s"; sleep 10
  done
  ((ok)) || { tail -n 20 "$DATA.apt.log" >&2; die "apt-get install ${PKGS[*]} failed"; }
  for p in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl; do
    command -v "$p" >/dev/null 2>&1 || die "$p still missing after install (see $DATA.apt.log)"
  done
  log "packages installed in $(since "$t0")s"
}

# ---------------------------------------------------------------- processes
# Our daemons are found by their command line: argv[0] and the exact --conf
# path of this data dir, so stale pid files never point at a stranger.
daemon_pids() { # $1 = mon|osd|rgw -> pids, one per line
  local want=$1 f pid argv0 bin
  case $want in mon) bin=ceph-mon ;; osd) bin=ceph-osd ;; rgw) bin=radosgw ;; esac
  for f in $(grep -l -a -F -x -z -e "$CONF" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    argv0=$(tr '\0' '\n' <"$f" 2>/dev/null | head -n 1) || continue
    [[ ${argv0##*/} == "$bin" ]] && echo "$pid"
  done
  return 0
}

is_running() { [[ -n $(daemon_pids "$1") ]]; }

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

launch() { # $1 = mon|osd|rgw
  local d=$1 pid
  case $d in
    mon) set -- ceph-mon -f --conf "$CONF" -i a ;;
    osd) set -- ceph-osd -f --conf "$CONF" -i 0 ;;
    rgw) set -- radosgw -f --conf "$CONF" -n "client.rgw.$RGW_ID" ;;
  esac
  # setsid + nohup: the daemons outlive the calling shell and its process group.
  # 9>&-: the daemon must not inherit (and so hold forever) the flock on $LOCK.
  setsid nohup "$@" </dev/null >>"$DATA/log/$d.out" 2>&1 9>&- &
  pid=$!
  # wait until setsid/nohup have exec'd the daemon, so is_running sees it
  local i
  for ((i = 0; i < 100; i++)); do
    is_running "$d" && break
    kill -0 "$pid" 2>/dev/null || die "$d exited right after start"
    sleep 0.05
  done
  echo "$pid" >"$DATA/run/$d.pid"
  log "started $d (pid $pid)"
}

stop_daemons() {
  local d pids pid i any=0
  for d in rgw osd mon; do
    pids=$(daemon_pids "$d")
    [[ -n $pids ]] || { rm -f "$DATA/run/$d.pid"; continue; }
    any=1
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for ((i = 0; i < 150; i++)); do   # up to 30 s for a clean shutdown
      [[ -n $(daemon_pids "$d") ]] || break
      sleep 0.2
    done
    pids=$(daemon_pids "$d")
    if [[ -n $pids ]]; then
      log "$d did not stop in 30s, sending SIGKILL to $pids"
      for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.5
    fi
    rm -f "$DATA/run/$d.pid"
    log "stopped $d"
  done
  ((any)) || log "no daemons were running"
  return 0
}

# ---------------------------------------------------------------- ceph helpers
cephcli() { timeout 60 ceph --conf "$CONF" --connect-timeout 10 "$@" 2>>"$DATA/log/admin.out"; }
rgwadmin() { timeout "$TIMEOUT" radosgw-admin --conf "$CONF" "$@" 2>>"$DATA/log/admin.out"; }

s3req() { # a signed request with the dev keys; curl's arguments follow (a later --max-time wins)
  # radosgw refuses a SigV4 request without x-amz-content-sha256 (curl does not add it)
  curl -fsS --max-time 60 --aws-sigv4 "aws:amz:$REGION:s3" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$AK:$SK" "$@"
}

s3_ok() { # a signed ListBuckets request
  s3req -o /dev/null --max-time 3 "http://$HOST:$PORT/" 2>/dev/null
}

# RGW creates its bucket index, data and multipart pools on first use, so the first bucket,
# the first object and the first multipart upload of a new server each wait while Ceph
# creates a pool (the first object 1-1.5 s on a two-core VM, with every put behind it held
# up). A provisioned server has its pools: make them here, through RGW itself, with one of
# each request in a scratch bucket that is removed again. Cheap once the pools exist.
warm_pools() {
  local base="http://$HOST:$PORT/hattama-warmup" upload t0
  t0=$(now)
  s3req -X PUT "$base" -o /dev/null || die "could not create the warm-up bucket"
  s3req -X PUT --data-binary warm "$base/object" -o /dev/null || die "could not put the warm-up object"
  # "uploads=" rather than "uploads": curl 7.88 signs a query parameter without "=" wrongly.
  upload=$(s3req -X POST "$base/multipart?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
  [[ -n $upload ]] || die "could not start the warm-up multipart upload"
  s3req -X DELETE "$base/multipart?uploadId=$upload" -o /dev/null || die "could not abort the warm-up upload"
  s3req -X DELETE "$base/object" -o /dev/null || die "could not delete the warm-up object"
  s3req -X DELETE "$base" -o /dev/null || die "could not delete the warm-up bucket"
  log "bucket pools ready in $(since "$t0")s"
}

write_conf() {
  local fsid mon_port size_bytes
  fsid=$(cat "$DATA/fsid")
  mon_port=$(cat "$DATA/mon_port")
  size_bytes=$(numfmt --from=iec "${DISK_SIZE%B}")
  cat >"$CONF.tmp" <<EOF
# generated by start-s3.sh on every start; edits are lost
[global]
fsid = $fsid
mon_host = [v2:$HOST:$mon_port]
public_addr = $HOST
cluster_addr = $HOST
ms_bind_msgr1 = false
ms_bind_msgr2 = true
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# auth none only works in crc mode (radosgw asks for 'secure' to the mon by default)
ms_cluster_mode = crc
ms_service_mode = crc
ms_client_mode = crc
ms_mon_cluster_mode = crc
ms_mon_service_mode = crc
ms_mon_client_mode = crc
keyring = $DATA/keyring
run_dir = $DATA/run
crash_dir = $DATA/crash
admin_socket = $DATA/run/\$name.asok
log_file = $DATA/log/\$name.log
mon_cluster_log_file = $DATA/log/cluster.log
log_max_recent = 500
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_osd_down_out_interval = 0
mon_warn_on_osd_down_out_interval_zero = false
auth_allow_insecure_global_id_reclaim = false
mon_data_avail_warn = 3
mon_data_avail_crit = 1

[client.admin]
log_file = /dev/null
admin_socket =

[mon]
mon_data = $DATA/mon.\$id

[osd]
osd_data = $DATA/osd.\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = $size_bytes
osd_crush_initial_weight = 1
crush_location = root=default host=hattama-s3
osd_memory_target = 1073741824
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1

[client.rgw.$RGW_ID]
rgw_frontends = beast endpoint=$HOST:$PORT
rgw_data = $DATA/rgw
rgw_thread_pool_size = 64
# dev only: allow SSE-C / SSE-KMS over plain http with a fixed test key
rgw_crypt_require_ssl = false
rgw_crypt_s3_kms_backend = testing
rgw_crypt_s3_kms_encryption_keys = hattama-dev-kms=Tr7kZ2yYq5sJm8xGk3pN1cVbW4dF6hA9eL0uQiRtYoU=
EOF
  mv "$CONF.tmp" "$CONF"
}

wait_mon() {
  local i
  for ((i = 0; i < TIMEOUT * 2; i++)); do
    is_running mon || die "ceph-mon exited"
    cephcli mon stat >/dev/null && return 0
    sleep 0.5
  done
  die "ceph-mon did not answer within ${TIMEOUT}s"
}

bootstrap() {
  local t0 osd_uuid id mon_port
  t0=$(now)
  mon_port=$MON_PORT_DEFAULT
  port_busy "$mon_port" && die "mon port $HOST:$mon_port is in use (set S3_MON_PORT)"
  log "bootstrapping a new cluster in $DATA"
  rm -rf "$DATA"
  mkdir -p "$DATA"/{run,log,crash,rgw,mon.a,osd.0}
  cat /proc/sys/kernel/random/uuid >"$DATA/fsid"
  echo "$mon_port" >"$DATA/mon_port"
  write_conf
  ceph-authtool --create-keyring "$DATA/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$DATA/keyring" --gen-key -n client.admin --cap mon 'allow *' \
    --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  monmaptool --create --fsid "$(cat "$DATA/fsid")" --addv a "[v2:$HOST:$mon_port]" \
    "$DATA/monmap" >>"$DATA/log/admin.out" 2>&1 || die "monmaptool failed"
  ceph-mon --conf "$CONF" --mkfs -i a --monmap "$DATA/monmap" --keyring "$DATA/keyring" \
    >>"$DATA/log/mon.out" 2>&1 || die "ceph-mon --mkfs failed"
  launch mon
  wait_mon
  cephcli osd set noout >/dev/null 2>&1 || true
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(cephcli osd new "$osd_uuid") || die "ceph osd new failed"
  [[ $id == 0 ]] || die "expected osd id 0, got '$id'"
  ceph-osd --conf "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DATA/log/osd.out" 2>&1 \
    || die "ceph-osd --mkfs failed"
  launch osd
  log "cluster created in $(since "$t0")s"
}

ensure_user() {
  local want="$AK $SK"
  [[ -f $DATA/user-keys && $(cat "$DATA/user-keys") == "$want" ]] && return 0
  if rgwadmin user info --uid="$RGW_UID" >/dev/null; then
    rgwadmin key create --uid="$RGW_UID" --key-type=s3 --access-key="$AK" --secret-key="$SK" \
      >/dev/null || die "radosgw-admin key create failed"
  else
    rgwadmin user create --uid="$RGW_UID" --display-name="hattama dev" \
      --access-key="$AK" --secret-key="$SK" >/dev/null || die "radosgw-admin user create failed"
  fi
  printf '%s' "$want" >"$DATA/user-keys"
  log "S3 user $RGW_UID has access key $AK"
}

wait_s3() {
  local i
  for ((i = 0; i < TIMEOUT * 5; i++)); do
    s3_ok && return 0
    is_running rgw || die "radosgw exited before answering"
    is_running osd || die "ceph-osd exited"
    is_running mon || die "ceph-mon exited"
    sleep 0.2
  done
  die "S3 did not answer a signed request on $HOST:$PORT within ${TIMEOUT}s"
}

# ---------------------------------------------------------------- commands
cmd_start() {
  local t0 d
  t0=$(now)
  mkdir -p "$(dirname "$DATA")"
  exec 9>"$LOCK"
  flock -w 1200 9 || die "another start-s3.sh still holds $LOCK after 20 min"
  ensure_packages
  if [[ -f $DATA/bootstrapped ]] && is_running mon && is_running osd && is_running rgw \
     && [[ -f $DATA/user-keys && $(cat "$DATA/user-keys") == "$AK $SK" ]] && s3_ok; then
    log "already running and healthy"
    print_env
    return 0
  fi
  if [[ ! -f $DATA/bootstrapped ]]; then
    [[ -d $DATA ]] && { log "found an unfinished bootstrap in $DATA, redoing it"; stop_daemons; }
    bootstrap
    ensure_user               # creates the default zone before radosgw starts
    launch rgw
    wait_s3
    warm_pools
    touch "$DATA/bootstrapped"
  else
    mkdir -p "$DATA"/{run,log,crash,rgw}
    write_conf
    if ! is_running rgw && port_busy "$PORT"; then
      die "port $HOST:$PORT is in use by another process (set S3_PORT)"
    fi
    for d in mon osd rgw; do
      is_running "$d" || launch "$d"
    done
    ensure_user
    wait_s3
    warm_pools # a data directory bootstrapped before this step existed
  fi
  log "S3 ready on http://$HOST:$PORT in $(since "$t0")s"
  print_env
}

cmd_stop() {
  [[ -d $DATA ]] || { log "nothing to stop ($DATA does not exist)"; return 0; }
  exec 9>"$LOCK"
  flock -w 600 9 || die "another start-s3.sh still holds $LOCK"
  stop_daemons
}

cmd_clean() {
  mkdir -p "$(dirname "$DATA")"
  exec 9>"$LOCK"
  flock -w 600 9 || die "another start-s3.sh still holds $LOCK"
  [[ -d $DATA ]] && stop_daemons
  rm -rf "$DATA" "$DATA.apt.log"
  log "removed $DATA"
}

cmd_status() {
  local d pids healthy=1 rss
  if [[ ! -d $DATA ]]; then echo "not bootstrapped ($DATA does not exist)"; return 1; fi
  for d in mon osd rgw; do
    pids=$(daemon_pids "$d")
    if [[ -n $pids ]]; then
      rss=$(awk '/^VmRSS/{print $2}' "/proc/${pids%%$'\n'*}/status" 2>/dev/null || echo '?')
      echo "$d: running (pid $(echo $pids), rss ${rss} kB)"
    else
      echo "$d: stopped"; healthy=0
    fi
  done
  if s3_ok; then echo "s3: answering on http://$HOST:$PORT"; else echo "s3: not answering"; healthy=0; fi
  echo "data: $DATA ($(du -sh "$DATA" 2>/dev/null | cut -f1) on disk)"
  ((healthy))
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  env) print_env ;;
  -h | --help | help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: $0 [start|stop|status|clean|env]" >&2; exit 2 ;;
esac
