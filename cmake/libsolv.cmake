# libsolv with conda support, built from Debian trixie's source package by
# cmake/build-libsolv.sh (cached under KRAIT_DEPS_DIR, keyed by our patches).
# KRAIT_LIBSOLV_PREFIX instead points at an installed static libsolv built
# with ENABLE_CONDA (e.g. conda-forge's libsolv-static in a conda-build host
# env, whose own patches give conda's build preference); our patches are then
# not applied.
set(KRAIT_LIBSOLV_PREFIX "" CACHE PATH "Use this installed libsolv (with conda support) instead of building it")
if(KRAIT_LIBSOLV_PREFIX)
  set(_libsolv_rc 0)
  set(_libsolv_out "${KRAIT_LIBSOLV_PREFIX}")
else()
set(_libsolv_flavor release)
if(KRAIT_SANITIZE)
  set(_libsolv_flavor sanitize)  # its own instrumented copy: the patches run under ASan/UBSan
endif()
if(KRAIT_FUZZ)
  set(_libsolv_flavor fuzz)
endif()
execute_process(
  COMMAND ${CMAKE_SOURCE_DIR}/cmake/build-libsolv.sh ${KRAIT_DEPS_DIR} ${_libsolv_flavor}
  OUTPUT_VARIABLE _libsolv_out
  RESULT_VARIABLE _libsolv_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
if(NOT _libsolv_rc EQUAL 0)
  message(FATAL_ERROR "building libsolv failed (cmake/build-libsolv.sh exit ${_libsolv_rc})")
endif()
string(REGEX REPLACE ".*\n" "" LIBSOLV_PREFIX "${_libsolv_out}")
message(STATUS "libsolv (conda) at ${LIBSOLV_PREFIX}")
set(LIBSOLV_TESTSOLV "${LIBSOLV_PREFIX}/bin/testsolv")

add_library(krait_libsolv INTERFACE)
target_include_directories(krait_libsolv SYSTEM INTERFACE ${LIBSOLV_PREFIX}/include)
target_link_libraries(krait_libsolv INTERFACE
  ${LIBSOLV_PREFIX}/lib/libsolvext.a ${LIBSOLV_PREFIX}/lib/libsolv.a z)
# Rebuild when a patch changes.
file(GLOB _libsolv_patches CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/libsolv-patches/*.patch)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${_libsolv_patches} ${CMAKE_SOURCE_DIR}/cmake/build-libsolv.sh ${CMAKE_SOURCE_DIR}/cmake/deps-lib.sh)
