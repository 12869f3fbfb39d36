#!/bin/sh
# Boots one lab host: systemd as PID 1 chrooted into the host's root, in its own mount, UTS, IPC,
# PID and cgroup namespaces, joined to the host's network namespace (made by the lab beforehand):
#   sh host-boot.sh <root> <cgroup-leaf> <netns>
# It stays the parent of the host's PID namespace until systemd exits.
set -eu
root=$1
leaf=$2
netns=$3

# A cgroup of its own in every hierarchy, entered before the cgroup namespace is made: each host's
# systemd then builds init.scope/system.slice under its own root instead of colliding with its
# neighbours' (and the machine's) at the top of the shared hierarchies.
while IFS=: read -r _ controllers path; do
  case $controllers in
    '') dir=/sys/fs/cgroup/unified; [ -d "$dir" ] || dir=/sys/fs/cgroup ;;
    name=*) dir=/sys/fs/cgroup/${controllers#name=} ;;
    *) dir=/sys/fs/cgroup/$controllers ;;
  esac
  [ -d "$dir$path" ] || continue
  mkdir -p "$dir$path/$leaf"
  # cgroup v1 cpuset starts a new group with no CPUs and no memory nodes: inherit the parent's.
  if [ -f "$dir$path/cpuset.cpus" ]; then
    cat "$dir$path/cpuset.cpus" > "$dir$path/$leaf/cpuset.cpus"
    cat "$dir$path/cpuset.mems" > "$dir$path/$leaf/cpuset.mems"
  fi
  echo $$ > "$dir$path/$leaf/cgroup.procs"
done < /proc/self/cgroup

# What a container manager gives its guest: /proc, a read-only /sys and /proc/sys (the guest must
# not retune the machine's kernel), and a small /dev of our own with its own ptys instead of the
# machine's devtmpfs. systemd sees them mounted and leaves them be.
exec nsenter --net=/run/netns/"$netns" unshare --mount --uts --ipc --pid --cgroup --fork --propagation private -- /bin/sh -eu -c '
  root=$1
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount --bind "$root/proc/sys" "$root/proc/sys"
  # net.* shows the network namespace of the host alone (a parameter that is not per namespace is
  # not there at all): writable, as in a container; the sysctl task is proven on it. The rest of
  # /proc/sys is the kernel of this machine: read-only.
  mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
  mount -o remount,bind,ro "$root/proc/sys"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs "$root/dev"
  cd "$root/dev"
  mknod -m 666 null c 1 3
  mknod -m 666 zero c 1 5
  mknod -m 666 full c 1 7
  mknod -m 666 random c 1 8
  mknod -m 666 urandom c 1 9
  mknod -m 666 tty c 5 0
  mkdir -m 755 pts
  mkdir -m 1777 shm
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts pts
  ln -s pts/ptmx ptmx
  ln -s /proc/self/fd fd
  ln -s /proc/self/fd/0 stdin
  ln -s /proc/self/fd/1 stdout
  ln -s /proc/self/fd/2 stderr
  cd /
  exec env -i container=runbook-lab PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" /lib/systemd/systemd
' host-boot "$root"
