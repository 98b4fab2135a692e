# aarch64-toolchain.cmake — cross-compiles w2s for AArch64 Linux with Debian's
# gcc-aarch64-linux-gnu and runs the results under qemu-user (ctest uses the emulator below).
# Only the kernel layers build this way (-DW2S_KERNELS_ONLY=ON): the arm64 libraries installed
# are cmocka and libgomp (scripts/setup.sh). `-cpu max` exposes dotprod and bf16 in HWCAP, so
# every NEON level runs; W2S_ISA=neon / neon_dotprod forces the lower ones.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# The toolchain's own sysroot, plus / for the multiarch arm64 packages (libcmocka-dev:arm64 in
# /usr/lib/aarch64-linux-gnu); CMAKE_LIBRARY_ARCHITECTURE keeps host x86-64 libraries out.
set(W2S_AARCH64_SYSROOT /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH ${W2S_AARCH64_SYSROOT} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Multiarch: arm64 .pc files live in /usr/lib/aarch64-linux-gnu/pkgconfig, with host paths
# (/usr/include, /usr/lib/aarch64-linux-gnu) that are right as they are, so no sysroot prefix.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# No -L ${W2S_AARCH64_SYSROOT}: qemu would then take ld.so from the cross package
# (libc6-arm64-cross) but libc.so.6 from the multiarch libc6:arm64 that ld.so.cache lists, and
# two glibc builds disagree on ld.so's private state: the first pthread_create (any OpenMP
# team) spins forever. Without -L, /lib/ld-linux-aarch64.so.1 and libc both come from libc6:arm64.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu max)
