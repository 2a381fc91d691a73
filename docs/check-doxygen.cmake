# Runs Doxygen and fails when it reports any warning.
#   cmake -DDOXYGEN=<exe> -DDOXYFILE=<file> -DWARN_LOG=<file> -P check-doxygen.cmake
# The Doxyfile already sets WARN_AS_ERROR=FAIL_ON_WARNINGS; the log is
# checked as well so that the test cannot pass with warnings even if a
# Doxygen version ignores that setting.
get_filename_component(work_dir "${DOXYFILE}" DIRECTORY)
file(REMOVE "${WARN_LOG}")
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}"
                WORKING_DIRECTORY "${work_dir}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(warnings "")
if(EXISTS "${WARN_LOG}")
  file(READ "${WARN_LOG}" warnings)
  string(STRIP "${warnings}" warnings)
endif()
if(NOT rc EQUAL 0 OR NOT warnings STREQUAL "")
  message(FATAL_ERROR "Doxygen reported problems in the public headers (exit ${rc}):\n"
                      "${warnings}\n${err}\n"
                      "Document every public declaration, parameter and return value.")
endif()
message(STATUS "Doxygen: no warnings")
