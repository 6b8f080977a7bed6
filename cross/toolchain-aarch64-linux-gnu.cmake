# Cross-compiles EdgeRT for aarch64 Linux on a Debian x86-64 host: Debian's cross g++
# (g++-aarch64-linux-gnu) against Debian's arm64 multiarch packages (dpkg --add-architecture
# arm64), whose libraries, CMake packages and .pc files are in /usr/lib/aarch64-linux-gnu. Target
# programs (the tests, Catch2's test discovery) run under qemu-aarch64. cross/build.sh installs
# all of it and configures with this file:
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cross/toolchain-aarch64-linux-gnu.cmake
#
# EDGERT_AARCH64_EXTRA_ROOT (a -D option or the environment variable): where arm64 packages that
# cannot be installed next to their amd64 versions were unpacked (dpkg-deb -x); cross/build.sh
# says which. Its usr/ is searched like a prefix, its libraries resolve at link time and under qemu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_edgert_triplet aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${_edgert_triplet}-gcc)
set(CMAKE_CXX_COMPILER ${_edgert_triplet}-g++)

# Multiarch: find_library and find_package look in /usr/lib/aarch64-linux-gnu, never in the
# host's /usr/lib/x86_64-linux-gnu. The sysroot is / (no CMAKE_FIND_ROOT_PATH), so find_program
# finds host programs (protoc: the host's protobuf-compiler, same version as libprotobuf-dev:arm64).
set(CMAKE_LIBRARY_ARCHITECTURE ${_edgert_triplet})

# pkg-config: Debian's cross wrapper (package pkg-config:arm64) searches the arm64 .pc files; without
# it the host pkg-config is pointed at them.
find_program(_edgert_cross_pkg_config ${_edgert_triplet}-pkg-config)
if(_edgert_cross_pkg_config)
  set(PKG_CONFIG_EXECUTABLE ${_edgert_cross_pkg_config} CACHE FILEPATH "pkg-config for aarch64")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${_edgert_triplet}/pkgconfig:/usr/share/pkgconfig")
endif()

if(NOT DEFINED EDGERT_AARCH64_EXTRA_ROOT AND DEFINED ENV{EDGERT_AARCH64_EXTRA_ROOT})
  set(EDGERT_AARCH64_EXTRA_ROOT "$ENV{EDGERT_AARCH64_EXTRA_ROOT}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGERT_AARCH64_EXTRA_ROOT)

# Target programs run under qemu-aarch64 (qemu-user or qemu-user-static). -L: the arm64 dynamic
# loader of the cross toolchain (libc6-arm64-cross); LD_LIBRARY_PATH: its libc too, before the
# multiarch libc6:arm64 in /lib/aarch64-linux-gnu (another glibc build, which the arm64 packages
# install: a loader and libc from two builds hang threaded programs under qemu), then the
# libraries of EDGERT_AARCH64_EXTRA_ROOT, the packages that are not co-installable (libgdal's
# dependencies are in its usr/lib). Other arm64 libraries come from the multiarch directories.
set(_edgert_run_libs /usr/${_edgert_triplet}/lib)
if(EDGERT_AARCH64_EXTRA_ROOT)
  string(APPEND _edgert_run_libs ":${EDGERT_AARCH64_EXTRA_ROOT}/usr/lib/${_edgert_triplet}"
         ":${EDGERT_AARCH64_EXTRA_ROOT}/usr/lib")
endif()
find_program(_edgert_qemu NAMES qemu-aarch64 qemu-aarch64-static)
if(_edgert_qemu AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${_edgert_qemu} -L /usr/${_edgert_triplet}
      -E LD_LIBRARY_PATH=${_edgert_run_libs})
endif()

if(EDGERT_AARCH64_EXTRA_ROOT)
  list(APPEND CMAKE_PREFIX_PATH ${EDGERT_AARCH64_EXTRA_ROOT}/usr)
  # FindPkgConfig leaves out a prefix's lib/<multiarch>/pkgconfig when cross-compiling.
  set(ENV{PKG_CONFIG_PATH} "${EDGERT_AARCH64_EXTRA_ROOT}/usr/lib/${_edgert_triplet}/pkgconfig")
  # The link resolves their dependencies' dependencies there too (libgdal for libopencv_imgcodecs).
  foreach(_kind EXE SHARED MODULE)
    string(APPEND CMAKE_${_kind}_LINKER_FLAGS_INIT " -Wl,-rpath-link,"
           "${EDGERT_AARCH64_EXTRA_ROOT}/usr/lib/${_edgert_triplet}:${EDGERT_AARCH64_EXTRA_ROOT}/usr/lib")
  endforeach()
endif()
