#!/bin/sh
# Runs a command that must fail: exit code non-zero and its output (stdout and stderr)
# matching an extended regular expression. Usage: expect_failure.sh REGEX CMD [ARGS...]
regex=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ]; then
  echo "FAIL: exit code 0, expected a failure"
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  echo "FAIL: output does not match: $regex"
  exit 1
fi
echo "ok: exit code $rc, output matches"
