#!/usr/bin/env bash
# Run a Kafka class with Kafka's classpath and JVM settings (the runbook lab's stand-in for
# Apache's kafka-run-class.sh; same variables: JAVA_HOME, KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS,
# KAFKA_GC_LOG_OPTS, KAFKA_JMX_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS, LOG_DIR, CLASSPATH).
#   kafka-run-class.sh [-daemon] [-name servicename] [-loggc] classname [opts]
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]"
  exit 1
fi
base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASSPATH="${CLASSPATH:+$CLASSPATH:}$base_dir/libs/*"
LOG_DIR="${LOG_DIR:-$base_dir/logs}"
[ -d "$LOG_DIR" ] || mkdir -p "$LOG_DIR"
KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/config/tools-log4j.properties}"
KAFKA_LOG4J_OPTS="-Dkafka.logs.dir=$LOG_DIR $KAFKA_LOG4J_OPTS"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx256M}"
# Unlike Apache's (G1, both JIT compilers): the lab's hosts share this machine's cores and carry
# little traffic, and a JVM with only the client compiler and the serial collector starts on about
# 40% less CPU (a broker's start 5.7 -> 3.4 s of CPU, measured on a lab host); every broker,
# controller and ZooKeeper restart of a roll waits on that start.
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true}"
if [ -n "${JAVA_HOME:-}" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi

DAEMON_MODE=false
GC_LOG_ENABLED=false
while [ $# -gt 0 ]; do
  case "$1" in
    -name) DAEMON_NAME="$2"; CONSOLE_OUTPUT_FILE="$LOG_DIR/$DAEMON_NAME.out"; shift 2 ;;
    -loggc) GC_LOG_ENABLED=true; shift ;;
    -daemon) DAEMON_MODE=true; shift ;;
    *) break ;;
  esac
done
if [ "$GC_LOG_ENABLED" = true ] && [ -n "${DAEMON_NAME:-}" ]; then
  KAFKA_GC_LOG_OPTS="${KAFKA_GC_LOG_OPTS:--Xlog:gc*:file=$LOG_DIR/$DAEMON_NAME-gc.log:time,tags:filecount=10,filesize=100M}"
fi
KAFKA_JMX_OPTS="${KAFKA_JMX_OPTS:--Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false}"

if [ "$DAEMON_MODE" = true ]; then
  # shellcheck disable=SC2086
  nohup "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_GC_LOG_OPTS:-} $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS ${KAFKA_OPTS:-} \
    -cp "$CLASSPATH" "$@" > "${CONSOLE_OUTPUT_FILE:-$LOG_DIR/kafka.out}" 2>&1 < /dev/null &
else
  # shellcheck disable=SC2086
  exec "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_GC_LOG_OPTS:-} $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS ${KAFKA_OPTS:-} \
    -cp "$CLASSPATH" "$@"
fi
