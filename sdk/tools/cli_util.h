// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the subcommands: argument parsing and error printing.

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/types.h"

namespace edgert::tools {

/// "input:1x3x224x224" -> ("input", [1,3,224,224]). The name may itself contain ':'.
Status parse_shape_arg(const std::string& s, std::string& name, Shape& shape);

/// Prints "edgert <command>: <status>" to stderr and returns `code`.
int fail(const char* command, const Status& s, int code = 1);

/// Writes `bytes` to `path` through a temporary file and a rename, so a failed write never leaves a
/// half-written file; refuses to overwrite any path in `protect` (the user's inputs).
Status write_file_atomic(const std::string& path, const void* data, std::size_t size,
                         const std::vector<std::string>& protect = {});

/// A CUDA version as the CUDA APIs encode it (1000 * major + 10 * minor) -> "13.0".
std::string cuda_version_text(int v);

}  // namespace edgert::tools
