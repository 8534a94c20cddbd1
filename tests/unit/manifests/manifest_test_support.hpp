// Helpers for the manifest tests: a minimal valid document to extend, and diagnostics reduced
// to "line:col rule" so that a test states exactly where each error must point.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::testing {

// Lines 1-6; whatever a test appends starts on line 7, inside spec (indent 2).
inline const std::string kHead =
    "apiVersion: edgevisor/v1\n"
    "kind: Workload\n"
    "metadata:\n"
    "  name: app\n"
    "spec:\n"
    "  command: [/usr/bin/sleep, \"60\"]\n";

inline manifests::LoadResult parse(const std::string& text) {
    return manifests::parse_text(text, "t.yaml");
}

// "7:15 path-format" per diagnostic, in reported order.
inline std::vector<std::string> where_rules(const manifests::LoadResult& result) {
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics)
        out.push_back(std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + " " +
                      d.rule);
    return out;
}

inline std::vector<std::string> where_rules(const std::string& text) {
    return where_rules(parse(text));
}

// All messages joined, for checks on wording.
inline std::string messages(const manifests::LoadResult& result) {
    std::string out;
    for (const auto& d : result.diagnostics) out += d.format() + "\n";
    return out;
}

// A temporary directory, removed with everything in it.
class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "edgevisor-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        std::filesystem::path file = path_ / name;
        std::ofstream(file) << text;
        return file;
    }

  private:
    std::filesystem::path path_;
};

// A whole document named `name` depending on `deps`.
inline std::string workload(const std::string& name, const std::vector<std::string>& deps = {}) {
    std::string text = "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + name +
                       "\nspec:\n  command: [/usr/bin/sleep, \"60\"]\n";
    if (!deps.empty()) {
        text += "  dependsOn:\n";
        for (const auto& dep : deps) text += "    - name: " + dep + "\n";
    }
    return text;
}

}  // namespace edgevisor::testing
