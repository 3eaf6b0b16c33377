# Helpers of the install tests (cmake -P scripts); see CMakeLists.txt.

# run(WHAT COMMAND args... [OUTPUT var]): runs a command, fails the test
# with its output when it fails, and prints or returns its output.
function(run what)
  cmake_parse_arguments(ARG "" "OUTPUT;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY ${WORK_DIR})
  endif()
  execute_process(COMMAND ${ARG_COMMAND}
    WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${ARG_COMMAND}")
    message(FATAL_ERROR "${what} failed (${rc}): ${shown}\n${out}\n${err}")
  endif()
  if(ARG_OUTPUT)
    set(${ARG_OUTPUT} "${out}" PARENT_SCOPE)
  else()
    message(STATUS "${what}: ok")
  endif()
endfunction()

# install_into(PREFIX): a fresh `cmake --install` of the build tree.
function(install_into prefix)
  file(REMOVE_RECURSE ${prefix})
  run("install" COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
endfunction()

# configure_and_build(SOURCE BINARY args...): an out-of-tree project built
# with the tree's compilers and generator, one job at a time.
function(configure_and_build source binary)
  file(REMOVE_RECURSE ${binary})
  run("configure ${source}" COMMAND ${CMAKE_COMMAND} -S ${source} -B ${binary}
      -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
      -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
      -DCMAKE_BUILD_TYPE=Release ${ARGN})
  run("build ${source}" COMMAND ${CMAKE_COMMAND} --build ${binary} --parallel 1)
endfunction()

# check_accuracy(WHAT OUTPUT FLOOR): the program printed "accuracy: A" with
# A above FLOOR.
function(check_accuracy what output floor)
  if(NOT output MATCHES "accuracy: ([0-9.]+)")
    message(FATAL_ERROR "${what} printed no accuracy:\n${output}")
  endif()
  set(accuracy ${CMAKE_MATCH_1})
  if(accuracy LESS_EQUAL floor)
    message(FATAL_ERROR "${what}: accuracy ${accuracy} is not above ${floor}")
  endif()
  message(STATUS "${what}: accuracy ${accuracy}")
endfunction()
