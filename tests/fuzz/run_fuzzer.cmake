# Runs consumer_fuzz for a bounded time (ctest fuzz.consumer); fails on any crash, leak,
# timeout or out-of-memory. Crash inputs are kept in WORK_DIR/artifacts.
foreach(var FUZZER WORK_DIR SECONDS DICT SEED_DIRS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: ${var} is not set")
  endif()
endforeach()
string(REPLACE "|" ";" seed_dirs "${SEED_DIRS}")  # '|'-separated: a ';' would not survive ctest
file(REMOVE_RECURSE ${WORK_DIR}/corpus)
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
execute_process(
  COMMAND ${FUZZER}
          -max_total_time=${SECONDS} -timeout=5 -rss_limit_mb=2048 -max_len=16384
          -dict=${DICT} -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/
          ${WORK_DIR}/corpus ${seed_dirs}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "consumer_fuzz failed (${result}); inputs are in ${WORK_DIR}/artifacts")
endif()
