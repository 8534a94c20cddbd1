// The one file that compiles spdlog (header-only, with fmt header-only): see log.hpp.
// spdlog's own default logger writes to standard output, where a workload's output goes in
// `edgectl run`; ours writes to standard error.
#define SPDLOG_DISABLE_DEFAULT_LOGGER
#include "edgevisor/log.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <sstream>

namespace edgevisor::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::debug:
            return spdlog::level::debug;
        case Level::info:
            return spdlog::level::info;
        case Level::warn:
            return spdlog::level::warn;
        case Level::error:
            return spdlog::level::err;
    }
    return spdlog::level::info;
}

// The threshold lives here, not in spdlog, so that deciding to drop a message (every debug
// line at the default level) and setting the level do not build a logger: a program that
// writes no message never creates one.
std::atomic<Level> g_level{Level::info};

// Created on first use.
spdlog::logger& logger() {
    static const bool installed = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        auto created = std::make_shared<spdlog::logger>("edgevisor", std::move(sink));
        created->set_level(spdlog::level::trace);  // g_level decides
        spdlog::set_default_logger(std::move(created));
        return true;
    }();
    static_cast<void>(installed);
    return *spdlog::default_logger_raw();
}

}  // namespace

void set_level(Level level) {
    g_level.store(level, std::memory_order_relaxed);
}

bool enabled(Level level) {
    return level >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
    logger().log(to_spdlog(level), message);
}

struct Capture::State {
    std::ostringstream stream;
    std::shared_ptr<spdlog::logger> previous;
};

Capture::Capture() : state_(std::make_unique<State>()) {
    static_cast<void>(logger());  // install ours first, so that it is what comes back
    state_->previous = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(state_->stream);
    auto capture = std::make_shared<spdlog::logger>("capture", std::move(sink));
    capture->set_level(spdlog::level::trace);  // g_level decides
    spdlog::set_default_logger(std::move(capture));
}

Capture::~Capture() {
    spdlog::set_default_logger(state_->previous);
}

std::string Capture::text() const {
    logger().flush();
    return state_->stream.str();
}

}  // namespace edgevisor::log
