#!/bin/bash
# A throw-away single-node Slurm cluster for the tests: munged, slurmctld and
# slurmd on this machine, with every key, socket, state file and log under one
# folder, started as root without systemd.
#
#   tests/slurm/cluster.sh start DIR   start (or reuse) the cluster; writes DIR/env.sh
#   tests/slurm/cluster.sh stop DIR    stop every daemon started for DIR
#   tests/slurm/cluster.sh status DIR  exit 0 when the node is up
#
# After `start`, `. DIR/env.sh` points sbatch/squeue/scontrol at it (SLURM_CONF).
# Environment: NTK_SLURM_CPUS (default: nproc, at least 2) - CPUs the node offers;
# more than the hardware has is allowed (config_overrides) for MPI tests on
# small machines.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=${NTK_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
template="$source_dir/configs/slurm/slurm.conf.in"

die() { echo "cluster.sh: $*" >&2; exit 1; }

need_tools() {
    local missing=()
    for tool in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: install the Debian packages slurm-wlm and munge (scripts/install-deps does)"
}

# A TCP port nobody listens on, starting the search at $1.
free_port() {
    local port=$1
    while [ "$port" -lt 65000 ]; do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
        port=$((port + 1))
    done
    die "no free TCP port found"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
    [ -n "$what" ] && echo "cluster.sh: $what" >&2
    return 0
}

node_idle() {
    local state
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1)
    [ "$state" = "idle" ] || [ "$state" = "mixed" ] || [ "$state" = "allocated" ]
}

start() {
    local dir=$1
    need_tools
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/env.sh" ] && pid_alive "$dir/slurmctld.pid" && pid_alive "$dir/slurmd.pid"; then
        . "$dir/env.sh"
        wait_for 30 "" node_idle && { echo "cluster.sh: reusing the cluster in $dir" >&2; return 0; }
    fi
    stop "$dir" 2>/dev/null
    mkdir -p "$dir/munge" "$dir/ctld"
    # slurmd puts Unix sockets in its spool folder, and a socket path has at most
    # 108 bytes: a deep build folder (e.g. build-sanitize/) overflows it. So the
    # spool is a short /tmp folder, linked from $dir/spool and removed by stop.
    rm -rf "$dir/spool"
    ln -s "$(mktemp -d /tmp/ntk-slurmd.XXXXXX)" "$dir/spool" || die "cannot create the slurmd spool folder"
    # munged insists that its folders are not writable by others.
    chmod 700 "$dir/munge"

    if [ ! -f "$dir/munge/munge.key" ]; then
        # 1024 random bytes: the shared secret of this one-node cluster.
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none || die "cannot write the munge key"
        chmod 400 "$dir/munge/munge.key"
    fi
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" || die "munged did not start (see $dir/munge/munged.log)"
    wait_for 10 "" test -S "$dir/munge/munge.socket" || die "munged socket did not appear"

    local host cpus memory mpi_default
    host=$(hostname -s)
    cpus=${NTK_SLURM_CPUS:-$(nproc)}
    [ "$cpus" -ge 2 ] || cpus=2
    # Leave some memory for the daemons and the rest of the machine.
    memory=$(free -m | awk '/^Mem:/ {print int($2 * 0.9)}')
    mpi_default=none
    local ctld_port slurmd_port
    ctld_port=$(free_port 16817)
    slurmd_port=$(free_port $((ctld_port + 1)))
    sed -e "s|@HOST@|$host|g" -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" \
        -e "s|@STATE_DIR@/spool|$(readlink "$dir/spool")|g" -e "s|@STATE_DIR@|$dir|g" -e "s|@MUNGE_SOCKET@|$dir/munge/munge.socket|g" \
        -e "s|@CPUS@|$cpus|g" -e "s|@MEMORY_MB@|$memory|g" -e "s|@MPI_DEFAULT@|$mpi_default|g" \
        "$template" > "$dir/slurm.conf" || die "cannot write $dir/slurm.conf"
    # Slurm's client commands find the cluster through SLURM_CONF.
    cat > "$dir/env.sh" <<EOF
export SLURM_CONF="$dir/slurm.conf"
EOF
    . "$dir/env.sh"

    # -i: ignore state left by an earlier cluster in this folder.
    slurmctld -i -f "$dir/slurm.conf" || die "slurmctld did not start (see $dir/slurmctld.log)"
    wait_for 30 "" pid_alive "$dir/slurmctld.pid" || die "slurmctld exited (see $dir/slurmctld.log)"
    slurmd -f "$dir/slurm.conf" || die "slurmd did not start (see $dir/slurmd.log)"
    wait_for 30 "" pid_alive "$dir/slurmd.pid" || die "slurmd exited (see $dir/slurmd.log)"
    if ! wait_for 60 "node $host is up ($cpus CPUs, $memory MB)" node_idle; then
        sinfo -N -l >&2
        tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2
        die "the node did not become idle"
    fi
}

stop_pid_file() {  # stop_pid_file PIDFILE NAME
    local file=$1 name=$2 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        local deadline=$((SECONDS + 15))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        echo "cluster.sh: stopped $name ($pid)" >&2
    fi
    rm -f "$file"
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/slurm.conf" ] && pid_alive "$dir/slurmctld.pid"; then
        # Cancel leftovers so no job step outlives the cluster.
        SLURM_CONF="$dir/slurm.conf" scancel --quiet --user="$(id -un)" 2>/dev/null
    fi
    stop_pid_file "$dir/slurmd.pid" slurmd
    stop_pid_file "$dir/slurmctld.pid" slurmctld
    stop_pid_file "$dir/munge/munged.pid" munged
    [ -L "$dir/spool" ] && rm -rf "$(readlink "$dir/spool")" "$dir/spool"
    return 0
}

status() {
    local dir=$1
    [ -f "$dir/env.sh" ] || return 1
    . "$dir/env.sh"
    pid_alive "$dir/slurmctld.pid" && pid_alive "$dir/slurmd.pid" && node_idle
}

[ $# -eq 2 ] || die "usage: cluster.sh start|stop|status DIR"
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
status) status "$2" ;;
*) die "usage: cluster.sh start|stop|status DIR" ;;
esac
