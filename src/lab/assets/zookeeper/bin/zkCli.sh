#!/usr/bin/env bash
# The ZooKeeper command line client, with Apache's arguments: zkCli.sh [-server host:port] [cmd args]
ZOOBIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$ZOOBIN/zkEnv.sh"
ZOO_LOG4J_PROP="${ZOO_CLI_LOG4J_PROP:-WARN,CONSOLE}"
# shellcheck disable=SC2086
exec "$JAVA" -Dzookeeper.log.dir="$ZOO_LOG_DIR" -Dzookeeper.root.logger="$ZOO_LOG4J_PROP" \
  -cp "$CLASSPATH" $CLIENT_JVMFLAGS $JVMFLAGS org.apache.zookeeper.ZooKeeperMain "$@"
