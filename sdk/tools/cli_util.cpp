// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "tools/cli_util.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace edgert::tools {

Status parse_shape_arg(const std::string& s, std::string& name, Shape& shape) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(StatusCode::kInvalidArgument,
                      "--shapes '" + s + "': expected name:DIMxDIMx... (e.g. input:1x3x224x224)");
  name = s.substr(0, colon);
  std::vector<std::int64_t> dims;
  std::string rest = s.substr(colon + 1);
  std::size_t pos = 0;
  while (pos <= rest.size() && !rest.empty()) {
    auto x = rest.find('x', pos);
    std::string d = rest.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    char* end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end != '\0' || v <= 0)
      return make_error(StatusCode::kInvalidArgument,
                        "--shapes '" + s + "': bad dimension '" + d + "'");
    dims.push_back(v);
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  shape = Shape(dims);
  return Status();
}

int fail(const char* command, const Status& s, int code) {
  std::fprintf(stderr, "edgert %s: %s\n", command, s.to_string().c_str());
  return code;
}

Status write_file_atomic(const std::string& path, const void* data, std::size_t size,
                         const std::vector<std::string>& protect) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& p : protect)
    if (!p.empty() && fs::exists(p, ec) && fs::exists(path, ec) && fs::equivalent(p, path, ec))
      return Status(StatusCode::kInvalidArgument,
                    "refusing to overwrite input file '" + p + "' with the output");
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status(StatusCode::kIoError, "cannot write '" + tmp + "'");
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!f) {
      f.close();
      fs::remove(tmp, ec);
      return Status(StatusCode::kIoError, "write to '" + tmp + "' failed (disk full?)");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status(StatusCode::kIoError, "cannot rename '" + tmp + "' to '" + path + "'");
  }
  return Status();
}

std::string cuda_version_text(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

}  // namespace edgert::tools
