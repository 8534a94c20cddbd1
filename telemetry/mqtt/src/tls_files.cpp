#include "tls_files.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "connect_options.hpp"

namespace edgevisor::telemetry::mqtt::detail {
namespace {

// Opened non-blocking, so that a FIFO in its place cannot hang the loop; only regular files.
std::string unreadable(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return std::strerror(errno);
    struct stat st {};
    bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    ::close(fd);
    return regular ? "" : "not a regular file";
}

// The first reason in OpenSSL's (thread-local) error queue; the queue is emptied.
std::string openssl_error(unsigned long* code = nullptr) {
    unsigned long first = ERR_get_error();
    ERR_clear_error();
    if (code != nullptr) *code = first;
    const char* reason = first != 0 ? ERR_reason_error_string(first) : nullptr;
    return reason != nullptr ? reason : "unknown OpenSSL error";
}

// An encrypted key would make OpenSSL ask for a pass phrase on the terminal: refuse instead.
int no_pass_phrase(char*, int, int, void*) {
    return -1;
}

std::string check_key(SSL_CTX* ctx, const manifests::MqttConfig& config) {
    const std::string key = "mqtt.keyFile " + config.key_file + ": ";
    if (auto why = unreadable(config.key_file); !why.empty()) return key + why;
    SSL_CTX_set_default_passwd_cb(ctx, no_pass_phrase);
    if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        unsigned long code = 0;
        std::string reason = openssl_error(&code);
        if (ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH)
            return key + "does not belong to the certificate in mqtt.certFile " + config.cert_file;
        return key + "not an unencrypted PEM private key (" + reason + ")";
    }
    return "";
}

std::string check_files(const manifests::MqttConfig& config) {
    if (!config.password_file.empty())
        if (auto why = unreadable(config.password_file); !why.empty())
            return "mqtt.passwordFile " + config.password_file + ": " + why;
    if (!uses_tls(config)) return "";
    ERR_clear_error();
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
    if (!ctx) return "cannot create a TLS context: " + openssl_error();
    if (!config.ca_file.empty()) {
        const std::string ca = "mqtt.caFile " + config.ca_file + ": ";
        if (auto why = unreadable(config.ca_file); !why.empty()) return ca + why;
        if (SSL_CTX_load_verify_locations(ctx.get(), config.ca_file.c_str(), nullptr) != 1)
            return ca + "no PEM CA certificate in it (" + openssl_error() + ")";
    }
    if (config.cert_file.empty()) return "";
    const std::string cert = "mqtt.certFile " + config.cert_file + ": ";
    if (auto why = unreadable(config.cert_file); !why.empty()) return cert + why;
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), config.cert_file.c_str()) != 1)
        return cert + "no PEM certificate in it (" + openssl_error() + ")";
    return check_key(ctx.get(), config);
}

}  // namespace

std::string check_tls_files(const manifests::MqttConfig& config) {
    std::string why = check_files(config);
    // The check's TLS context is freed, but a parsed CA bundle left the heap at its peak
    // (0.6 MB of a 144-certificate bundle, README "Fleet"): give it back before the loop idles.
    if (uses_tls(config)) ::malloc_trim(0);
    return why;
}

}  // namespace edgevisor::telemetry::mqtt::detail
