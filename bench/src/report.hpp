// The benchmark's output: a table for people (README "Performance") and JSON for tools.
#pragma once

#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "rows.hpp"

namespace edgevisor::bench {

struct RunInfo {
    std::string date_utc;
    std::string cpu_model;
    unsigned cpus = 0;
    std::string kernel;
    std::string load_before;  // /proc/loadavg's first three fields
    std::string load_after;
    int runs = 0;
    int warmup = 0;
};

// Machine, date and load now; the caller fills runs, warmup and load_after.
RunInfo describe_machine();
std::string read_loadavg();

void print_report(const std::vector<Row>& rows, const RunInfo& info);
Status write_json_report(const std::string& path, const std::vector<Row>& rows,
                         const RunInfo& info);

}  // namespace edgevisor::bench
