# Writes one CTest test per Catch2 case of BINARY: each prints and returns the result that the
# guest recorded in RESULTS (edgevisor-vm result). Run after every build of vm_cgroup.
execute_process(COMMAND ${BINARY} --list-test-names-only
                OUTPUT_VARIABLE names RESULT_VARIABLE status)
# Catch2 2.x exits with the number of tests listed.
if(NOT status MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${BINARY} --list-test-names-only failed (${status})")
endif()
string(REPLACE "\n" ";" names "${names}")
set(script "")
foreach(name IN LISTS names)
  if(name STREQUAL "")
    continue()
  endif()
  set(test "vm_cgroup: ${name}")
  string(APPEND script
    "add_test([==[${test}]==] \"${HARNESS}\" result \"${RESULTS}\" [==[${name}]==])\n"
    "set_tests_properties([==[${test}]==] PROPERTIES LABELS vm FIXTURES_REQUIRED vm_cgroup "
    "SKIP_RETURN_CODE 77 TIMEOUT 60)\n")
endforeach()
file(WRITE ${OUTPUT} "${script}")
