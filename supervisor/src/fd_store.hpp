// Log pipes that outlive the daemon. A workload's stdout/stderr pipe breaks (EPIPE, SIGPIPE)
// when no process holds its read end; a daemon killed with SIGKILL would take every workload
// with it. So each read end is also held by edgevisor-fdholder, a tiny process of its own
// (fdholder_main.cpp): the daemon hands it every read end over a unix socket (SCM_RIGHTS) and
// takes them back after a restart. While no daemon reads, output waits in the pipe (up to its
// 1 MiB buffer, then the writer blocks until a daemon is back), and none is lost.
//
// Protocol (SOCK_SEQPACKET, one message per datagram):
//   put <tag>   + one fd    hold this fd under tag (replacing an older one)
//   drop <tag>              close it
//   get                     the holder answers "fd <tag>" + fd for each, then "end"
// The holder exits when its daemon's connection closes and it holds nothing.
//
// The daemon never blocks on the holder: after the start-up exchange (take_all, bounded by a
// timeout) the socket is non-blocking and put/drop are queued, written while the socket takes
// them and otherwise when the loop says it is writable. A cold start of 1000 workloads queues
// 2000 puts in one reconcile, far more than the socket buffer holds (about 280 messages), and
// a holder that is slow, stopped or stuck must not stop the daemon (it did: the loop blocked in
// sendmsg). A queued put holds its own duplicate of the fd, so a pipe closed meanwhile is
// still the one handed over; a drop cancels the puts of its tag still queued.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::supervisor {

class FdStore {
  public:
    // Connects to the holder at <runtime>/fdholder.sock, starting `holder` when none runs
    // (through `launcher`, a command prefix such as systemd-run's, when it is not empty).
    static Result<FdStore> open(const std::string& runtime_dir, const std::string& holder,
                                const std::vector<std::string>& launcher = {});
    FdStore() = default;

    FdStore(FdStore&&) = default;
    FdStore& operator=(FdStore&&) = default;
    ~FdStore();

    // Every fd the holder has (from a previous daemon), by tag; the holder keeps them. Before
    // attach(): waits for the answer, at most a few seconds.
    Result<std::map<std::string, UniqueFd>> take_all();
    // From here on nothing blocks: the queue is written from `loop`. The store must not move
    // after this (the loop's source points at it).
    void attach(EventLoop& loop);
    // Queued; sent when the socket takes them. A failure to hand over is logged, never fatal:
    // it only costs that pipe's survival of a daemon restart.
    void put(const std::string& tag, int fd);
    void drop(const std::string& tag);
    [[nodiscard]] bool connected() const { return socket_.valid(); }
    [[nodiscard]] std::size_t queued() const { return queue_.size(); }

  private:
    struct Message {
        std::string text;
        UniqueFd fd;
    };
    void enqueue(Message message);
    Status flush();
    void disconnect(const std::string& why);
    UniqueFd socket_;
    std::deque<Message> queue_;
    EventLoop* loop_ = nullptr;
    Source writable_;  // registered only while the queue waits for room in the socket
};

}  // namespace edgevisor::supervisor
