// TCP_NODELAY on Paho's broker socket. Paho MQTT C 1.3 leaves Nagle's algorithm on and has no
// option for it: a node that answers a desired document with a PUBACK, an event and an ack in a
// row then waits for the broker's delayed ACK (40 ms on Linux) before each small write after
// the first, which made a push take 90 ms instead of 20 on loopback.
#pragma once

#include <vector>

namespace edgevisor::telemetry::mqtt::detail {

// Sets TCP_NODELAY on every TCP socket of this process connected to one of `ports` (found in
// /proc/self/fd). Returns how many it changed. Called on the loop thread after a connect;
// setting a socket option is safe while Paho's threads use the socket.
int set_nodelay_to_ports(const std::vector<int>& ports);

}  // namespace edgevisor::telemetry::mqtt::detail
