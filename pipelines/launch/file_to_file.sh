#!/usr/bin/env bash
# A video file in, the same video with every frame labelled out (VP8 in WebM):
#
#   filesrc location=IN ! decodebin ! videoconvert ! edgertinfer engine=E ! edgertoverlay
#     ! videoconvert ! vp8enc ! webmmux ! filesink location=OUT
#
#   bash pipelines/launch/file_to_file.sh ENGINE IN OUT.webm
# IN is anything decodebin reads (MP4, MKV, WebM, ...). OUT must not exist: it is never
# overwritten.
set -euo pipefail
ENGINE=${1:?usage: file_to_file.sh ENGINE IN OUT.webm}
IN=${2:?usage: file_to_file.sh ENGINE IN OUT.webm}
OUT=${3:?usage: file_to_file.sh ENGINE IN OUT.webm}
[ -r "$IN" ] || { echo "file_to_file.sh: cannot read '$IN'" >&2; exit 1; }
[ ! -e "$OUT" ] || { echo "file_to_file.sh: '$OUT' exists; not overwriting it" >&2; exit 1; }
exec gst-launch-1.0 -e filesrc location="$IN" ! decodebin ! videoconvert \
  ! edgertinfer engine="$ENGINE" ! edgertoverlay ! videoconvert ! vp8enc deadline=1 \
  ! webmmux ! filesink location="$OUT"
