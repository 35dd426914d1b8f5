# One CTest case of the layer check (tb/CMakeLists.txt): runs
# cmake/check_layers.cmake on ROOT (with ALLOW and EXTRA when given) and
# passes when its exit status is EXPECT (pass or fail) and its output contains
# each of the literal strings OUTPUT1..OUTPUT3 that are given.
#
#   cmake -DROOT=<dir> -DEXPECT=fail -DOUTPUT1=<text> [-DALLOW=...] -P cmake/test_check_layers.cmake
cmake_minimum_required(VERSION 3.25)
set(args -DLAYERS_ROOT=${ROOT})
if(DEFINED ALLOW)
  list(APPEND args "-DALLOW=${ALLOW}")
endif()
if(DEFINED EXTRA)
  list(APPEND args "-DEXTRA=${EXTRA}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} ${args} -P ${CMAKE_CURRENT_LIST_DIR}/check_layers.cmake
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
message(STATUS "check_layers.cmake exit status ${rc}, output:\n${all}")
if(EXPECT STREQUAL "pass" AND NOT rc EQUAL 0)
  message(FATAL_ERROR "expected the check to pass")
elseif(EXPECT STREQUAL "fail" AND rc EQUAL 0)
  message(FATAL_ERROR "expected the check to fail")
elseif(NOT EXPECT MATCHES "^(pass|fail)$")
  message(FATAL_ERROR "EXPECT must be pass or fail")
endif()
foreach(i 1 2 3)
  if(DEFINED OUTPUT${i})
    string(FIND "${all}" "${OUTPUT${i}}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "expected in the output: ${OUTPUT${i}}")
    endif()
  endif()
endforeach()
