#!/usr/bin/env bash
# Start, stop and query a ZooKeeper server, with Apache's arguments:
#   zkServer.sh [--config <conf-dir>] {start|start-foreground|stop|restart|status|print-cmd|version} [<zoo.cfg>]
# The pid file is <dataDir>/zookeeper_server.pid (or $ZOOPIDFILE); status asks the server with
# the `srvr` four-letter command and prints `Mode: leader|follower|standalone`.
ZOOBIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$1" = "--config" ]; then
  shift; ZOOCFGDIR="$1"; shift
fi
. "$ZOOBIN/zkEnv.sh"

if [ $# -gt 1 ]; then
  case "$2" in
    */*) ZOOCFG="$2" ;;
    *) ZOOCFG="$ZOOCFGDIR/$2" ;;
  esac
fi
echo "ZooKeeper JMX enabled by default" >&2
echo "Using config: $ZOOCFG" >&2

cfg() { grep -E "^[[:space:]]*$1[[:space:]]*=" "$ZOOCFG" 2>/dev/null | tail -1 | sed -e 's/^[^=]*=[[:space:]]*//' -e 's/[[:space:]]*$//'; }

ZOO_DATADIR="$(cfg dataDir)"
if [ -z "${ZOOPIDFILE:-}" ]; then
  if [ -z "$ZOO_DATADIR" ]; then
    echo "Error: dataDir is not set in $ZOOCFG" >&2
    [ "$1" = status ] || exit 1
  fi
  ZOOPIDFILE="$ZOO_DATADIR/zookeeper_server.pid"
fi
ZOO_USER="${USER:-$(id -un)}"
ZOOMAIN="-Dzookeeper.log.dir=$ZOO_LOG_DIR -Dzookeeper.log.file=zookeeper-$ZOO_USER-server-$HOSTNAME.log -Dzookeeper.root.logger=$ZOO_LOG4J_PROP -XX:+HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError org.apache.zookeeper.server.quorum.QuorumPeerMain"
_ZOO_DAEMON_OUT="$ZOO_LOG_DIR/zookeeper-$ZOO_USER-server-$HOSTNAME.out"

running_pid() {
  [ -f "$ZOOPIDFILE" ] || return 1
  local pid
  pid="$(cat "$ZOOPIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

case "$1" in
start)
  echo -n "Starting zookeeper ... " >&2
  if pid="$(running_pid)"; then
    echo "already running as process $pid." >&2
    exit 1
  fi
  mkdir -p "$ZOO_LOG_DIR" "$(dirname "$ZOOPIDFILE")"
  # shellcheck disable=SC2086
  nohup "$JAVA" -cp "$CLASSPATH" $JVMFLAGS $SERVER_JVMFLAGS $ZOOMAIN "$ZOOCFG" > "$_ZOO_DAEMON_OUT" 2>&1 < /dev/null &
  if echo -n $! > "$ZOOPIDFILE"; then
    sleep 1
    if kill -0 "$(cat "$ZOOPIDFILE")" 2>/dev/null; then
      echo STARTED >&2
      exit 0
    fi
    echo "FAILED TO START (see $_ZOO_DAEMON_OUT)" >&2
    rm -f "$ZOOPIDFILE"
    exit 1
  fi
  echo "FAILED TO WRITE PID" >&2
  exit 1
  ;;
start-foreground)
  mkdir -p "$ZOO_LOG_DIR"
  # shellcheck disable=SC2086
  exec "$JAVA" -cp "$CLASSPATH" $JVMFLAGS $SERVER_JVMFLAGS $ZOOMAIN "$ZOOCFG"
  ;;
print-cmd)
  echo "\"$JAVA\" -cp \"$CLASSPATH\" $JVMFLAGS $SERVER_JVMFLAGS $ZOOMAIN \"$ZOOCFG\" > \"$_ZOO_DAEMON_OUT\" 2>&1 < /dev/null"
  ;;
stop)
  echo -n "Stopping zookeeper ... " >&2
  if ! pid="$(running_pid)"; then
    echo "no zookeeper to stop (could not find file $ZOOPIDFILE or its process)" >&2
    rm -f "$ZOOPIDFILE"
    exit 0
  fi
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  rm -f "$ZOOPIDFILE"
  echo STOPPED >&2
  ;;
restart)
  shift
  "$0" stop "$@"
  sleep 1
  "$0" start "$@"
  ;;
status)
  clientPort="$(cfg clientPort)"
  if [ -z "$clientPort" ]; then
    # dynamic configuration: server.N=host:2888:3888[:role];[clientAddress:]clientPort
    clientPort="$(grep -h "^server\.$(cat "$ZOO_DATADIR/myid" 2>/dev/null)=" "$ZOOCFG" "$(cfg dynamicConfigFile)" 2>/dev/null | sed -n 's/.*;\(.*:\)\{0,1\}\([0-9]*\)$/\2/p' | head -1)"
  fi
  clientPortAddress="$(cfg clientPortAddress)"
  echo "Client port found: $clientPort. Client address: ${clientPortAddress:-localhost}. Client SSL: false." >&2
  STAT="$("$JAVA" -cp "$CLASSPATH" $JVMFLAGS $CLIENT_JVMFLAGS -Dzookeeper.log.dir="$ZOO_LOG_DIR" -Dzookeeper.root.logger=ERROR,CONSOLE \
    org.apache.zookeeper.client.FourLetterWordMain "${clientPortAddress:-localhost}" "$clientPort" srvr 2>/dev/null | grep Mode)"
  if [ -n "$STAT" ]; then
    echo "$STAT"
    exit 0
  fi
  echo "Error contacting service. It is probably not running." >&2
  exit 1
  ;;
version)
  "$JAVA" -cp "$CLASSPATH" -Dzookeeper.root.logger=ERROR,CONSOLE org.apache.zookeeper.version.VersionInfoMain 2>/dev/null
  ;;
*)
  echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd}" >&2
  exit 1
  ;;
esac
