#!/usr/bin/env bash
# Runs every multi-process e2e script against the installed package; prints one summary line at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export LZS_BIN_DIR=${LZS_BIN_DIR:-$here/../../target/release}
passed=0 skipped=0 failed=0 failures=()
for script in "$here"/*.R; do
  case "$(basename "$script")" in helpers.R|hosts.R) continue ;; esac
  timeout 600 Rscript "$script"
  case $? in
    0) passed=$((passed + 1)) ;;
    77) skipped=$((skipped + 1)) ;; # the script could not run here (helpers.R: skip_script)
    *) failed=$((failed + 1)); failures+=("$(basename "$script")") ;;
  esac
done
leftover=$(ls /dev/shm | grep -c '^lzs\.' || true)
echo "e2e: $passed scripts passed, $skipped skipped, $failed failed${failures[*]:+ (${failures[*]})}; lzs segments left in /dev/shm: $leftover"
[ "$failed" -eq 0 ] && [ "$leftover" -eq 0 ]
