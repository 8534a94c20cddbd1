// Certificates for TLS tests, made with the openssl CLI into a temp dir: a CA and a second,
// unrelated CA; a broker certificate for `san` signed by the CA; a client certificate signed
// by the CA and one signed by the other CA. Removed with the object.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "mosquitto.hpp"
#include "skip.hpp"

namespace edgevisor::testing {

struct Pki {
    std::filesystem::path dir = make_temp_dir("pki");
    std::filesystem::path ca, other_ca, cert, key;  // cert, key: the broker's
    std::filesystem::path client_cert, client_key;  // signed by ca
    std::filesystem::path rogue_cert, rogue_key;    // signed by other_ca

    explicit Pki(const std::string& san) {
        if (!program_exists("openssl")) skip("the openssl CLI is not installed");
        ca = path("ca.pem");
        other_ca = path("other-ca.pem");
        make_ca("test-ca", ca, path("ca.key"));
        make_ca("other-ca", other_ca, path("other-ca.key"));
        write_file(dir / "ext.cnf", "subjectAltName=" + san + "\n");
        cert = path("server.pem");
        key = path("server.key");
        sign("broker", cert, key, ca, path("ca.key"), "-extfile " + path("ext.cnf").string());
        client_cert = path("client.pem");
        client_key = path("client.key");
        sign("edge-node", client_cert, client_key, ca, path("ca.key"), "");
        rogue_cert = path("rogue.pem");
        rogue_key = path("rogue.key");
        sign("edge-node", rogue_cert, rogue_key, other_ca, path("other-ca.key"), "");
    }
    ~Pki() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Pki(const Pki&) = delete;
    Pki& operator=(const Pki&) = delete;

    // What the test's mosquitto clients pass to a broker of this CA (with the good client cert).
    [[nodiscard]] std::vector<std::string> client_args() const {
        return {"--cafile",           ca.string(), "--cert",
                client_cert.string(), "--key",     client_key.string()};
    }

  private:
    [[nodiscard]] std::filesystem::path path(const char* name) const { return dir / name; }
    static void openssl(const std::string& args) {
        std::string cmd = "openssl " + args + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    }
    static void make_ca(const std::string& cn, const std::filesystem::path& pem,
                        const std::filesystem::path& pem_key) {
        openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + cn + " -keyout " +
                pem_key.string() + " -out " + pem.string());
    }
    void sign(const std::string& cn, const std::filesystem::path& pem,
              const std::filesystem::path& pem_key, const std::filesystem::path& ca_pem,
              const std::filesystem::path& ca_key, const std::string& extra) const {
        auto csr = dir / (cn + "-" + pem.filename().string() + ".csr");
        openssl("req -newkey rsa:2048 -nodes -subj /CN=" + cn + " -keyout " + pem_key.string() +
                " -out " + csr.string());
        openssl("x509 -req -days 2 -in " + csr.string() + " -CA " + ca_pem.string() + " -CAkey " +
                ca_key.string() + " -CAcreateserial " + extra + " -out " + pem.string());
    }
};

}  // namespace edgevisor::testing
