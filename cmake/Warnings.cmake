# Warnings for our own targets only (never for third-party headers, which come in as SYSTEM).
function(edgevisor_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                         -Wimplicit-fallthrough)
  # Not -Wnull-dereference: at -O2, GCC 12 reports it inside libstdc++ code inlined from
  # CLI11 (std::vector<std::string>::emplace_back in CLI::detail::split), which -Werror
  # turns into a failed build with no fix on our side.
  if(EDGEVISOR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
