#!/busybox/sh
# PID 1 of the edgevisor test guest (busybox ash). Built into the initramfs by edgevisor-vm.
#
# Stage 1 runs in the initramfs ("rootfs"), which pivot_root(2) can never leave: copy
# ourselves into a tmpfs and switch_root there, so the launcher's pivot_root behaves in the
# guest as it does on a real board. Stage 2 mounts the kernel filesystems and cgroup2,
# enables every controller, loads the 9p modules, mounts the host's shares, runs the job the
# host wrote into /job and reports through the isa-debug-exit port.
export PATH=/busybox

say() { echo "edgevisor-vm: $*"; }

# isa-debug-exit turns the byte written to port 0xf4 into qemu's exit status (byte*2+1).
# The host treats anything but the PASS status as failure: a dying init panics the kernel
# and qemu then exits 0, which must never read as success.
finish() {
    sync
    printf '%b' "$1" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    poweroff -f # only reached without the debug-exit device
}
pass() { finish '\020'; }        # qemu exits 33
fail() { say "FATAL: $*"; finish '\021'; }  # qemu exits 35

if [ ! -e /.stage2 ]; then
    mkdir -p /newroot
    mount -t tmpfs -o mode=755 root /newroot || fail "tmpfs root"
    cp -a /busybox /modules /init /newroot/ || fail "copy into tmpfs"
    : >/newroot/.stage2
    exec switch_root /newroot /init
fi

# With the top-level directories of a Debian root, so workloads can mount onto them as on a host.
mkdir -p /proc /sys /dev /tmp /run /root /job /etc /usr /lib /mnt /media /opt /srv /home /var/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1 # the initramfs may have had no /dev/console node
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "mount cgroup2"

# Order matters: insmod does no dependency resolution.
# The harness leaves out the modules an older kernel does not have (virtio_pci_*_dev and netfs
# came after Linux 5.10).
for module in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
    netfs fscache 9pnet 9pnet_virtio 9p virtio_blk; do
    [ -e /modules/$module.ko ] || continue
    insmod /modules/$module.ko || fail "insmod $module"
done

share() { # tag guest-path ro|rw
    mkdir -p "$2" 2>/dev/null
    cache=loose
    [ "$3" = rw ] && cache=none # results must reach the host before we power off
    mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,cache=$cache,$3" "$1" "$2" ||
        fail "mount 9p share $1 at $2"
}
share job /job rw

# The host's /usr (and /etc, for ld.so.cache and passwd) make its dynamically linked test
# binaries run unchanged; the merged-/usr links match Debian's layout.
share usr /usr ro
share etc /etc ro
ln -s usr/bin /bin
ln -s usr/sbin /sbin
ln -s usr/lib64 /lib64
ln -s /usr/lib/* /lib/
share modules /lib/modules ro # the kernel package's modules, modules.dep from busybox depmod
echo /busybox/modprobe >/proc/sys/kernel/modprobe
while read -r tag path; do share "$tag" "$path" ro; done </job/shares

# The disk may appear asynchronously after the driver binds.
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; done
[ -b /dev/vda ] || fail "no virtio block device /dev/vda"

for controller in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$controller" >/sys/fs/cgroup/cgroup.subtree_control || fail "enable $controller"
done
say "controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
say "ready after $(cut -d' ' -f1 /proc/uptime) s of guest uptime"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/root TMPDIR=/tmp
export EDGEVISOR_IN_VM=1 EDGEVISOR_VM_BLOCK_DEVICE=/dev/vda
count=$(cat /job/count)
timeout=$(cat /job/timeout)
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
i=1
while [ "$i" -le "$count" ]; do
    name=$(cat "/job/$i.name")
    say "[$i/$count] $name"
    start=$(uptime_ms)
    # In the caller's directory when it is shared, as on the host.
    (cd "$(cat /job/cwd)" 2>/dev/null || cd /
        exec /busybox/timeout -s KILL "$timeout" /busybox/sh "/job/$i.sh" >"/job/$i.out" 2>&1 </dev/null)
    rc=$?
    echo $(($(uptime_ms) - start)) >"/job/$i.ms"
    echo "$rc" >"/job/$i.rc"
    say "[$i/$count] exit $rc after $(cat "/job/$i.ms") ms"
    i=$((i + 1))
done
: >/job/done
pass
