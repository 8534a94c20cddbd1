// Flags shared by the fleet commands, and the DesiredState a push publishes.
#include <fstream>
#include <sstream>

#include "edgevisor/manifests/desired_state.hpp"
#include "edgevisor/manifests/units.hpp"
#include "fleet.hpp"

namespace edgevisor::fleet {

void BrokerOptions::add_to(CLI::App& cmd) {
    cmd.add_option("--broker", urls, "mqtt://host[:port] or mqtts://host[:port] (repeatable)")
        ->required();
    cmd.add_option("--ca-file", ca_file, "CA certificates (PEM) for mqtts://");
    cmd.add_option("--cert-file", cert_file, "client certificate (PEM) for mutual TLS");
    cmd.add_option("--key-file", key_file, "client key (PEM) for mutual TLS");
    cmd.add_flag("--no-verify-hostname", no_verify_hostname,
                 "accept a broker certificate that does not name the host");
    cmd.add_option("--username", username, "MQTT user name");
    cmd.add_option("--password-file", password_file, "a file whose first line is the password");
    cmd.add_option("--prefix", prefix, "topic prefix (default edgevisor/v1)");
}

Result<std::chrono::milliseconds> parse_timeout(const std::string& text) {
    auto parsed = manifests::parse_duration(text);
    if (!parsed) return fail("timeout", "'" + text + "': " + parsed.error().message);
    return *parsed;
}

Result<manifests::MqttConfig> BrokerOptions::config() const {
    manifests::MqttConfig config;
    for (const auto& text : urls) {
        manifests::BrokerUrl url;
        if (std::string why = manifests::parse_broker_url(text, url); !why.empty())
            return fail("broker", "--broker '" + text + "': " + why);
        config.urls.push_back(url);
    }
    if (std::string why = manifests::check_topic_prefix(prefix); !why.empty())
        return fail("prefix", why);
    config.topic_prefix = prefix;
    config.ca_file = ca_file;
    config.cert_file = cert_file;
    config.key_file = key_file;
    config.verify_hostname = !no_verify_hostname;
    config.username = username;
    config.password_file = password_file;
    return config;
}

namespace {

// The documents of one YAML text, each as its own lines (markers and directives dropped).
std::vector<std::string> split_documents(const std::string& text) {
    std::vector<std::string> docs(1);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line == "---" || line.starts_with("--- ")) {
            docs.emplace_back();
            if (line.size() > 4) docs.back() += line.substr(4) + "\n";
        } else if (line == "..." || line.starts_with("%")) {
            continue;
        } else {
            docs.back() += line + "\n";
        }
    }
    return docs;
}

bool blank(const std::string& doc) {
    std::istringstream in(doc);
    for (std::string line; std::getline(in, line);) {
        auto first = line.find_first_not_of(" \t\r");
        if (first != std::string::npos && line[first] != '#') return false;
    }
    return true;
}

}  // namespace

Composed compose_desired(const std::vector<std::string>& files, std::uint64_t revision) {
    Composed out;
    std::vector<std::filesystem::path> paths(files.begin(), files.end());
    auto loaded = manifests::load_paths(paths, {}, manifests::Dependencies::ignore);
    for (const auto& d : loaded.diagnostics) out.errors.push_back(d.format());
    if (!out.errors.empty()) return out;
    out.text =
        "apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: " + std::to_string(revision) +
        "\nworkloads:\n";
    // Each document indented as one item of the list: a uniform indent keeps YAML's meaning.
    for (const auto& file : files) {
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        for (const auto& doc : split_documents(text.str())) {
            if (blank(doc)) continue;
            std::istringstream lines(doc);
            bool first = true;
            for (std::string line; std::getline(lines, line); first = false)
                out.text += (first ? "  - " : "    ") + line + "\n";
        }
    }
    if (loaded.workloads.empty()) out.text += "  []\n";
    for (const auto& w : loaded.workloads) out.names.push_back(w.metadata.name);
    // The composed document must read back as the files did.
    auto check = manifests::parse_desired_state(out.text, "the pushed document");
    for (const auto& d : check.diagnostics) out.errors.push_back(d.format());
    return out;
}

}  // namespace edgevisor::fleet
