#!/usr/bin/env bash
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties"
  exit 1
fi
base_dir="$(dirname "$0")"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/../config/log4j.properties}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512M -Xms512M}"
EXTRA_ARGS="${EXTRA_ARGS:--name zookeeper -loggc}"
case "$1" in
  -daemon) EXTRA_ARGS="-daemon $EXTRA_ARGS"; shift ;;
esac
# shellcheck disable=SC2086
exec "$base_dir/kafka-run-class.sh" $EXTRA_ARGS org.apache.zookeeper.server.quorum.QuorumPeerMain "$@"
