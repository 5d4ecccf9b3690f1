#!/bin/bash
# gen-data.sh DIR - write test data made by the real interpreters found.
# (Filled in by the line-table tests.)
mkdir -p "$1"
