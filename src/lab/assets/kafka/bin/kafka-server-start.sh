#!/usr/bin/env bash
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*"
  exit 1
fi
base_dir="$(dirname "$0")"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/../config/log4j.properties}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
EXTRA_ARGS="${EXTRA_ARGS:--name kafkaServer -loggc}"
COMMAND="$1"
case "$COMMAND" in
  -daemon) EXTRA_ARGS="-daemon $EXTRA_ARGS"; shift ;;
esac
# shellcheck disable=SC2086
exec "$base_dir/kafka-run-class.sh" $EXTRA_ARGS kafka.Kafka "$@"
