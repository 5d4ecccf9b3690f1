#!/bin/bash
# t0240-output-special-files.sh - outputs are written atomically (temporary
# file + rename) only when the path is a regular file: writing to a FIFO or
# a device must write into it, not replace it with a file.
. "$TOP/tests/lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; py_stop' EXIT
py=$(py_interpreters | grep -v chroot | head -1)
if [ -z "$py" ]; then
	skip "no host interpreter"
	done_testing
	exit
fi
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/read" &
reader=$!
# shellcheck disable=SC2046
"$GILSPY" record -d 0.5 -r 100 --idle -f collapsed -o "$tmp/fifo" -- \
	$(py_cmd "$py") -c 'import time; time.sleep(1)' 2>"$tmp/err"
st=$?
wait $reader
[ $st = 0 ] && [ -p "$tmp/fifo" ] && grep -q '\[idle\] [0-9]*$' "$tmp/read"
ok $? "record -o FIFO writes into the FIFO and leaves it a FIFO ($py)" ||
	sed 's/^/#   /' "$tmp/err"
! ls "$tmp"/fifo.tmp.* >/dev/null 2>&1
ok $? "no temporary file left beside it"
done_testing
