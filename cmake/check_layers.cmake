# The layer check: fails when a layer's source includes a header of a layer
# above it (docs/build.md, "Layers"). Linking per layer cannot catch that, since
# every layer compiles with the same include root (models/).
#
#   cmake -DLAYERS_ROOT=<dir> [-DEXTRA=<layer>=<dir>] [-DLAYERS=a,b,c]
#         [-DALLOW=<entry>] -P cmake/check_layers.cmake
#
# LAYERS_ROOT holds one folder per layer (models/). Every .h/.hpp/.cpp/.cc
# below it must sit in a layer's folder (its sources would otherwise be built
# by no library), and each `#include "X/..."` (or <X/...>) whose X names a
# layer must name its own layer or a lower one. EXTRA adds a folder outside
# the root whose files belong to a layer (rtl/ to iommu). LAYERS and ALLOW
# default to IOMMUSIM_LAYERS and IOMMUSIM_LAYER_ALLOW of cmake/layers.cmake;
# the tests pass their own (ALLOW= for none).
#
# Every forbidden include is reported as
#   <root>/<file>:<line>: error: forbidden include <from> -> <to> ("<header>"): ...
# and the script ends with FATAL_ERROR (exit code 1). Allow-listed ones are
# printed as "allowed" and do not fail; an allow-list entry that matches
# nothing gives a warning (not a failure, so that the change which fixes the
# file builds before the entry is deleted).
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/layers.cmake)

if(NOT DEFINED LAYERS_ROOT OR NOT IS_DIRECTORY "${LAYERS_ROOT}")
  message(FATAL_ERROR "check_layers: LAYERS_ROOT must name the folder of the layers (got '${LAYERS_ROOT}')")
endif()
get_filename_component(root "${LAYERS_ROOT}" ABSOLUTE)
get_filename_component(root_name "${root}" NAME)
if(DEFINED LAYERS)
  string(REPLACE "," ";" layers "${LAYERS}")
else()
  set(layers ${IOMMUSIM_LAYERS})
endif()
if(DEFINED ALLOW)
  set(allow "${ALLOW}")
else()
  set(allow ${IOMMUSIM_LAYER_ALLOW})
endif()

# Allow-list entries: "<file>|<from>-><to>|<reason>"
set(allow_keys)
set(allow_used)
foreach(entry IN LISTS allow)
  if(NOT entry MATCHES "^([^|]+)\\|([A-Za-z0-9_]+)->([A-Za-z0-9_]+)\\|(.+)$")
    message(FATAL_ERROR "check_layers: malformed allow-list entry '${entry}' "
                        "(want \"<file>|<from>-><to>|<reason>\")")
  endif()
  list(APPEND allow_keys "${CMAKE_MATCH_1}|${CMAKE_MATCH_2}->${CMAKE_MATCH_3}")
  string(MAKE_C_IDENTIFIER "${CMAKE_MATCH_1}|${CMAKE_MATCH_2}->${CMAKE_MATCH_3}" id)
  set(allow_reason_${id} "${CMAKE_MATCH_4}")
endforeach()

# (file, layer, shown name) of everything to scan.
set(errors)
set(files)
file(GLOB_RECURSE root_sources LIST_DIRECTORIES false RELATIVE "${root}"
     "${root}/*.h" "${root}/*.hpp" "${root}/*.cpp" "${root}/*.cc")
list(SORT root_sources)
foreach(rel IN LISTS root_sources)
  string(REGEX MATCH "^[^/]+/" first "${rel}")
  string(REGEX REPLACE "/$" "" first "${first}")
  list(FIND layers "${first}" idx)
  if(first STREQUAL "" OR idx EQUAL -1)
    string(REPLACE ";" ", " names "${layers}")
    list(APPEND errors "${root_name}/${rel}: error: not in a layer's folder (${names}), so no library builds it")
    continue()
  endif()
  list(APPEND files "${root}/${rel}|${first}|${root_name}/${rel}|${rel}")
endforeach()
foreach(extra IN LISTS EXTRA)
  if(NOT extra MATCHES "^([A-Za-z0-9_]+)=(.+)$")
    message(FATAL_ERROR "check_layers: EXTRA entries are <layer>=<folder> (got '${extra}')")
  endif()
  set(layer "${CMAKE_MATCH_1}")
  get_filename_component(dir "${CMAKE_MATCH_2}" ABSOLUTE)
  if(NOT "${layer}" IN_LIST layers OR NOT IS_DIRECTORY "${dir}")
    message(FATAL_ERROR "check_layers: EXTRA '${extra}': no layer ${layer} or no folder ${dir}")
  endif()
  get_filename_component(dir_name "${dir}" NAME)
  file(GLOB_RECURSE extra_sources LIST_DIRECTORIES false RELATIVE "${dir}"
       "${dir}/*.h" "${dir}/*.hpp" "${dir}/*.cpp" "${dir}/*.cc")
  list(SORT extra_sources)
  foreach(rel IN LISTS extra_sources)
    list(APPEND files "${dir}/${rel}|${layer}|${dir_name}/${rel}|${dir_name}/${rel}")
  endforeach()
endforeach()

set(include_re "^[ \t]*#[ \t]*include[ \t]*[\"<]([A-Za-z0-9_]+)/[^\">]*[\">]")
set(scanned 0)
foreach(item IN LISTS files)
  string(REPLACE "|" ";" parts "${item}")
  list(GET parts 0 path)
  list(GET parts 1 layer)
  list(GET parts 2 shown)
  list(GET parts 3 key)
  list(FIND layers "${layer}" from_idx)
  math(EXPR scanned "${scanned} + 1")
  # Only the #include lines first; the line numbers only for a bad one.
  file(STRINGS "${path}" includes REGEX "${include_re}")
  foreach(inc IN LISTS includes)
    string(REGEX MATCH "${include_re}" header "${inc}")
    set(to "${CMAKE_MATCH_1}")
    list(FIND layers "${to}" to_idx)
    if(to_idx EQUAL -1 OR to_idx LESS_EQUAL from_idx)
      continue()  # not a layer (a system or generated header), or allowed
    endif()
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*" "" header "${header}")
    file(STRINGS "${path}" all_lines)
    set(n 0)
    set(line "?")
    foreach(l IN LISTS all_lines)
      math(EXPR n "${n} + 1")
      if(l STREQUAL inc)
        set(line ${n})
        break()
      endif()
    endforeach()
    set(arrow "${layer}->${to}")
    list(FIND allow_keys "${key}|${arrow}" allowed)
    if(allowed GREATER -1)
      string(MAKE_C_IDENTIFIER "${key}|${arrow}" id)
      message(STATUS "layer check: ${shown}:${line}: allowed include ${layer} -> ${to} (${header}): "
                     "${allow_reason_${id}}")
      list(APPEND allow_used "${key}|${arrow}")
      continue()
    endif()
    list(SUBLIST layers 0 ${from_idx} lower)
    list(APPEND lower "${layer}")
    string(REPLACE ";" ", " lower "${lower}")
    list(APPEND errors "${shown}:${line}: error: forbidden include ${layer} -> ${to} (${header}): ${layer} may include only ${lower}")
  endforeach()
endforeach()

foreach(key IN LISTS allow_keys)
  list(FIND allow_used "${key}" used)
  if(used EQUAL -1)
    message(NOTICE "layer check: warning: allow-list entry '${key}' matches no include any more: "
                   "delete it from IOMMUSIM_LAYER_ALLOW (cmake/layers.cmake)")
  endif()
endforeach()

string(REPLACE ";" " < " order "${layers}")
list(LENGTH errors n_errors)
if(n_errors GREATER 0)
  # One plain line each (NOTICE: stderr, not reflowed like FATAL_ERROR's text).
  foreach(e IN LISTS errors)
    message(NOTICE "${e}")
  endforeach()
  message(FATAL_ERROR "layer check FAILED: ${n_errors} problem(s) under ${root_name}/. A layer may include only "
                      "itself and the layers before it: ${order} (docs/build.md, \"Layers\").")
endif()
message(STATUS "layer check: ${scanned} files checked, no forbidden include (layers ${order})")
