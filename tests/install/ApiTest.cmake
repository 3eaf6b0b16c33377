# Installs the build tree into a scratch prefix and builds the C++ API's
# programs against it, as a user's project would: examples/jit_api/main.cpp
# (adjoint::jit) and examples/keras/fashion_mlp.cpp (adjoint::keras), with
# their sources unchanged, and a compile of every installed header. Runs
# both; the Keras example must pass FLOOR test accuracy on Fashion-MNIST.
# Run by ctest as install.api with -DBUILD_DIR -DSOURCE_DIR -DWORK_DIR
# -DGENERATOR -DMAKE_PROGRAM -DC_COMPILER -DCXX_COMPILER -DLIBDIR -DFLOOR.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/Common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
install_into(${prefix})
foreach(file include/adjoint/jit.h include/adjoint/keras.h
             include/adjoint/ir/Builder.h ${LIBDIR}/libadjoint_compiler.a
             ${LIBDIR}/libadjoint_keras.a
             ${LIBDIR}/cmake/adjoint/adjointJitTargets.cmake)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "the install did not put ${file} in place")
  endif()
endforeach()

configure_and_build(${SOURCE_DIR}/tests/install/api ${WORK_DIR}/api
  -DCMAKE_PREFIX_PATH=${prefix} -DEXAMPLES=${SOURCE_DIR}/examples)
run("installed jit_api example" COMMAND ${WORK_DIR}/api/jit_api OUTPUT out)
if(NOT out MATCHES "largest difference from the interpreter")
  message(FATAL_ERROR "the jit_api example printed '${out}'")
endif()
if(NOT EXISTS /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz)
  message(STATUS "SKIPPED: no Fashion-MNIST (apt-get install "
                 "dataset-fashion-mnist)")
  return()
endif()
run("installed Keras example" COMMAND ${WORK_DIR}/api/keras_fashion_mlp
    OUTPUT out)
# Its last line: "Test accuracy: A" (the epochs' lines have accuracies too).
string(REGEX MATCH "Test accuracy: [0-9.]+" line "${out}")
string(TOLOWER "${line}" line)
check_accuracy("the Keras example" "${line}" ${FLOOR})
