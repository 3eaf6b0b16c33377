# Installs the build tree into a scratch prefix and checks the layout, the
# installed command, the CMake package (a plain-C project that links
# adjoint::runtime) and the pkg-config file (the same program built by hand).
# Needs nothing of `adjoint compile`. Run by ctest as install.package with
# -DBUILD_DIR -DSOURCE_DIR -DWORK_DIR -DGENERATOR -DMAKE_PROGRAM
# -DC_COMPILER -DCXX_COMPILER -DLIBDIR.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/Common.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
install_into(${prefix})

foreach(file bin/adjoint include/adjoint/runtime/Runtime.h
             ${LIBDIR}/libadjoint_runtime.a
             ${LIBDIR}/cmake/adjoint/adjointConfig.cmake
             ${LIBDIR}/cmake/adjoint/adjointConfigVersion.cmake
             ${LIBDIR}/cmake/adjoint/adjointTargets.cmake
             ${LIBDIR}/cmake/adjoint/AdjointModel.cmake
             ${LIBDIR}/pkgconfig/adjoint.pc)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "the install did not put ${file} in place")
  endif()
endforeach()
# The package must not remember where it was built.
file(GLOB_RECURSE package_files ${prefix}/${LIBDIR}/cmake/adjoint/*
                                ${prefix}/${LIBDIR}/pkgconfig/*)
foreach(file ${package_files})
  file(READ ${file} text)
  foreach(dir ${BUILD_DIR} ${SOURCE_DIR})
    string(FIND "${text}" "${dir}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} names ${dir}")
    endif()
  endforeach()
endforeach()

# The installed command finds its shared libraries.
run("installed adjoint" COMMAND ${prefix}/bin/adjoint --version OUTPUT version)
if(NOT version MATCHES "[0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "adjoint --version printed '${version}'")
endif()

# The runtime stands alone: every symbol of LLVM, protobuf or Adjoint that
# one of its objects needs is defined by another.
find_program(NM NAMES llvm-nm-19 llvm-nm nm REQUIRED)
run("nm" COMMAND ${NM} -P -g ${prefix}/${LIBDIR}/libadjoint_runtime.a
    OUTPUT symbols)
string(REPLACE "\n" ";" symbols "${symbols}")
set(defined "")
set(needed "")
foreach(line ${symbols})
  if(line MATCHES "^([^ ]+) U")
    list(APPEND needed ${CMAKE_MATCH_1})
  elseif(line MATCHES "^([^ ]+) [A-Za-z]")
    list(APPEND defined ${CMAKE_MATCH_1})
  endif()
endforeach()
foreach(symbol ${needed})
  if(symbol MATCHES "N4llvm|N6google8protobuf|N7adjoint|^adjoint_"
     AND NOT symbol IN_LIST defined)
    message(FATAL_ERROR "libadjoint_runtime.a needs ${symbol}, which it "
                        "does not define")
  endif()
endforeach()

# find_package(adjoint) from a C project.
configure_and_build(${SOURCE_DIR}/tests/install/consumer ${WORK_DIR}/consumer
  -DCMAKE_PREFIX_PATH=${prefix})
run("CMake-built consumer" COMMAND ${WORK_DIR}/consumer/consumer OUTPUT out)
if(NOT out MATCHES "^ok")
  message(FATAL_ERROR "the CMake-built consumer printed '${out}'")
endif()

# pkg-config: the flags, then the same program compiled with them.
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run("pkg-config" COMMAND ${PKG_CONFIG} --cflags --libs adjoint OUTPUT flags)
string(STRIP "${flags}" flags)
message(STATUS "pkg-config --cflags --libs adjoint: ${flags}")
separate_arguments(flag_list UNIX_COMMAND "${flags}")
file(REAL_PATH ${prefix} real_prefix)
set(seen "")
foreach(flag ${flag_list})
  if(flag MATCHES "^-([IL])(.+)$")
    file(REAL_PATH ${CMAKE_MATCH_2} dir)
    set(flag "-${CMAKE_MATCH_1}${dir}")
  endif()
  list(APPEND seen "${flag}")
endforeach()
foreach(expected "-I${real_prefix}/include" "-L${real_prefix}/${LIBDIR}"
                 "-ladjoint_runtime" "-lpthread" "-lm")
  if(NOT expected IN_LIST seen)
    message(FATAL_ERROR "pkg-config printed '${flags}', without ${expected}")
  endif()
endforeach()
run("pkg-config build" COMMAND ${C_COMPILER} -std=c11 -Wall -Wextra -Werror
    -pedantic ${SOURCE_DIR}/tests/install/consumer/consumer.c ${flag_list}
    -o ${WORK_DIR}/consumer_pc)
run("pkg-config-built consumer" COMMAND ${WORK_DIR}/consumer_pc OUTPUT out)
if(NOT out MATCHES "^ok")
  message(FATAL_ERROR "the pkg-config-built consumer printed '${out}'")
endif()
message(STATUS "install layout, CMake package and pkg-config file: ok")
