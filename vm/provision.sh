#!/bin/sh
# Provision the FreeBSD test VM (run as root by Vagrant's shell provisioner):
# the netgraph modules the suite uses (now and at every boot), Python 3, and a
# virtual environment with pyngraph and its test extras.
#   $1  directory holding main/ (the repository)                (default /home/vagrant/pyngraph)
#   $2  virtual environment to create                          (default /home/vagrant/pyngraph-venv)
set -eu

ROOT=${1:-/home/vagrant/pyngraph}
VENV=${2:-/home/vagrant/pyngraph-venv}
MODULES="netgraph ng_socket ng_ksocket ng_hub ng_echo ng_hole ng_tee"

say() { printf 'provision: %s\n' "$*"; }

for module in $MODULES; do
    kldload -n "$module"
    sysrc -f /boot/loader.conf "${module}_load=YES" >/dev/null
done
say "netgraph modules loaded and persisted in /boot/loader.conf: $MODULES"

export ASSUME_ALWAYS_YES=yes
pkg install -y python3 rsync
say "$(python3 --version)"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$ROOT/main[test]"
chown -R vagrant "$VENV"
say "virtual environment ready: $VENV"

"$VENV/bin/python" -c 'from pyngraph.backend.freebsd import check_ready; check_ready(); print("provision: netgraph ready")'
