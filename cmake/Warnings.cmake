# Warnings for our own targets only (never for third-party headers, which come in as SYSTEM).
function(edgevisor_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                         -Wnull-dereference -Wimplicit-fallthrough)
  if(EDGEVISOR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
