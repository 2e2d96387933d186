# compile-with-remarks.cmake - runs a compile command and keeps everything it
# says on stderr (gpreempt's -Rpass remarks, warnings) in a file:
#
#   cmake -DREMARKS=<file> -P compile-with-remarks.cmake -- <command>...
#
# The remarks stay out of the build log: scripts/zoo-report.py reads them
# from the file. Warnings are repeated in the log so they stay visible but,
# as without the wrapper, do not fail the build; a failed command fails it,
# with all its messages.
if(NOT REMARKS)
  message(FATAL_ERROR "compile-with-remarks.cmake: set -DREMARKS=<file>")
endif()

set(command)
set(in_command FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(in_command)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(in_command TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "compile-with-remarks.cmake: no command after --")
endif()

execute_process(COMMAND ${command}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
file(WRITE "${REMARKS}" "${out}${err}")

if(NOT status EQUAL 0)
  message(NOTICE "${out}${err}")
  message(FATAL_ERROR "failed (${status}); its messages are also in ${REMARKS}")
endif()
string(REGEX MATCHALL "[^\n]*warning: [^\n]*" warnings "${err}")
if(warnings)
  list(JOIN warnings "\n" shown)
  message(NOTICE "${shown}\n(all messages in ${REMARKS})")
endif()
