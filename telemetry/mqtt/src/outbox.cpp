#include "outbox.hpp"

#include <algorithm>

namespace edgevisor::telemetry::mqtt::detail {

void Outbox::push(Priority priority, std::string topic, std::string payload, int qos) {
    if (items_.size() >= limit_) {
        ++dropped_;
        auto victim = items_.end();
        for (auto it = items_.begin(); it != items_.end(); ++it)
            if (!it->in_flight && it->priority <= priority &&
                (victim == items_.end() || it->priority < victim->priority))
                victim = it;
        if (victim == items_.end()) return;  // nothing weaker than this one: it is dropped
        items_.erase(victim);
    }
    items_.push_back(Outgoing{next_id_++, priority, std::move(topic), std::move(payload), qos});
}

Outgoing* Outbox::next_unsent() {
    auto it = std::find_if(items_.begin(), items_.end(),
                           [](const Outgoing& item) { return !item.in_flight; });
    if (it == items_.end()) return nullptr;
    it->in_flight = true;
    ++in_flight_;
    return &*it;
}

void Outbox::delivered(std::uint64_t id) {
    auto it = std::find_if(items_.begin(), items_.end(),
                           [&](const Outgoing& item) { return item.id == id; });
    if (it == items_.end()) return;
    if (it->in_flight) --in_flight_;
    items_.erase(it);
}

void Outbox::undelivered(std::uint64_t id) {
    for (Outgoing& item : items_)
        if (item.id == id && item.in_flight) {
            item.in_flight = false;
            --in_flight_;
        }
}

void Outbox::connection_lost() {
    for (Outgoing& item : items_) item.in_flight = false;
    in_flight_ = 0;
}

}  // namespace edgevisor::telemetry::mqtt::detail
