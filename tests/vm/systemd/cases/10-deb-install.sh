# case: the .deb installs with dpkg -i and edgectl validate runs
# dpkg -i under a running systemd, as on a board; then the installed edgectl checks the
# example manifests the package ships.
[[ -f $deb ]] || fail "no .deb in the guest ($deb)"
show dpkg -i "$deb"
show dpkg -s edgevisor | grep -x 'Status: install ok installed' || fail "edgevisor is not installed"
show command -v edgectl
show edgectl validate /usr/share/doc/edgevisor/examples
