# The README's flow from the installed package alone: install the build tree
# into a scratch prefix, train examples/fashion_mlp.pbtxt for one epoch with
# the installed command, then build examples/aot as a user's out-of-tree
# project (find_package + adjoint_add_model) and with its Makefile and
# pkg-config, run the programs and check their test accuracy. Prints
# "SKIPPED:" (ctest then reports the test as skipped) when the command has no
# `compile`. Run by ctest as install.aot_examples with the variables of
# PackageTest.cmake and -DFLOOR.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/Common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
install_into(${prefix})
set(adjoint ${prefix}/bin/adjoint)

execute_process(COMMAND ${adjoint} compile --help
  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 0)
  message("SKIPPED: this adjoint has no `compile` command")
  return()
endif()

set(model ${WORK_DIR}/trained.pb)
run("adjoint train" COMMAND ${adjoint} train
    ${SOURCE_DIR}/examples/fashion_mlp.pbtxt --epochs 1 --threads 1 -o ${model}
    OUTPUT out)
message(STATUS "adjoint train:\n${out}")

# CMake: find_package(adjoint) and adjoint_add_model.
configure_and_build(${SOURCE_DIR}/examples/aot ${WORK_DIR}/cmake-build
  -DCMAKE_PREFIX_PATH=${prefix} -DFASHION_MODEL=${model})
foreach(program classify_c classify_cpp)
  run("${program}" COMMAND ${WORK_DIR}/cmake-build/${program} OUTPUT out)
  check_accuracy("${program} (CMake)" "${out}" ${FLOOR})
endforeach()

# make and pkg-config.
find_program(MAKE NAMES make gmake REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
file(MAKE_DIRECTORY ${WORK_DIR}/make-build)
run("make" COMMAND ${MAKE} -f ${SOURCE_DIR}/examples/aot/Makefile
    ADJOINT=${adjoint} MODEL=${model} CC=${C_COMPILER}
    WORKING_DIRECTORY ${WORK_DIR}/make-build)
run("classify_c (make)" COMMAND ${WORK_DIR}/make-build/classify_c OUTPUT out)
check_accuracy("classify_c (make)" "${out}" ${FLOOR})
