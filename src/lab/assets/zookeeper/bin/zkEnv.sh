#!/usr/bin/env bash
# Environment shared by the ZooKeeper scripts (the runbook lab's stand-in for Apache's zkEnv.sh;
# same variables: ZOOCFGDIR, ZOOCFG, ZOO_LOG_DIR, ZOO_LOG4J_PROP, JAVA_HOME, SERVER_JVMFLAGS,
# CLIENT_JVMFLAGS, JVMFLAGS, ZK_SERVER_HEAP, ZK_CLIENT_HEAP).
ZOOBINDIR="${ZOOBINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
ZOOKEEPER_PREFIX="$(cd "$ZOOBINDIR/.." && pwd)"
ZOOCFGDIR="${ZOOCFGDIR:-$ZOOKEEPER_PREFIX/conf}"
[ -f "$ZOOCFGDIR/zookeeper-env.sh" ] && . "$ZOOCFGDIR/zookeeper-env.sh"
[ -f "$ZOOCFGDIR/java.env" ] && . "$ZOOCFGDIR/java.env"
ZOOCFG="${ZOOCFG:-zoo.cfg}"
ZOOCFG="$ZOOCFGDIR/$ZOOCFG"
ZOO_LOG_DIR="${ZOO_LOG_DIR:-$ZOOKEEPER_PREFIX/logs}"
ZOO_LOG4J_PROP="${ZOO_LOG4J_PROP:-INFO,CONSOLE}"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=java
fi
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "Error: JAVA_HOME is not set and java could not be found in PATH." >&2
  exit 1
fi
# Apache's sets no JVMFLAGS; the lab's are the client JVM's, as in the lab's kafka-run-class.sh (why: there).
JVMFLAGS="${JVMFLAGS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
CLASSPATH="$ZOOCFGDIR:$ZOOKEEPER_PREFIX/lib/*${CLASSPATH:+:$CLASSPATH}"
ZK_SERVER_HEAP="${ZK_SERVER_HEAP:-1000}"
SERVER_JVMFLAGS="-Xmx${ZK_SERVER_HEAP}m ${SERVER_JVMFLAGS:-}"
ZK_CLIENT_HEAP="${ZK_CLIENT_HEAP:-256}"
CLIENT_JVMFLAGS="-Xmx${ZK_CLIENT_HEAP}m ${CLIENT_JVMFLAGS:-}"
