# gpreempt_add_cuda_program(<output-var> NAME <name> SOURCE <file.cu>
#                           [FLAGS <flag>...] [DEPENDS <file>...])
# Builds bin/<name> from one .cu file with gpreempt-cc, the way a user
# builds a program, and appends the program's path to <output-var>.
function(gpreempt_add_cuda_program out_var)
  cmake_parse_arguments(ARG "" "NAME;SOURCE" "FLAGS;DEPENDS" ${ARGN})
  if(NOT "--gp-no-preempt" IN_LIST ARG_FLAGS)
    list(PREPEND ARG_FLAGS ${GPREEMPT_PASS_FLAGS})
  endif()
  set(program ${CMAKE_BINARY_DIR}/bin/${ARG_NAME})
  file(RELATIVE_PATH shown ${PROJECT_SOURCE_DIR} ${ARG_SOURCE})
  string(REPLACE ";" " " flags "${ARG_FLAGS}")
  add_custom_command(OUTPUT ${program}
    COMMAND $<TARGET_FILE:gpreempt-cc> ${ARG_FLAGS} -Wall -Wextra -o ${program} ${ARG_SOURCE}
    DEPENDS ${ARG_SOURCE} ${ARG_DEPENDS} gpreempt-cc GPreemptPass gpreempt
            ${PROJECT_SOURCE_DIR}/include/gpreempt.h
    COMMENT "gpreempt-cc ${flags} ${shown}"
    VERBATIM)
  set(${out_var} ${${out_var}} ${program} PARENT_SCOPE)
endfunction()
