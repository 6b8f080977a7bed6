#!/usr/bin/env bash
# N cameras batched into shared inferences (one batch group), labelled, tiled into one view:
#
#   compositor name=mix sink_k::xpos=.. sink_k::ypos=.. ! videoconvert ! autovideosink
#   v4l2src device=/dev/videoK ! videoconvert ! videoscale ! video/x-raw,width=W,height=H
#     ! edgertinfer engine=E batch-group=tiled ! edgertoverlay ! mix.sink_K      (per camera)
#
#   bash pipelines/launch/tiled_cameras.sh ENGINE DEVICE...   (e.g. /dev/video0 /dev/video1)
# Build the engine with the batch = the number of cameras (edgert build --batch N). Tiles are
# 640x360, two per row. SOURCE (with the device as $DEV, e.g. SOURCE='videotestsrc
# num-buffers=100 pattern=ball') and SINK replace the cameras and the window.
set -euo pipefail
ENGINE=${1:?usage: tiled_cameras.sh ENGINE DEVICE...}
shift
[ $# -ge 1 ] || { echo "tiled_cameras.sh: name at least one camera device" >&2; exit 2; }
SINK=${SINK:-autovideosink}
W=640 H=360
mix="compositor name=mix"
branches=""
k=0
for DEV in "$@"; do
  src=${SOURCE:-v4l2src device=$DEV}
  src=${src//\$DEV/$DEV}
  mix+=" sink_$k::xpos=$(( (k % 2) * W )) sink_$k::ypos=$(( (k / 2) * H ))"
  branches+=" $src ! videoconvert ! videoscale ! video/x-raw,width=$W,height=$H"
  branches+=" ! edgertinfer engine=\"$ENGINE\" batch-group=tiled unique-id=$k ! edgertoverlay"
  branches+=" ! mix.sink_$k"
  k=$((k + 1))
done
# shellcheck disable=SC2086  # the pipeline is built from fragments
eval exec gst-launch-1.0 -e "$mix ! videoconvert ! $SINK $branches"
