# exit1s.py [CODE] - spin for about a second, then exit with CODE (3):
# for record's launch mode and its exit-status pass-through.
import sys
import time

code = int(sys.argv[1]) if len(sys.argv) > 1 else 3
end = time.time() + 1.0
x = 0
while time.time() < end:
    x += 1
sys.exit(code)
