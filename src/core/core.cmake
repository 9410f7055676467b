# The C++ core as CMake sees it, for the projects that build it outside PGXS
# (test/unit, bench/driver, bench/core).  include() it after setting OMEN_ROOT;
# it defines
#   OMEN_CORE_SOURCES    every src/core/*.cpp (GLOB: new files are picked up)
#   OMEN_DISTANCE_SOURCES the distance functions alone (dispatch, scalar and
#                        half references), for tools that need only those
#   OMEN_KERNEL_SOURCES  the SIMD kernel files of the host architecture, each
#                        compiled with only its own instruction-set flags, as
#                        the PGXS Makefile does, so the run-time dispatcher
#                        makes the same choice as inside the server.
file(GLOB OMEN_CORE_SOURCES CONFIGURE_DEPENDS "${OMEN_ROOT}/src/core/*.cpp")
set(OMEN_DISTANCE_SOURCES "${OMEN_ROOT}/src/core/distance.cpp" "${OMEN_ROOT}/src/core/half.cpp"
    "${OMEN_ROOT}/src/core/int8.cpp")

set(OMEN_KERNEL_DIR "${OMEN_ROOT}/src/core/simd")
set(OMEN_KERNEL_SOURCES "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i.86)$")
  list(APPEND OMEN_KERNEL_SOURCES
       "${OMEN_KERNEL_DIR}/kernels_sse2.cpp"
       "${OMEN_KERNEL_DIR}/kernels_avx2.cpp"
       "${OMEN_KERNEL_DIR}/kernels_avx512.cpp"
       "${OMEN_KERNEL_DIR}/kernels_avx512vnni.cpp")
  set_source_files_properties("${OMEN_KERNEL_DIR}/kernels_avx2.cpp"
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
  set_source_files_properties("${OMEN_KERNEL_DIR}/kernels_avx512.cpp"
    PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512dq;-mavx512vl;-mfma")
  set_source_files_properties("${OMEN_KERNEL_DIR}/kernels_avx512vnni.cpp"
    PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vnni")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  list(APPEND OMEN_KERNEL_SOURCES "${OMEN_KERNEL_DIR}/kernels_neon.cpp")
endif()
