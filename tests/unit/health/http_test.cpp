#include <catch2/catch.hpp>

#include "edgevisor/health/probe_run.hpp"

using namespace edgevisor;
using namespace edgevisor::health;

TEST_CASE("the http status line, complete or not") {
    CHECK(http_status("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == 200);
    CHECK(http_status("HTTP/1.0 503 Service Unavailable\r\n") == 503);
    CHECK(http_status("HTTP/1.1 204\r\n") == 204);
    CHECK(http_status("HTTP/1.1 200 OK") == 0);  // the line has not ended yet
    CHECK(http_status("SSH-2.0-OpenSSH_9.2\r\n") == 0);
    CHECK(http_status("HTTP/1.1 2000 OK\r\n") == 0);
    CHECK(http_status("HTTP/1.1 099 x\r\n") == 0);
}

TEST_CASE("healthy http codes: 2xx and 3xx, or the probe's list") {
    manifests::Probe p;
    CHECK(http_status_ok(p, 200));
    CHECK(http_status_ok(p, 302));
    CHECK_FALSE(http_status_ok(p, 404));
    CHECK_FALSE(http_status_ok(p, 500));
    p.statuses = {200, 418};
    CHECK(http_status_ok(p, 418));
    CHECK_FALSE(http_status_ok(p, 204));
}

TEST_CASE("the request names the path and the host, and closes") {
    manifests::Probe p;
    p.port = 8080;
    p.path = "/ready";
    CHECK(http_request(p) ==
          "GET /ready HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nUser-Agent: edgevisor-probe\r\n"
          "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST_CASE("durations read as in manifests") {
    using namespace std::chrono_literals;
    CHECK(duration_text(1s) == "1s");
    CHECK(duration_text(500ms) == "500ms");
    CHECK(duration_text(90s) == "1m30s");
    CHECK(duration_text(3600s) == "1h");
    CHECK(duration_text(0ms) == "0s");
}
