# What `cmake --install build --prefix P` puts in place (docs/install.md):
#   P/bin/adjoint                               the command
#   P/include/adjoint/runtime/Runtime.h         the runtime's C ABI
#   P/lib/libadjoint_runtime.a                  the runtime (static, PIC)
#   P/include/adjoint/jit.h, keras.h and the headers they include
#   P/lib/libadjoint_{proto,ir,compiler,onnx,keras}.a   the C++ API
#   P/lib/cmake/adjoint/                        the CMake package
#   P/lib/pkgconfig/adjoint.pc                  the runtime for pkg-config
# The package is relocatable: every path in it is relative to where it lies.
include(CMakePackageConfigHelpers)

# The package's names work in the tree too, so that adjoint_add_model can
# compile models for the tree's own tests and examples.
add_executable(adjoint::adjoint ALIAS adjoint)
add_library(adjoint::runtime ALIAS adjoint_runtime)
add_library(adjoint::keras ALIAS adjoint_keras)
include(${CMAKE_CURRENT_LIST_DIR}/AdjointModel.cmake)

set(ADJOINT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/adjoint)

# The tool links LLVM, protobuf and ONNX as shared libraries; the linker's
# search path outside the system's becomes the installed tool's RPATH. Our
# own libraries are static and inside it.
set_target_properties(adjoint PROPERTIES
  INSTALL_RPATH_USE_LINK_PATH ON
  EXPORT_NAME adjoint)

install(TARGETS adjoint adjoint_runtime EXPORT adjointTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/Runtime.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/adjoint/runtime)
install(EXPORT adjointTargets
  NAMESPACE adjoint::
  DESTINATION ${ADJOINT_CMAKE_DIR})

# The C++ API (adjoint::jit, adjoint::keras): our static libraries, which
# link LLVM, protobuf and ONNX of the system; the config file loads them
# only where those are found (adjointConfig.cmake.in).
foreach(lib proto ir compiler onnx)
  set_target_properties(adjoint_${lib} PROPERTIES EXPORT_NAME ${lib})
endforeach()
install(TARGETS adjoint_proto adjoint_ir adjoint_compiler adjoint_onnx
                adjoint_jit adjoint_keras
  EXPORT adjointJitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT adjointJitTargets
  NAMESPACE adjoint::
  DESTINATION ${ADJOINT_CMAKE_DIR})
# <adjoint/jit.h> and <adjoint/keras.h>, and every header they include, in
# the tree's layout under include/adjoint (the install test compiles each).
install(FILES ${PROJECT_SOURCE_DIR}/include/adjoint/jit.h
              ${PROJECT_SOURCE_DIR}/include/adjoint/keras.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/adjoint)
set(ADJOINT_API_HEADERS
  compiler/Executable.h compiler/autodiff/Grad.h
  compiler/onnx/OnnxImporter.h compiler/training/Checkpoint.h
  compiler/training/Dataset.h compiler/training/LrSchedule.h
  compiler/training/Optimizer.h compiler/training/Trainer.h
  ir/Attribute.h ir/Builder.h ir/DType.h ir/Error.h ir/Graph.h
  ir/Initializer.h ir/Interpreter.h ir/Layers.h ir/Losses.h ir/Model.h
  ir/ModelIO.h ir/NpyFile.h ir/OpTable.h ir/Ops.def ir/Recurrent.h
  ir/Tensor.h ir/TensorType.h ir/TextFormat.h ir/TrainingSpec.h)
foreach(header ${ADJOINT_API_HEADERS})
  get_filename_component(dir ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/${header}
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/adjoint/${dir})
endforeach()

# The config file checks that libLLVM is where adjoint_compiler names it.
get_target_property(ADJOINT_LLVM_LIBRARY LLVM LOCATION)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/adjointConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/adjointConfig.cmake
  INSTALL_DESTINATION ${ADJOINT_CMAKE_DIR})
# 0.x: a minor version may change the generated interface.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/adjointConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/package/adjointConfig.cmake
  ${PROJECT_BINARY_DIR}/package/adjointConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/AdjointModel.cmake
  DESTINATION ${ADJOINT_CMAKE_DIR})

# pkg-config finds the prefix from the .pc file's own place (${pcfiledir}),
# so the file is right wherever --prefix puts it.
set(ADJOINT_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH ADJOINT_PC_TO_PREFIX /prefix/${ADJOINT_PC_DIR} /prefix)
string(REGEX REPLACE "/$" "" ADJOINT_PC_TO_PREFIX "${ADJOINT_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/adjoint.pc.in
  ${PROJECT_BINARY_DIR}/package/adjoint.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/adjoint.pc
  DESTINATION ${ADJOINT_PC_DIR})
