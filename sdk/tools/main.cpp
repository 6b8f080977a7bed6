// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert`: the host tool. Subcommands are added in their own files.
#include <cstdio>
int main() {
  std::puts("edgert");
  return 0;
}
