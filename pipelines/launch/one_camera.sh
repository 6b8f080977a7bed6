#!/usr/bin/env bash
# One camera, classified and labelled on screen:
#
#   v4l2src device=/dev/video0 ! videoconvert ! edgertinfer engine=E ! edgertoverlay
#     ! videoconvert ! autovideosink
#
#   bash pipelines/launch/one_camera.sh ENGINE [DEVICE]      (DEVICE: /dev/video0)
# SOURCE and SINK replace the camera and the window (e.g. SOURCE="videotestsrc num-buffers=100"
# SINK=fakesink); GST_PLUGIN_PATH must reach libgstedgert.so (<build>/pipelines).
set -euo pipefail
ENGINE=${1:?usage: one_camera.sh ENGINE [DEVICE]}
SOURCE=${SOURCE:-v4l2src device=${2:-/dev/video0}}
SINK=${SINK:-autovideosink}
# shellcheck disable=SC2086  # SOURCE and SINK are pipeline fragments
exec gst-launch-1.0 -e $SOURCE ! videoconvert ! edgertinfer engine="$ENGINE" ! edgertoverlay \
  ! videoconvert ! $SINK
