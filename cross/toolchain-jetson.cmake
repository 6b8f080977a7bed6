# Cross-compiling EdgeRT with its CUDA backend for a Jetson (aarch64, Orin = sm_87) from an x86-64
# host. Step by step in docs/cross.md. In short:
#
#   cmake -S . -B build-jetson -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         -DCMAKE_TOOLCHAIN_FILE=cross/toolchain-jetson.cmake -DJETPACK_SYSROOT=/opt/jetson-rootfs
#   ninja -C build-jetson
#
# JETPACK_SYSROOT (cache variable or environment variable): a copy of the board's root file system
# with JetPack installed: /usr/local/cuda (CUDA for aarch64: headers and libraries, in
# targets/aarch64-linux), cuDNN and cuBLAS in /usr/lib/aarch64-linux-gnu, and the -dev packages
# EdgeRT uses (Eigen, GStreamer, protobuf and ONNX for the builder).
# EDGERT_HOST_CUDA: the host's x86-64 CUDA toolkit, whose nvcc compiles the device code; it must
# have the same major.minor version as the board's CUDA (default /usr/local/cuda).
# EDGERT_CUDA_ARCHITECTURES: 87 (Orin) unless set; 72 for Xavier.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT JETPACK_SYSROOT AND DEFINED ENV{JETPACK_SYSROOT})
  set(JETPACK_SYSROOT $ENV{JETPACK_SYSROOT})
endif()
if(NOT JETPACK_SYSROOT OR NOT EXISTS "${JETPACK_SYSROOT}/usr/local/cuda")
  message(FATAL_ERROR
    "toolchain-jetson.cmake: set JETPACK_SYSROOT to the Jetson root file system with JetPack "
    "installed (it must hold usr/local/cuda); got '${JETPACK_SYSROOT}'. For a CPU-only aarch64 "
    "build use cross/toolchain-aarch64-linux-gnu.cmake. See docs/cross.md.")
endif()
set(JETPACK_SYSROOT "${JETPACK_SYSROOT}" CACHE PATH "Jetson root file system with JetPack")
set(EDGERT_HOST_CUDA /usr/local/cuda CACHE PATH "The host's x86-64 CUDA toolkit (nvcc)")
# try_compile projects see these too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES JETPACK_SYSROOT EDGERT_HOST_CUDA)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT "${JETPACK_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${JETPACK_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${JETPACK_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${JETPACK_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${JETPACK_SYSROOT}/usr/share/pkgconfig")

# Device code: the host's nvcc, host code through the cross g++; the target's CUDA libraries
# and headers from the sysroot (FindCUDAToolkit looks in targets/aarch64-linux when cross).
set(CMAKE_CUDA_COMPILER "${EDGERT_HOST_CUDA}/bin/nvcc")
set(CMAKE_CUDA_HOST_COMPILER aarch64-linux-gnu-g++)
set(CUDAToolkit_ROOT "${JETPACK_SYSROOT}/usr/local/cuda")
set(EDGERT_CUDA ON CACHE STRING "The Jetson build needs the CUDA backend")
set(EDGERT_CUDA_ARCHITECTURES 87 CACHE STRING "Jetson GPU architectures (87: Orin)")

# The CPU-only tests can run on the host under qemu (the CUDA ones need the board).
find_program(EDGERT_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(EDGERT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGERT_QEMU_AARCH64};-L;${JETPACK_SYSROOT}")
endif()
