// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The raw video every EdgeRT element takes and gives (string literals, for GST_STATIC_CAPS).

#define EDGERT_VIDEO_FORMATS "{ RGB, BGR, RGBA, BGRx, NV12, I420 }"
#define EDGERT_VIDEO_CAPS "video/x-raw, format = (string) " EDGERT_VIDEO_FORMATS
