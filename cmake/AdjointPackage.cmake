# What `cmake --install build --prefix P` puts in place (docs/install.md):
#   P/bin/adjoint                               the command
#   P/include/adjoint/runtime/Runtime.h         the runtime's C ABI
#   P/lib/libadjoint_runtime.a                  the runtime (static, PIC)
#   P/lib/cmake/adjoint/                        the CMake package
#   P/lib/pkgconfig/adjoint.pc                  the runtime for pkg-config
# The package is relocatable: every path in it is relative to where it lies.
include(CMakePackageConfigHelpers)

# The package's names work in the tree too, so that adjoint_add_model can
# compile models for the tree's own tests and examples.
add_executable(adjoint::adjoint ALIAS adjoint)
add_library(adjoint::runtime ALIAS adjoint_runtime)
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
