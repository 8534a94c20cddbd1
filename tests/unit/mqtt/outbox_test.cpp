// The outgoing queue we own: bounded, metrics dropped first, then events, acks last.
#include <catch2/catch.hpp>

#include "outbox.hpp"

using namespace edgevisor::telemetry::mqtt::detail;

TEST_CASE("a full outbox drops metrics first, then events, keeping acks longest") {
    Outbox box(3);
    box.push(Priority::ack, "a", "ack1", 1);
    box.push(Priority::metrics, "m", "m1", 0);
    box.push(Priority::event, "e", "e1", 1);
    box.push(Priority::ack, "a", "ack2", 1);  // drops m1
    CHECK(box.dropped() == 1);
    box.push(Priority::ack, "a", "ack3", 1);  // drops e1
    CHECK(box.dropped() == 2);
    box.push(Priority::metrics, "m", "m2", 0);  // nothing weaker: m2 itself is dropped
    CHECK(box.dropped() == 3);
    std::vector<std::string> sent;
    while (Outgoing* item = box.next_unsent()) sent.push_back(item->payload);
    CHECK(sent == std::vector<std::string>{"ack1", "ack2", "ack3"});
}

TEST_CASE("messages in flight are kept until confirmed and sent again after a lost link") {
    Outbox box(10);
    box.push(Priority::event, "e", "e1", 1);
    box.push(Priority::event, "e", "e2", 1);
    Outgoing* first = box.next_unsent();
    REQUIRE(first);
    auto id = first->id;
    CHECK(box.in_flight() == 1);
    box.connection_lost();
    CHECK(box.in_flight() == 0);
    CHECK(box.next_unsent()->id == id);  // the same one again, first
    box.delivered(id);
    CHECK(box.size() == 1);
    Outgoing* second = box.next_unsent();
    REQUIRE(second);
    box.undelivered(second->id);
    CHECK(box.next_unsent()->payload == "e2");
    CHECK(box.next_unsent() == nullptr);
}
