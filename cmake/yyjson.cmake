# yyjson (JSON reader), built from Debian trixie's source package by
# cmake/build-yyjson.sh and cached under KRAIT_DEPS_DIR like libsolv. The
# sanitizer build gets its own instrumented copy.
set(_yyjson_flavor release)
if(KRAIT_SANITIZE)
  set(_yyjson_flavor sanitize)
endif()
if(KRAIT_FUZZ)
  set(_yyjson_flavor fuzz)
endif()
execute_process(
  COMMAND ${CMAKE_SOURCE_DIR}/cmake/build-yyjson.sh ${KRAIT_DEPS_DIR} ${_yyjson_flavor}
  OUTPUT_VARIABLE _yyjson_out
  RESULT_VARIABLE _yyjson_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _yyjson_rc EQUAL 0)
  message(FATAL_ERROR "building yyjson failed (cmake/build-yyjson.sh exit ${_yyjson_rc})")
endif()
string(REGEX REPLACE ".*\n" "" YYJSON_PREFIX "${_yyjson_out}")
message(STATUS "yyjson at ${YYJSON_PREFIX}")
add_library(krait_yyjson INTERFACE)
target_include_directories(krait_yyjson SYSTEM INTERFACE ${YYJSON_PREFIX}/include)
target_link_libraries(krait_yyjson INTERFACE ${YYJSON_PREFIX}/lib/libyyjson.a)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/build-yyjson.sh)
