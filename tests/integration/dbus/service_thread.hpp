// The adapter served as the daemon serves it (poll_data() re-read before every wait, then
// process()), on a thread of its own so that the test's thread can be the client. Everything
// that touches the Service or the FakeControl runs on that thread, through post().
#pragma once

#include <poll.h>
#include <sys/eventfd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "edgevisor/telemetry/dbus.hpp"
#include "edgevisor/unique_fd.hpp"
#include "fake_control.hpp"

namespace edgevisor::testing {

class ServiceThread {
  public:
    explicit ServiceThread(const std::string& address, std::string admin_group = "") {
        telemetry::dbus::BusConfig config{address, std::move(admin_group)};
        auto service = telemetry::dbus::Service::open(control, config);
        if (!service) FAIL("Service::open: " << service.error().describe());
        service_ = std::move(*service);
        control.observer = service_.get();
        thread_ = std::thread([this] { loop(); });
    }
    ~ServiceThread() {
        post([this] { stopping_ = true; });
        thread_.join();
        control.observer = nullptr;
    }
    ServiceThread(const ServiceThread&) = delete;
    ServiceThread& operator=(const ServiceThread&) = delete;

    // Runs `task` on the service's thread and waits for it.
    void post(std::function<void()> task) {
        std::promise<void> done;
        auto finished = done.get_future();
        {
            std::lock_guard lock(mutex_);
            tasks_.push_back([&] {
                task();
                done.set_value();
            });
        }
        std::uint64_t one = 1;
        REQUIRE(::write(wake_.get(), &one, sizeof one) == sizeof one);
        finished.wait();
    }

    FakeControl control;  // touch only through post() once the thread runs
    int process_errors = 0;

  private:
    void loop() {
        while (!stopping_) {
            auto data = service_->poll_data();
            if (!data) break;
            pollfd fds[2] = {{data->fd, data->events, 0}, {wake_.get(), POLLIN, 0}};
            ::poll(fds, 2, data->poll_timeout_ms());
            if (fds[1].revents & POLLIN) {
                std::uint64_t count = 0;
                (void)!::read(wake_.get(), &count, sizeof count);
                std::vector<std::function<void()>> tasks;
                {
                    std::lock_guard lock(mutex_);
                    tasks.swap(tasks_);
                }
                for (auto& task : tasks) task();
            }
            if (!service_->process()) ++process_errors;
        }
    }

    std::unique_ptr<telemetry::dbus::Service> service_;
    UniqueFd wake_{::eventfd(0, EFD_CLOEXEC)};
    std::mutex mutex_;
    std::vector<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace edgevisor::testing
