#!/bin/sh
# Container entry point, like the official redis image's: with only options, listen on
# every interface and keep data in /data; with a config file first, that file decides.
set -e
case "$1" in
  "" | -*)
    exec redeno --bind 0.0.0.0 -:: --dir /data --protected-mode no "$@"
    ;;
  *)
    exec redeno "$@"
    ;;
esac
