// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Subcommands of the `edgert` tool. Each lives in its own file and is described by a Command;
// adding one = a new file defining `Command xxx_command()`, its declaration here and one entry
// in the table in main.cpp.

#include <CLI/CLI.hpp>

namespace edgert::tools {

struct Command {
  const char* name;
  const char* description;
  /// Adds the command's options to `sub`, binding them to state private to the command's file.
  void (*setup)(CLI::App& sub);
  /// Runs the command after parsing; returns the process exit code.
  int (*run)();
};

Command inspect_command();

}  // namespace edgert::tools
