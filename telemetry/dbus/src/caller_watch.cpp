#include "caller_watch.hpp"

#include "edgevisor/log.hpp"

namespace edgevisor::telemetry::dbus {

CallerWatch watch_caller(sdbus::IConnection& connection, sdbus::IProxy& bus_daemon,
                         const std::string& sender, std::function<void()> gone) {
    CallerWatch watch;
    watch.slot = connection.addMatch(
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
        "member='NameOwnerChanged',arg0='" +
            sender + "'",
        [gone = std::move(gone)](sdbus::Message& message) {
            try {
                std::string name, old_owner, new_owner;
                message >> name >> old_owner >> new_owner;
                if (new_owner.empty()) gone();
            } catch (const std::exception& e) {
                log::warn("dbus: NameOwnerChanged: {}", e.what());
            }
        });
    // A disconnect before the match was in place sent its signal to nobody.
    bus_daemon.callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(sender)
        .storeResultsTo(watch.present);
    return watch;
}

}  // namespace edgevisor::telemetry::dbus
