// The manifest parse benchmark (README "Performance"): how long parse_text takes for each file
// named, the first time in the process (what one `edgectl run` pays: yaml-cpp builds its
// scanner's tables on first use) and then steadily (what the daemon pays per document on a
// fleet push). Not a test: nothing asserts a time.
//
//   edgevisor-parse-bench [-n N] FILE...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "stats.hpp"

namespace {

double parse_us(const std::string& text, const std::string& name) {
    const auto start = std::chrono::steady_clock::now();
    // As edgectl run reads a manifest: dependencies on other files are not resolved.
    auto result = edgevisor::manifests::parse_text(text, name, {},
                                                   edgevisor::manifests::Dependencies::ignore);
    const auto end = std::chrono::steady_clock::now();
    if (!result.ok()) {
        std::fprintf(stderr, "parse-bench: %s does not validate\n", name.c_str());
        std::exit(1);
    }
    return std::chrono::duration<double, std::micro>(end - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 2000;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-n" && i + 1 < argc)
            rounds = std::atoi(argv[++i]);
        else
            files.push_back(arg);
    }
    if (files.empty() || rounds < 1) {
        std::fprintf(stderr, "usage: edgevisor-parse-bench [-n N] FILE...\n");
        return 2;
    }
    std::printf("| file | bytes | first parse in the process us | steady us median [p10 p90] |\n");
    std::printf("| --- | --- | --- | --- |\n");
    for (const std::string& file : files) {
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        const double first = parse_us(text.str(), file);
        std::vector<double> samples;
        for (int i = 0; i < rounds; ++i) samples.push_back(parse_us(text.str(), file));
        const auto spread = edgevisor::bench::summarize(samples);
        std::printf("| %s | %zu | %.0f | %.0f [%.0f %.0f] |\n", file.c_str(), text.str().size(),
                    first, spread.median, spread.p10, spread.p90);
    }
    return 0;
}
