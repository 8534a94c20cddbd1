# Writes one CTest test per Catch2 case of each binary in BINARIES ("|"-separated, LABELS beside
# them): "<label><SUFFIX>: <case>" prints and returns the result that the guest recorded in
# RESULTS under "<label>: <case>" (edgevisor-vm result). Cases listed in EXCLUDE are left out,
# as the harness leaves them out of the boot. Run after every build of the binaries.
cmake_policy(VERSION 3.25) # IN_LIST, ZIP_LISTS: run with -P, no project policies
string(REPLACE "|" ";" labels "${LABELS}")
string(REPLACE "|" ";" binaries "${BINARIES}")
set(excluded "")
if(EXISTS "${EXCLUDE}")
  file(STRINGS "${EXCLUDE}" excluded)
endif()
set(script "")
foreach(label binary IN ZIP_LISTS labels binaries)
  execute_process(COMMAND ${binary} --list-test-names-only
                  OUTPUT_VARIABLE names RESULT_VARIABLE status)
  # Catch2 2.x exits with the number of tests listed.
  if(NOT status MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${binary} --list-test-names-only failed (${status})")
  endif()
  string(REPLACE ";" "\\;" names "${names}")
  string(REPLACE "\n" ";" names "${names}")
  foreach(name IN LISTS names)
    if(name STREQUAL "")
      continue()
    endif()
    set(recorded "${label}: ${name}")
    if(recorded IN_LIST excluded)
      continue()
    endif()
    set(test "${label}${SUFFIX}: ${name}")
    string(APPEND script
      "add_test([==[${test}]==] \"${HARNESS}\" result \"${RESULTS}\" [==[${recorded}]==])\n"
      "set_tests_properties([==[${test}]==] PROPERTIES LABELS vm FIXTURES_REQUIRED ${FIXTURE} "
      "SKIP_RETURN_CODE 77 TIMEOUT 60)\n")
  endforeach()
endforeach()
file(WRITE ${OUTPUT} "${script}")
