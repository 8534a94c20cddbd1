# shellcheck shell=bash disable=SC2154 # harness_name: set by the harness that sources this
# Shared by the two guest harnesses (edgevisor-vm: busybox initramfs; edgevisor-systemd-vm:
# a Debian root filesystem with systemd). Sourced, not run. See README "Test VM".
#
# Environment: EDGEVISOR_VM_CACHE (default /var/cache/edgevisor-vm), EDGEVISOR_VM_ACCEL
# (auto|kvm|tcg).

readonly cache_root=${EDGEVISOR_VM_CACHE:-/var/cache/edgevisor-vm}

say() { echo "$harness_name: $*" >&2; }
die() {
    say "error: $*"
    exit 2
}
now_ms() { date +%s%3N; }

# Another Debian suite's packages (edgevisor-vm --suite bullseye: Linux 5.10) come from a
# private apt world in the cache: its own sources (the machine's mirrors), lists and an empty
# dpkg status, so the machine's apt sources and state are never changed. Empty: the machine's.
apt_opts=()
apt_suite=""

# The machine's Debian mirrors, as "main-URI security-URI": the URIs that serve its own
# codename and codename-security, from sources.list and the deb822 .sources files.
host_mirrors() {
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || die "no VERSION_CODENAME in /etc/os-release"
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | awk -v c="$codename" '
        function pick(uri, s) { if (s == c && main == "") main = uri
                                if (s == c "-security" && sec == "") sec = uri }
        /^deb / { sub(/\[[^]]*\] */, ""); pick($2, $3) }
        /^URIs:/ { uris = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) pick(uris, $i) }
        /^$/ { uris = "" }
        END { if (main != "") print main, (sec == "" ? "-" : sec) }'
}

# Sets apt_opts and apt_suite for SUITE (call it outside $(...)). Its lists are refreshed when
# the machine's are newer (an apt-get update there means newer packages here too) or missing.
use_suite() { # suite
    local suite=$1 aptdir=$cache_root/apt-$1 main security keyring
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    read -r main security < <(host_mirrors) || die "no Debian mirror in the machine's apt sources"
    mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$aptdir/cache" \
        "$aptdir/etc/sources.list.d" "$aptdir/etc/preferences.d"
    [[ -f $aptdir/status ]] || : >"$aptdir/status"
    {
        echo "deb [signed-by=$keyring] $main $suite main"
        [[ $security == - ]] || echo "deb [signed-by=$keyring] $security $suite-security main"
    } >"$aptdir/etc/sources.list"
    apt_suite=$suite
    apt_opts=(-o "Dir::State::Lists=$aptdir/lists" -o "Dir::State::status=$aptdir/status"
        -o "Dir::Cache=$aptdir/cache" -o "Dir::Cache::archives=$aptdir/archives"
        -o "Dir::Etc::SourceList=$aptdir/etc/sources.list"
        -o "Dir::Etc::SourceParts=$aptdir/etc/sources.list.d"
        -o "Dir::Etc::Preferences=$aptdir/etc/preferences"
        -o "Dir::Etc::PreferencesParts=$aptdir/etc/preferences.d")
    if [[ ! -f $aptdir/updated || /var/lib/apt/lists -nt $aptdir/updated ]]; then
        say "apt-get update for $suite (private lists in $aptdir)"
        apt-get "${apt_opts[@]}" update -q >&2 || die "apt-get update for $suite failed"
        touch "$aptdir/updated"
    fi
}

# The kernel package a Debian meta package (linux-image-amd64, linux-image-cloud-amd64)
# depends on today, e.g. linux-image-6.1.0-57-cloud-amd64; of the use_suite suite if one is set.
kernel_package() { # meta-package
    local meta=$1 package remembered=$cache_root/kernel-package lists=/var/lib/apt/lists
    [[ $meta == linux-image-amd64 ]] || remembered=$cache_root/kernel-package-${meta#linux-image-}
    if [[ -n $apt_suite ]]; then
        remembered=$remembered-$apt_suite
        lists=$cache_root/apt-$apt_suite/updated
    fi
    # apt-cache takes seconds on a busy machine: ask again only after an apt-get update.
    if [[ -s $remembered && $remembered -nt $lists ]]; then
        cat "$remembered"
        return
    fi
    package=$(apt-cache "${apt_opts[@]}" depends "$meta" 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    if [[ -z $package ]]; then # no package lists yet (a machine that never ran apt-get update)
        say "apt-get update (no package lists to find the kernel in)"
        apt-get "${apt_opts[@]}" update -q >&2 || die "apt-get update failed"
        package=$(apt-cache "${apt_opts[@]}" depends "$meta" 2>/dev/null |
            awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    fi
    [[ -n $package ]] || die "apt-cache depends $meta names no kernel package"
    echo "$package" | tee "$remembered"
}

# Downloads Debian's kernel package (never installs it) and unpacks it into the cache: boot/
# and lib/modules/ (with a modules.dep from busybox depmod). With "elf", the raw ELF kernel is
# cut out of vmlinuz too (the xz stream at its magic), as $dir/vmlinux: booting that directly
# (PVH) skips the decompressor, ~3 s under TCG. Without, $dir/boot/vmlinuz-$version is booted
# (the cloud kernel is LZ4, which decompresses fast anyway).
prepare_kernel() { # dir package version [elf]
    local dir=$1 package=$2 version=$3 elf=${4:-} tmp
    [[ -f $dir/complete && ( -z $elf || -f $dir/vmlinux ) ]] && return
    # Caches filled before the completion mark existed.
    [[ -n $elf && -f $dir/vmlinux && -f $dir/lib/modules/$version/modules.dep ]] && return
    tmp=$(mktemp -d "$cache_root/.unpack.XXXXXX")
    say "fetching $package from the Debian mirror (once per machine, 30-70 MB)"
    if ! (cd "$tmp" && apt-get "${apt_opts[@]}" download -q -o APT::Sandbox::User=root \
        "$package") >&2; then
        # Stale lists name a package the mirror no longer serves: refresh them once.
        say "apt-get download failed; apt-get update and one more try"
        apt-get "${apt_opts[@]}" update -q >&2 || die "apt-get update failed"
        (cd "$tmp" && apt-get "${apt_opts[@]}" download -q -o APT::Sandbox::User=root \
            "$package") >&2 || die "apt-get download $package failed"
    fi
    say "unpacking $package"
    dpkg-deb -x "$tmp"/*.deb "$tmp/pkg"
    if [[ -n $elf ]]; then
        local vmlinuz=$tmp/pkg/boot/vmlinuz-$version offset
        offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1) || true
        [[ -n $offset ]] || die "no xz stream in $vmlinuz"
        # --single-stream stops at the stream's end: tail may then die of SIGPIPE, which is fine.
        xz -dc --single-stream <(tail -c +$((offset + 1)) "$vmlinuz") >"$tmp/vmlinux" ||
            die "cannot decompress the kernel in $vmlinuz"
    fi
    busybox depmod -b "$tmp/pkg" "$version" || die "depmod $version"
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/pkg/lib" "$tmp/pkg/boot" "$dir/"
    [[ -z $elf ]] || mv "$tmp/vmlinux" "$dir/vmlinux"
    : >"$dir/complete" # last: its presence marks the kernel complete
    rm -rf "$tmp"
}

# Holds the cache lock (fd 9) until the caller releases it: several build trees may prepare
# at once.
lock_cache() {
    mkdir -p "$cache_root"
    exec 9>"$cache_root/.lock"
    flock 9
}

accel_options() {
    local accel=${EDGEVISOR_VM_ACCEL:-auto}
    # /dev/kvm alone proves nothing: some hosts offer a software kvm_pvm that cannot run a
    # stock guest kernel. Real KVM needs vmx/svm.
    if [[ $accel == auto ]]; then
        accel=tcg
        grep -qwE 'vmx|svm' /proc/cpuinfo && [[ -w /dev/kvm ]] && accel=kvm
    fi
    case $accel in
    kvm) echo "-accel kvm -cpu host" ;;
    tcg) echo "-accel tcg,thread=multi -cpu max" ;;
    *) die "EDGEVISOR_VM_ACCEL must be auto, kvm or tcg" ;;
    esac
}

# The job directory of a run holds count and, per command N: N.name, N.out, N.rc, N.ms; and
# guest.log (the serial console).
# Prints one line per command and each failure's output; returns 1 if any failed.
report() { # job
    local job=$1 n count failed=0 verdict rc
    count=$(cat "$job/count")
    for ((n = 1; n <= count; n++)); do
        rc=$(cat "$job/$n.rc" 2>/dev/null || echo missing)
        case $rc in
        0) verdict=passed ;;
        77) verdict=SKIPPED ;;
        *) verdict="FAILED (exit $rc)" failed=1 ;;
        esac
        say "$verdict: $(cat "$job/$n.name") ($(cat "$job/$n.ms" 2>/dev/null || echo ?) ms)"
        [[ $rc == 0 ]] || sed 's/^/    /' "$job/$n.out" >&2
    done
    if ((failed)); then
        say "the guest's log:"
        cat "$job/guest.log" >&2
    fi
    return $failed
}

result() { # dir name
    local dir=$1 name=$2 n count
    [[ -f $dir/count ]] || die "no results in $dir (did the VM run?)"
    count=$(cat "$dir/count")
    for ((n = 1; n <= count; n++)); do
        [[ $(cat "$dir/$n.name") == "$name" ]] || continue
        [[ -f $dir/$n.rc ]] || die "\"$name\" did not run (see $dir/guest.log)"
        cat "$dir/$n.out"
        local rc
        rc=$(cat "$dir/$n.rc")
        if [[ $rc != 0 && $rc != 77 ]]; then
            echo "---- the guest's log (kernel messages such as OOM reports are here):"
            cat "$dir/guest.log"
        fi
        return "$rc"
    done
    die "no result for \"$name\" in $dir"
}
