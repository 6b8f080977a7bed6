// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The deployment bundle (cross/bundle) of this build: made, unpacked from its tarball into two
// other places, and run from each (under the build's emulator when cross-compiled): the demo must
// classify the bundled sample scenes; no file may name a path of the build machine; an existing
// bundle is never overwritten.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#ifndef EDGERT_TARGET_RUN
#define EDGERT_TARGET_RUN ""
#endif

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

int sh(const std::string& cmd, const fs::path& log) {
  return std::system((cmd + " > '" + log.string() + "' 2>&1").c_str());
}

}  // namespace

TEST_CASE("cross/bundle: a relocatable bundle that runs the demo from anywhere", "[bundle]") {
  const fs::path work = fs::path(EDGERT_TEST_DATA_DIR) / "bundle";
  fs::remove_all(work);
  fs::create_directories(work);
  const fs::path log = work / "log.txt";
  const std::string bundle = std::string(EDGERT_SOURCE_DIR) + "/cross/bundle";
  int rc =
      sh("bash '" + bundle + "' '" + EDGERT_BUILD_DIR + "' '" + (work / "out").string() + "'", log);
  INFO(slurp(log));
  REQUIRE(rc == 0);
  fs::path tarball;
  for (const auto& e : fs::directory_iterator(work / "out"))
    if (e.path().extension() == ".gz") tarball = e.path();
  REQUIRE(!tarball.empty());
  const std::string name = tarball.stem().stem().string();  // edgert-<version>-<arch>
  CHECK_THAT(slurp(work / "out" / name / "MANIFEST"), Catch::Contains("target cpu"));

  // No file names this machine's build or source directory.
  for (const auto& e : fs::recursive_directory_iterator(work / "out" / name)) {
    if (!e.is_regular_file()) continue;
    const std::string bytes = slurp(e.path());
    INFO(e.path());
    CHECK(bytes.find(EDGERT_BUILD_DIR) == std::string::npos);
    CHECK(bytes.find(EDGERT_SOURCE_DIR) == std::string::npos);
  }

  // Unpacked elsewhere (twice, at different depths), the original gone: it still runs.
  fs::remove_all(work / "out" / name);
  for (const fs::path& where : {work / "a", work / "b" / "deeper" / "still"}) {
    fs::create_directories(where);
    REQUIRE(sh("tar -xzf '" + tarball.string() + "' -C '" + where.string() + "'", log) == 0);
    const fs::path run = where / name / "run_demo.sh";
    REQUIRE(fs::exists(run));
    rc = sh(std::string("env -u GST_PLUGIN_PATH GST_REGISTRY_FORK=no GST_REGISTRY='") +
                (where / "registry.bin").string() + "' EDGERT_EMULATOR='" + EDGERT_TARGET_RUN +
                "' '" + run.string() + "'",
            log);
    const std::string out = slurp(log);
    INFO(run << "\n" << out);
    CHECK(rc == 0);
    CHECK_THAT(out, Catch::Contains("accuracy through the pipeline") &&
                        Catch::Contains("of 64 labelled frames (4 streams)"));
    // The bundled model's accuracy on these scenes is about 90 %.
    const auto at = out.find("accuracy through the pipeline: ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(out.substr(at + 31)) >= 75.0);
  }

  // Bundling again into the same place is refused; the tarball is kept as it was.
  const auto size = fs::file_size(tarball);
  rc =
      sh("bash '" + bundle + "' '" + EDGERT_BUILD_DIR + "' '" + (work / "out").string() + "'", log);
  CHECK(rc != 0);
  CHECK_THAT(slurp(log), Catch::Contains("not overwriting"));
  CHECK(fs::file_size(tarball) == size);
}
