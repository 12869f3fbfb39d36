#!/usr/bin/env bash
SIGNAL="${SIGNAL:-TERM}"
PIDS="$(ps ax | grep ' kafka\.Kafka ' | grep java | grep -v grep | awk '{print $1}')"
if [ -z "$PIDS" ]; then
  echo "No kafka server to stop"
  exit 1
fi
kill -s "$SIGNAL" $PIDS
