// Rules that span documents (and files): unique names, known dependencies, no cycles.
#include <algorithm>
#include <map>
#include <set>

#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

std::string where_text(const SourceMark& mark) {
    return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
}

void add(std::vector<Diagnostic>& out, const SourceMark& mark, std::string rule,
         std::string message) {
    out.push_back(Diagnostic{mark, std::move(rule), std::move(message)});
}

// The first document of each name; later ones are duplicates and get an error.
std::map<std::string, std::size_t> index_names(std::vector<ParsedDocument>& docs,
                                               std::vector<Diagnostic>& out) {
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        if (!docs[i].named) continue;
        const std::string& name = docs[i].workload.metadata.name;
        auto [it, inserted] = first.emplace(name, i);
        if (inserted) continue;
        add(out, docs[i].name_mark, "duplicate-name",
            "metadata.name: duplicate workload name '" + name + "' (first defined at " +
                where_text(docs[it->second].name_mark) + ")");
        docs[i].valid = false;
    }
    return first;
}

void check_known(std::vector<ParsedDocument>& docs, const std::map<std::string, std::size_t>& names,
                 std::vector<Diagnostic>& out) {
    std::vector<std::string_view> known;
    for (const auto& entry : names) known.push_back(entry.first);
    for (ParsedDocument& doc : docs) {
        const auto& deps = doc.workload.spec.depends_on;
        for (std::size_t i = 0; i < deps.size(); ++i) {
            if (names.contains(deps[i].name)) continue;
            std::string hint = did_you_mean(deps[i].name, known);
            add(out, doc.dependency_marks[i], "unknown-dependency",
                "spec.dependsOn: '" + deps[i].name + "' is not a known workload" +
                    (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            doc.valid = false;
        }
    }
}

// Depth-first search in name order, so that the same manifests always report the same
// cycles, each once, starting at its smallest name: "a -> b -> c -> a".
class CycleFinder {
  public:
    CycleFinder(std::vector<ParsedDocument>& docs, const std::map<std::string, std::size_t>& names,
                std::vector<Diagnostic>& out)
        : docs_(docs), names_(names), out_(out) {}

    void run() {
        for (const auto& entry : names_) visit(entry.second);
    }

  private:
    enum class Color { white, grey, black };
    std::vector<ParsedDocument>& docs_;
    const std::map<std::string, std::size_t>& names_;
    std::vector<Diagnostic>& out_;
    std::map<std::size_t, Color> color_;
    std::vector<std::size_t> stack_;
    std::set<std::vector<std::size_t>> reported_;

    void visit(std::size_t doc) {
        if (color_[doc] != Color::white) return;
        color_[doc] = Color::grey;
        stack_.push_back(doc);
        for (const Dependency& dep : docs_[doc].workload.spec.depends_on) {
            auto target = names_.find(dep.name);
            if (target == names_.end()) continue;
            if (color_[target->second] == Color::grey)
                report(target->second);
            else
                visit(target->second);
        }
        stack_.pop_back();
        color_[doc] = Color::black;
    }

    void report(std::size_t back_to) {
        auto start = std::find(stack_.begin(), stack_.end(), back_to);
        std::vector<std::size_t> cycle(start, stack_.end());
        auto smallest = std::min_element(cycle.begin(), cycle.end(), [&](auto a, auto b) {
            return docs_[a].workload.metadata.name < docs_[b].workload.metadata.name;
        });
        std::rotate(cycle.begin(), smallest, cycle.end());
        if (!reported_.insert(cycle).second) return;
        std::string path;
        for (std::size_t doc : cycle) path += docs_[doc].workload.metadata.name + " -> ";
        path += docs_[cycle.front()].workload.metadata.name;
        // Point at the first edge of the cycle: the dependency of its first member.
        const ParsedDocument& first = docs_[cycle.front()];
        const std::string& next =
            docs_[cycle.size() > 1 ? cycle[1] : cycle[0]].workload.metadata.name;
        SourceMark mark = first.name_mark;
        for (std::size_t i = 0; i < first.workload.spec.depends_on.size(); ++i)
            if (first.workload.spec.depends_on[i].name == next) mark = first.dependency_marks[i];
        out_.push_back(Diagnostic{mark, "dependency-cycle", "dependency cycle: " + path});
        for (std::size_t doc : cycle) docs_[doc].valid = false;
    }
};

}  // namespace

void check_across_documents(std::vector<ParsedDocument>& documents, std::vector<Diagnostic>& out,
                            Dependencies dependencies) {
    auto names = index_names(documents, out);
    if (dependencies == Dependencies::resolve) check_known(documents, names, out);
    CycleFinder(documents, names, out).run();
}

}  // namespace edgevisor::manifests::detail
