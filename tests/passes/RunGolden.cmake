# Runs one golden test of the passes (cmake -P): reads the `# RUN: ARGS`
# line of INPUT, runs `ADJOINT opt INPUT ARGS` (or `ADJOINT dump INPUT REST`
# when ARGS is `dump REST`: the stages after the simplification passes) and
# checks its standard output against the `# CHECK` lines of INPUT with LLVM's
# FileCheck.
#
#   cmake -DADJOINT=... -DFILECHECK=... -DINPUT=file.adj -P RunGolden.cmake
foreach(var ADJOINT FILECHECK INPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "RunGolden.cmake needs -D${var}=...")
  endif()
endforeach()

file(STRINGS "${INPUT}" run_lines REGEX "^# RUN:")
list(LENGTH run_lines count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "${INPUT}: expected one '# RUN: ARGS' line, found ${count}")
endif()
string(REGEX REPLACE "^# RUN:[ ]*" "" args "${run_lines}")
separate_arguments(args UNIX_COMMAND "${args}")
set(command opt)
list(GET args 0 first)
if(first STREQUAL "dump")
  set(command dump)
  list(REMOVE_AT args 0)
endif()

execute_process(
  COMMAND "${ADJOINT}" ${command} "${INPUT}" ${args}
  COMMAND "${FILECHECK}" --dump-input=fail "${INPUT}"
  RESULTS_VARIABLE results)
list(GET results 0 opt_result)
list(GET results 1 check_result)
if(NOT opt_result EQUAL 0)
  message(FATAL_ERROR "adjoint ${command} ${args} failed (${opt_result})")
endif()
if(NOT check_result EQUAL 0)
  message(FATAL_ERROR "FileCheck failed (${check_result})")
endif()
