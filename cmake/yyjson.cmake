# yyjson (JSON reader), built from Debian trixie's source package by
# cmake/build-yyjson.sh and cached under KRAIT_DEPS_DIR like libsolv.
# The sanitizer and fuzz builds link the release copy too: yyjson is fuzzed
# upstream (OSS-Fuzz) and its instrumented builds take many minutes on CI's
# two cores; krait's layer above it is instrumented. build-yyjson.sh can
# still make "sanitize" and "fuzz" copies by hand.
# KRAIT_YYJSON_PREFIX instead points at an installed yyjson (include/yyjson.h,
# lib/libyyjson.a), e.g. a conda-build host environment's.
set(KRAIT_YYJSON_PREFIX "" CACHE PATH "Use this installed yyjson instead of building it")
if(KRAIT_YYJSON_PREFIX)
  set(YYJSON_PREFIX "${KRAIT_YYJSON_PREFIX}")
else()
set(_yyjson_flavor release)
execute_process(
  COMMAND ${CMAKE_SOURCE_DIR}/cmake/build-yyjson.sh ${KRAIT_DEPS_DIR} ${_yyjson_flavor}
  OUTPUT_VARIABLE _yyjson_out
  RESULT_VARIABLE _yyjson_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _yyjson_rc EQUAL 0)
  message(FATAL_ERROR "building yyjson failed (cmake/build-yyjson.sh exit ${_yyjson_rc})")
endif()
string(REGEX REPLACE ".*\n" "" YYJSON_PREFIX "${_yyjson_out}")
endif()
message(STATUS "yyjson at ${YYJSON_PREFIX}")
add_library(krait_yyjson INTERFACE)
target_include_directories(krait_yyjson SYSTEM INTERFACE ${YYJSON_PREFIX}/include)
target_link_libraries(krait_yyjson INTERFACE ${YYJSON_PREFIX}/lib/libyyjson.a)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/build-yyjson.sh
  ${CMAKE_SOURCE_DIR}/cmake/deps-lib.sh)
