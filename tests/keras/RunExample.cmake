# Runs a Keras example and checks the last "accuracy: A" it prints is above
# FLOOR (and, with EXPECT, that it printed that text too). Run by ctest with
# -DPROGRAM -DARGS (a ;-list) -DFLOOR [-DEXPECT] -DWORK_DIR.
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${PROGRAM} ${ARGS} WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc})")
endif()
string(REGEX MATCHALL "accuracy: [0-9.]+" all "${out}")
list(POP_BACK all last)
if(NOT last MATCHES "accuracy: ([0-9.]+)")
  message(FATAL_ERROR "${PROGRAM} printed no accuracy")
endif()
if(CMAKE_MATCH_1 LESS_EQUAL FLOOR)
  message(FATAL_ERROR "${PROGRAM}: accuracy ${CMAKE_MATCH_1} is not above "
                      "${FLOOR}")
endif()
if(DEFINED EXPECT AND NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} did not print '${EXPECT}'")
endif()
