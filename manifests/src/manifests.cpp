// parse_text and load_paths: bounds first (size, UTF-8, nesting), then yaml-cpp, then a bounded
// walk, then the typed parse of each document, then the checks across documents.
#include "edgevisor/manifests/manifests.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"
#include "load_text.hpp"
#include "parse_sections.hpp"

namespace edgevisor::manifests {

std::string Diagnostic::format() const {
    std::string out = mark.file;
    if (mark.line > 0) out += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
    return out + ": " + message + " [" + rule + "]";
}

namespace {

using detail::ParsedDocument;

// Everything that parse_text reports, before the checks across documents.
std::vector<ParsedDocument> parse_documents(std::string_view text, const std::string& file,
                                            const ParseLimits& limits,
                                            std::vector<Diagnostic>& out) {
    std::vector<ParsedDocument> docs;
    auto parsed = detail::load_bounded(text, file, limits, out);
    if (!parsed) return docs;
    detail::Context ctx(file, out);
    for (const detail::yaml::Node& node : parsed->roots) {
        if (node.IsNull()) continue;  // an empty document ("---" at the end, only comments)
        if (!detail::walk_within_limits(ctx, node, limits)) continue;
        docs.push_back(detail::parse_workload(ctx, node));
    }
    return docs;
}

void finish(std::vector<ParsedDocument>& docs, LoadResult& result, Dependencies dependencies) {
    detail::check_across_documents(docs, result.diagnostics, dependencies);
    for (ParsedDocument& doc : docs)
        if (doc.valid) result.workloads.push_back(std::move(doc.workload));
}

// Reads at most limit + 1 bytes, so that a huge file is refused without reading it all.
edgevisor::Result<std::string> read_capped(const std::filesystem::path& path, std::size_t limit) {
    // O_NONBLOCK so that a FIFO or device named by mistake cannot block the open; only regular
    // files are read.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return fail_errno("open", "cannot open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat", "cannot read");
    if (!S_ISREG(st.st_mode)) return fail("open", "not a regular file");
    std::string text;
    char buffer[65536];
    while (text.size() <= limit) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("read", "cannot read");
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

// A directory's *.yaml and *.yml files in name order (not recursive), or the path itself.
edgevisor::Result<std::vector<std::filesystem::path>> expand(const std::filesystem::path& path) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec) return fail("stat", "cannot read", ec.value());
    if (!std::filesystem::is_directory(status)) return std::vector{path};
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec)) {
        auto ext = it->path().extension();
        if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file()) files.push_back(it->path());
    }
    if (ec) return fail("readdir", "cannot list the directory", ec.value());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

LoadResult parse_text(std::string_view text, const std::string& file, const ParseLimits& limits,
                      Dependencies dependencies) {
    LoadResult result;
    result.files = 1;
    auto docs = parse_documents(text, file, limits, result.diagnostics);
    detail::sort_by_position(result.diagnostics.begin(), result.diagnostics.end());
    finish(docs, result, dependencies);
    return result;
}

LoadResult load_paths(const std::vector<std::filesystem::path>& paths, const ParseLimits& limits,
                      Dependencies dependencies) {
    LoadResult result;
    std::vector<ParsedDocument> docs;
    std::set<std::filesystem::path> seen;  // the same file named twice is read once
    for (const auto& path : paths) {
        auto files = expand(path);
        if (!files) {
            result.diagnostics.push_back(Diagnostic{SourceMark{path.string(), 0, 0},
                                                    "file-unreadable", files.error().describe()});
            continue;
        }
        for (const auto& file : *files) {
            std::error_code ec;
            auto key = std::filesystem::weakly_canonical(file, ec);
            if (!seen.insert(ec ? file : key).second) continue;
            auto text = read_capped(file, limits.max_document_bytes);
            if (!text) {
                result.diagnostics.push_back(Diagnostic{
                    SourceMark{file.string(), 0, 0}, "file-unreadable", text.error().describe()});
                continue;
            }
            ++result.files;
            std::size_t first = result.diagnostics.size();
            auto file_docs = parse_documents(*text, file.string(), limits, result.diagnostics);
            detail::sort_by_position(
                result.diagnostics.begin() + static_cast<std::ptrdiff_t>(first),
                result.diagnostics.end());
            std::move(file_docs.begin(), file_docs.end(), std::back_inserter(docs));
        }
    }
    finish(docs, result, dependencies);
    return result;
}

}  // namespace edgevisor::manifests
