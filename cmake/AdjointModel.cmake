# adjoint_add_model(TARGET name MODEL file [NAME n] [TRAIN] [CPU c] [THREADS n])
#
# Compiles model file `file` ahead of time when the project is built, with
#   adjoint compile <file> -o <dir>/<name>.o --header <dir>/<name>.h --name <n>
#                   [--train] [--cpu <c>] [--threads <n>]
# where <dir> is ${CMAKE_CURRENT_BINARY_DIR}/adjoint_models, and makes `name`
# a static library target holding the object: linking it gives its users the
# header's directory as an include directory (#include "<name>.h") and links
# adjoint::runtime, Threads::Threads and libm. The command runs again when the
# model file or the `adjoint` command changes.
#   NAME     the prefix of the generated functions (<n>_run, ...) and the
#            class adjoint_model::<n> (default: `name`)
#   TRAIN    also compile the training step (<n>_step)
#   CPU      the CPU to compile for (default: the host, `native`)
#   THREADS  the default thread count (ADJOINT_NUM_THREADS overrides it)
# docs/install.md describes the function; docs/aot.md the generated code.
include_guard(GLOBAL)

if(NOT TARGET Threads::Threads)
  find_package(Threads REQUIRED)
endif()

function(adjoint_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "TRAIN" "TARGET;MODEL;NAME;CPU;THREADS" "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "adjoint_add_model: unknown arguments "
                        "'${ARG_UNPARSED_ARGUMENTS}'")
  endif()
  foreach(required TARGET MODEL)
    if(NOT ARG_${required})
      message(FATAL_ERROR "adjoint_add_model: ${required} is required")
    endif()
  endforeach()
  if(NOT ARG_TARGET MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "adjoint_add_model: TARGET '${ARG_TARGET}' must be an "
                        "identifier (it names the header and the object)")
  endif()
  if(TARGET ${ARG_TARGET})
    message(FATAL_ERROR "adjoint_add_model: target '${ARG_TARGET}' exists already")
  endif()
  if(NOT TARGET adjoint::adjoint OR NOT TARGET adjoint::runtime)
    message(FATAL_ERROR "adjoint_add_model: call find_package(adjoint) first")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${ARG_TARGET})
  elseif(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "adjoint_add_model: NAME '${ARG_NAME}' is not a C identifier")
  endif()
  if(DEFINED ARG_THREADS AND NOT ARG_THREADS MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "adjoint_add_model: THREADS '${ARG_THREADS}' is not a "
                        "positive integer")
  endif()

  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/adjoint_models")
  set(object "${dir}/${ARG_TARGET}.o")
  set(header "${dir}/${ARG_TARGET}.h")
  set(options --name ${ARG_NAME})
  if(ARG_TRAIN)
    list(APPEND options --train)
  endif()
  if(ARG_CPU)
    list(APPEND options --cpu ${ARG_CPU})
  endif()
  if(ARG_THREADS)
    list(APPEND options --threads ${ARG_THREADS})
  endif()

  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${dir}"
    COMMAND $<TARGET_FILE:adjoint::adjoint> compile "${model}"
            -o "${object}" --header "${header}" ${options}
    DEPENDS "${model}" adjoint::adjoint $<TARGET_FILE:adjoint::adjoint>
    COMMENT "Compiling model ${ARG_MODEL} ahead of time (${ARG_TARGET})"
    VERBATIM)

  add_library(${ARG_TARGET} STATIC "${object}" "${header}")
  set_source_files_properties("${object}" PROPERTIES
    EXTERNAL_OBJECT ON GENERATED ON)
  set_target_properties(${ARG_TARGET} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${ARG_TARGET} PUBLIC "${dir}")
  target_link_libraries(${ARG_TARGET} PUBLIC adjoint::runtime Threads::Threads m)
endfunction()
