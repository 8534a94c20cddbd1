#!/usr/bin/env python3
"""Benchmarks of edgevisord (README "Performance: the daemon"), run as root:

    bench/daemon/daemon_bench.py BUILD_DIR [--rounds 3]

Each case starts the real daemon with its own temp dirs and cgroup subtree:
  - start to READY=1 (a NOTIFY_SOCKET of ours) with 0 and with 10 workloads;
  - cold converge of 100 and 1000 sleeping workloads: daemon start to all of them "running"
    in the status snapshot;
  - a no-op reconcile of 1000 (SIGHUP: the daemon reads its directory again and plans; the
    time is the daemon's own "reconcile:" line);
  - idle PSS (/proc/PID/smaps_rollup) with 0, 10 and 1000 workloads, 1 s after they run and
    30 s after (start-up pages given back), and the memory per workload (PSS growth 0 -> 1000);
  - launch CPU, the daemon against `edgectl run` of the same manifest (/bin/true with the
    default isolation, restart: never): the daemon's CPU with its reaped workloads
    (utime+stime+cutime+cstime) for 100 such workloads, less a daemon with none, per workload;
    and the CPU of one `edgectl run` with its workload (wait4's rusage).
Figures are printed; nothing is asserted.
"""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
daemon = os.path.join(build, "supervisor", "edgevisord")
edgectl = os.path.join(build, "supervisor", "edgectl")
TRUE_SPEC = "spec:\n  command: [/bin/true]\n  restart: {policy: never}\n"
SLEEP_SPEC = "spec:\n  command: [/bin/sleep, \"100000\"]\n  stopTimeout: 0\n"


def cgroup2():
    for line in open("/proc/self/mounts"):
        f = line.split()
        if f[2] == "cgroup2":
            return f[1]


class Daemon:
    def __init__(self, workloads, spec=SLEEP_SPEC):
        self.dir = tempfile.mkdtemp(prefix="edgevisord-bench.")
        self.subtree = f"edgevisord-bench-{os.getpid()}-{int(time.time()*1000)}"
        os.makedirs(f"{self.dir}/m")
        with open(f"{self.dir}/m/w.yaml", "w") as f:
            for i in range(workloads):
                f.write(f"---\napiVersion: edgevisor/v1\nkind: Workload\nmetadata: {{name: w{i}}}\n"
                        + spec)
        with open(f"{self.dir}/c.yaml", "w") as f:
            f.write(f"apiVersion: edgevisor/v1\nkind: NodeConfig\nnode: {{id: bench}}\n"
                    f"paths: {{manifests: {self.dir}/m, state: {self.dir}/s, runtime: {self.dir}/r, "
                    f"logs: {self.dir}/l}}\ncgroup: {{allowMissingControllers: true, "
                    f"layout: standalone, subtree: {self.subtree}}}\n")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(f"{self.dir}/notify")
        env = dict(os.environ, NOTIFY_SOCKET=f"{self.dir}/notify")
        self.log = open(f"{self.dir}/daemon.log", "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([daemon, "--config", f"{self.dir}/c.yaml"], env=env,
                                     stdout=self.log, stderr=self.log)

    def wait_ready(self):
        while True:
            msg = self.notify.recv(4096).decode()
            if "READY=1" in msg:
                ready = time.monotonic() - self.started
                # Keep reading, as systemd does (the daemon's notifications wait while the
                # socket is full; before 6e4ce8d its whole loop did).
                threading.Thread(target=self.drain, daemon=True).start()
                return ready

    def drain(self):
        try:
            while self.notify.recv(4096):
                pass
        except OSError:
            pass

    def count(self, states):
        try:
            s = json.load(open(f"{self.dir}/r/status.json"))
            return sum(1 for w in s["workloads"] if w["state"] in states)
        except (OSError, ValueError):
            return 0

    def running(self):
        return self.count(("running",))

    def wait_running(self, n):
        self.wait_ready()
        while self.running() < n:
            time.sleep(0.005)
        return time.monotonic() - self.started

    def wait_exited(self, n):
        self.wait_ready()
        while self.count(("exited",)) < n:
            time.sleep(0.05)

    def cpu_s(self):
        # utime, stime, cutime, cstime (fields 14-17): the daemon and the workloads it reaped.
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def pss_kb(self, key="Pss:"):
        for line in open(f"/proc/{self.proc.pid}/smaps_rollup"):
            if line.startswith(key):
                return int(line.split()[1])

    def pss_split(self):
        """PSS, and its anonymous part (heap, stacks, relocated data: the daemon's own) and its
        file part (code and read-only data, shared with every process that maps the same file,
        and clean: the kernel can reclaim it under memory pressure and read it back)."""
        return self.pss_kb(), self.pss_kb("Pss_Anon:"), self.pss_kb("Pss_File:")

    def reconcile_lines(self):
        return re.findall(r"reconcile: (\d+) desired, (\d+) steps, planned in (\d+) us",
                          open(f"{self.dir}/daemon.log").read())

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=300)
        root = f"{cgroup2()}/{self.subtree}"
        for d in sorted((os.path.join(p, x) for p, ds, _ in os.walk(root) for x in ds), reverse=True):
            os.rmdir(d)
        if os.path.isdir(root):
            os.rmdir(root)
        shutil.rmtree(self.dir, ignore_errors=True)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def case(name, fn):
    values = [fn() for _ in range(rounds)]
    print(f"{name:45} median {median(values):10.2f}   (rounds: {', '.join(f'{v:.2f}' for v in values)})")


def ready(n):
    def run():
        d = Daemon(n)
        t = d.wait_ready()
        d.close()
        return t * 1000
    return run


def converge(n):
    def run():
        d = Daemon(n)
        t = d.wait_running(n)
        d.close()
        return t
    return run


CRASH_SPEC = ("spec:\n  command: [/bin/false]\n"
              "  restart: {policy: always, backoff: {initial: 1ms, max: 1ms}}\n")


def restarts(d, name):
    try:
        s = json.load(open(f"{d.dir}/r/status.json"))
        return next(w["restarts"] for w in s["workloads"] if w["name"] == name)
    except (OSError, ValueError, StopIteration):
        return 0


def add_workloads(d, n):
    """Seconds from writing a file of n more sleeping workloads (debounce included) to all of
    them running."""
    before = d.running()
    with open(f"{d.dir}/m/more.yaml", "w") as f:
        for i in range(n):
            f.write(f"---\napiVersion: edgevisor/v1\nkind: Workload\nmetadata: {{name: more{i}}}\n"
                    + SLEEP_SPEC)
    start = time.monotonic()
    while d.running() < before + n:
        time.sleep(0.005)
    return time.monotonic() - start


def crash_loop():
    """Restarts per second of a workload that fails at once with a 1 ms backoff, and the time
    to start 100 more workloads while it loops, against the same in a daemon without it."""
    quiet = Daemon(0)
    quiet.wait_ready()
    alone = add_workloads(quiet, 100)
    quiet.close()
    d = Daemon(0)
    d.wait_ready()
    with open(f"{d.dir}/m/crash.yaml", "w") as f:  # the directory watch picks it up
        f.write("apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: crash}\n" + CRASH_SPEC)
    while restarts(d, "crash") == 0:
        time.sleep(0.01)
    r0, t0 = restarts(d, "crash"), time.monotonic()
    time.sleep(3)
    rate = (restarts(d, "crash") - r0) / (time.monotonic() - t0)
    beside = add_workloads(d, 100)
    d.close()
    return rate, alone, beside


def noop_reconcile():
    d = Daemon(1000)
    d.wait_running(1000)
    before = len(d.reconcile_lines())
    d.proc.send_signal(signal.SIGHUP)
    while len(d.reconcile_lines()) == before:
        time.sleep(0.01)
    line = d.reconcile_lines()[-1]
    d.close()
    return int(line[2]) / 1000, int(line[1])


def daemon_launch_cpu(n=100):
    def run():
        idle = Daemon(0, TRUE_SPEC)
        idle.wait_ready()
        time.sleep(1)
        base = idle.cpu_s()
        idle.close()
        d = Daemon(n, TRUE_SPEC)
        d.wait_exited(n)
        time.sleep(1)
        total = d.cpu_s()
        d.close()
        return (total - base) / n * 1000
    return run


def edgectl_launch_cpu(n=100):
    def run():
        dir = tempfile.mkdtemp(prefix="edgectl-bench.")
        with open(f"{dir}/w.yaml", "w") as f:
            f.write("apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: w0}\n" + TRUE_SPEC)
        cpu = 0.0
        for _ in range(n):
            p = subprocess.Popen([edgectl, "run", f"{dir}/w.yaml"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0:
                sys.exit(f"edgectl run failed: {p.returncode}")
            cpu += usage.ru_utime + usage.ru_stime
        shutil.rmtree(dir, ignore_errors=True)
        return cpu / n * 1000
    return run


print(f"edgevisord benchmarks, {rounds} rounds, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
def idle_memory(n):
    """PSS with its anonymous and file parts 1 s after n workloads run, and 30 s after (the
    daemon gives back its start-up pages 5 s after a change; two rounds of resource sampling,
    every 10 s, have run since)."""
    d = Daemon(n)
    if n:
        d.wait_running(n)
    else:
        d.wait_ready()
    time.sleep(1)
    early = d.pss_split()
    time.sleep(29)
    late = d.pss_split()
    d.close()
    return early, late


def memory():
    figures = {n: idle_memory(n) for n in (0, 10, 1000)}
    for i, when in enumerate(("1 s", "30 s")):
        pss = [figures[n][i][0] for n in (0, 10, 1000)]
        title = f"idle PSS {when}, 0 / 10 / 1000 workloads (KB)"
        print(f"{title:45} {pss[0]} / {pss[1]} / {pss[2]}")
        print(f"{'  with 10: anonymous + file (KB)':45} {figures[10][i][1]} + {figures[10][i][2]}")
        print(f"{'  memory per workload, 0 -> 1000 (KB)':45} {(pss[2] - pss[0]) / 1000:.1f}")


if "--memory-only" in sys.argv:
    memory()
    sys.exit(0)
if "--crash-loop-only" in sys.argv:
    runs = [crash_loop() for _ in range(rounds)]
    print(f"{'crash loop: restarts per second':45} median {median([r[0] for r in runs]):10.1f}")
    print(f"{'100 more workloads running, alone (s)':45} median {median([r[1] for r in runs]):10.2f}")
    print(f"{'... beside the crash loop (s)':45} median {median([r[2] for r in runs]):10.2f}")
    sys.exit(0)
if "--converge-only" in sys.argv:
    case("cold converge, 1000 sleeping workloads (s)", converge(1000))
    sys.exit(0)
if "--launch-cpu-only" in sys.argv:
    case("launch CPU from the daemon, /bin/true (ms)", daemon_launch_cpu())
    case("launch CPU of edgectl run, /bin/true (ms)", edgectl_launch_cpu())
    sys.exit(0)
case("start to READY=1, 0 workloads (ms)", ready(0))
case("start to READY=1, 10 workloads (ms)", ready(10))
case("cold converge, 100 sleeping workloads (s)", converge(100))
case("cold converge, 1000 sleeping workloads (s)", converge(1000))
noop = [noop_reconcile() for _ in range(rounds)]
print(f"{'no-op reconcile of 1000 (ms, steps)':45} median {median([n[0] for n in noop]):10.2f}   "
      f"(steps: {[n[1] for n in noop]})")
memory()
case("launch CPU from the daemon, /bin/true (ms)", daemon_launch_cpu())
case("launch CPU of edgectl run, /bin/true (ms)", edgectl_launch_cpu())
