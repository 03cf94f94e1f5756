# ctest script: `ember ARGS` (a ;-list) must exit non-zero, print an error matching
# EXPECT on stderr, print nothing matching FORBID (work that should not have started),
# and leave no file at NO_FILE (when given).
execute_process(COMMAND ${EMBER} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, got exit 0: ${out}${err}")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match '${EXPECT}': ${err}")
endif()
if(DEFINED FORBID AND "${out}${err}" MATCHES "${FORBID}")
  message(FATAL_ERROR "work started before the error: ${out}${err}")
endif()
if(DEFINED NO_FILE AND EXISTS "${NO_FILE}" AND NOT IS_DIRECTORY "${NO_FILE}")
  message(FATAL_ERROR "${NO_FILE} was left behind")
endif()
message("clear error ok")
