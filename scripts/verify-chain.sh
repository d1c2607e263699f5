#!/usr/bin/env bash
# Checks a Hattama recording without Hattama: jq, printf and sha256sum only.
#   verify-chain.sh <manifest.json> <objects-dir> [track]
# <objects-dir> holds each object at <dir>/<key> (a copy made with `mc cp --recursive`
# or `aws s3 sync`), or at <dir>/<key>@/data or <dir>/objects/<key>@/data (Hattama's
# local object directory, HATTAMA_OBJECTS_DIR). Prints `OK <track> <n> segments <final
# chain>` or `FAIL <track> seq <n>: <reason>` lines; exits 1 on any failure.
#   chain(-1) = sha256("hattama-chain-v1|<hearing id>|<track>")
#   chain(i)  = sha256("<chain(i-1)>|<seq>|<start>|<durationMs>|<sha256 of segment i>")
set -u
[ $# -ge 2 ] || { echo "usage: $0 <manifest.json> <objects-dir> [track]" >&2; exit 2; }
manifest=$1 dir=$2 only=${3:-}
sha() { sha256sum | cut -c1-64; }
fail() { echo "FAIL $track seq $seq: $*"; bad=1; }
hearing=$(jq -r .hearing.id "$manifest") || exit 2
failed=0 seen=
for track in $(jq -r '.tracks[].name' "$manifest"); do
  [ -n "$only" ] && [ "$track" != "$only" ] && continue
  seen=1
  prev=$(printf 'hattama-chain-v1|%s|%s' "$hearing" "$track" | sha) n=0 bad=0
  while IFS=$'\t' read -r seq key start dur want chain; do
    [ "$seq" = "$n" ] || fail "expected seq $n"
    n=$((seq + 1)) file=
    for f in "$dir/$key" "$dir/$key@/data" "$dir/objects/$key@/data"; do
      [ -f "$f" ] && file=$f && break
    done
    if [ -z "$file" ]; then fail "missing ($key)"; prev=$chain; continue; fi
    got=$(sha <"$file")
    if [ "$got" != "$want" ]; then fail "sha256 $got, manifest says $want"; prev=$chain; continue; fi
    # Each link is checked from the manifest's previous value, so one break is reported
    # once; an unbroken run from the genesis proves the whole chain.
    link=$(printf '%s|%s|%s|%s|%s' "$prev" "$seq" "$start" "$dur" "$got" | sha)
    [ "$link" = "$chain" ] || fail "chain $chain, recomputed $link"
    prev=$chain
  done < <(jq -r --arg t "$track" \
    '.tracks[] | select(.name == $t) | .segments[] | [.seq, .key, .start, .durationMs, .sha256, .chain] | @tsv' \
    "$manifest")
  final=$(jq -r --arg t "$track" '.tracks[] | select(.name == $t) | .finalChain' "$manifest")
  [ "$prev" = "$final" ] || { echo "FAIL $track: finalChain $final, chain ends in $prev"; bad=1; }
  if [ "$bad" = 0 ]; then echo "OK $track $n segments $final"; else failed=1; fi
done
[ -n "$seen" ] || { echo "FAIL ${only:-manifest}: no such track"; failed=1; }
exit "$failed"
