/* A service that speaks systemd's readiness protocol the way real ones do: libsystemd's
 * sd_notify(3) and sd_watchdog_enabled(3), nothing edgevisor-specific.
 *
 *   sd_notify_program DIR
 *
 * Appends "start watchdog <enabled> <usec>" to DIR/starts, says STATUS=warming up, waits until
 * DIR/go exists, then READY=1 with STATUS=serving, and sends WATCHDOG=1 every quarter of the
 * watchdog period for as long as DIR/hang does not exist (a hung service stops pinging but
 * keeps running). */
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static int exists(const char* dir, const char* name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sd_notify_program DIR\n");
        return 2;
    }
    const char* dir = argv[1];
    uint64_t usec = 0;
    int enabled = sd_watchdog_enabled(0, &usec);
    char path[4096];
    snprintf(path, sizeof path, "%s/starts", dir);
    FILE* starts = fopen(path, "a");
    if (starts == NULL) return 1;
    fprintf(starts, "start watchdog %d %llu\n", enabled, (unsigned long long)usec);
    fclose(starts);

    sd_notify(0, "STATUS=warming up");
    while (!exists(dir, "go")) usleep(50 * 1000);
    sd_notify(0, "READY=1\nSTATUS=serving");
    useconds_t pause = enabled > 0 ? (useconds_t)(usec / 4) : 100 * 1000;
    for (;;) {
        if (!exists(dir, "hang")) sd_notify(0, "WATCHDOG=1");
        usleep(pause);
    }
}
