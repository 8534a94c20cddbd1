// The checker's "attempt" actions: each tries one thing a workload might do to escape and
// returns 0 (it worked) or the errno. One table; add a row to add an attempt.
#pragma once

#include <string>
#include <vector>

namespace edgevisor::checker {

struct Attempt {
    const char* name;
    const char* usage;                   // argument description, for --help
    int (*run)(const std::string& arg);  // 0 = succeeded, else errno
};

const std::vector<Attempt>& attempts();

}  // namespace edgevisor::checker
