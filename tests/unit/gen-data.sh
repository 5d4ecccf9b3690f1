#!/bin/bash
# gen-data.sh DIR - write test data made by the real interpreters found.
# Each kind of data has its own clearly marked block with its own function.
mkdir -p "$1"

# --- line tables: lines-<version>.txt for tests/unit/test_linetable.c -------
# One file per interpreter found, written by tests/unit/gen_linetable.py and
# named after the version it reports (3.12.1, 3.14.10d for a debug build).
# The script is fed on stdin so the same file works inside the pychroot.
linetable_pythons() {
	local p root=${PYENV_ROOT:-$HOME/.pyenv} chr=${PYCHROOT:-/opt/pychroot}

	for p in "$root"/versions/3.*/bin/python3.*; do
		[[ ${p##*/} =~ ^python3\.[0-9]+$ ]] && [ -x "$p" ] && echo "$p"
	done
	[ -x /usr/bin/python3.11 ] && echo /usr/bin/python3.11
	for p in python3.13 python3.13d python3.14 python3.14d python3.15 \
		 python3.15d; do
		[ -x "$chr/usr/bin/$p" ] && echo "chroot $chr /usr/bin/$p"
	done
}

gen_linetables() {
	local dir=$1 py tmp name n=0
	local script=$(dirname "${BASH_SOURCE[0]}")/gen_linetable.py

	tmp=$dir/.lines.tmp
	while read -r py; do
		# $py is a command line (the chroot ones have spaces)
		if ! $py - <"$script" >"$tmp"; then
			echo "gen-data: line tables: '$py' failed, skipped" >&2
			continue
		fi
		name=$(sed -n '1s/^python \([^ ]*\) .*/\1/p' "$tmp")
		if [ -z "$name" ]; then
			echo "gen-data: line tables: '$py' wrote no header, skipped" >&2
			continue
		fi
		mv "$tmp" "$dir/lines-$name.txt"
		n=$((n + 1))
	done < <(linetable_pythons)
	rm -f "$tmp"
	echo "gen-data: line tables from $n interpreters" >&2
}

gen_linetables "$1"
# --- end of line tables ------------------------------------------------------

# --- debug offsets: pyruntime-<label>.{bin,expect}, layout-3.N.expect ------
# (for tests/unit/test_debugoffsets.c)
# For every CPython 3.13+ found, the initialised .PyRuntime section (which
# starts with _Py_DebugOffsets) and, in <label>.expect, what the parser must
# get from it, obtained without the parser: the interpreter's own
# sys.hexversion, and struct offsets printed by gdb from debug info.  A
# stripped release build takes them from its sibling debug build (python3.Nd)
# when both report the same version; the .expect file says which.
dbo_gdb_script() {
	cat <<'PY'
import gdb
Q = [
 ("rt_interp_head", "&((struct pyruntimestate*)0)->interpreters.head"),
 ("rt_gil", "&((struct pyruntimestate*)0)->ceval.gil"),
 ("is_next", "&((struct _is*)0)->next"),
 ("is_tstate_head", "&((struct _is*)0)->threads.head"),
 ("is_tstate_head", "&((struct _is*)0)->tstate_head"),
 ("is_id", "&((struct _is*)0)->id"),
 ("is_ceval_gil", "&((struct _is*)0)->ceval.gil"),
 ("gil_interval", "&((struct _gil_runtime_state*)0)->interval"),
 ("gil_last_holder", "&((struct _gil_runtime_state*)0)->last_holder"),
 ("gil_locked", "&((struct _gil_runtime_state*)0)->locked"),
 ("gil_switch_number", "&((struct _gil_runtime_state*)0)->switch_number"),
 ("gil_cond", "&((struct _gil_runtime_state*)0)->cond"),
 ("gil_mutex", "&((struct _gil_runtime_state*)0)->mutex"),
 ("gil_switch_cond", "&((struct _gil_runtime_state*)0)->switch_cond"),
 ("gil_end", "sizeof(struct _gil_runtime_state)"),
 ("ts_next", "&((struct _ts*)0)->next"),
 ("ts_interp", "&((struct _ts*)0)->interp"),
 ("ts_frame", "&((struct _ts*)0)->current_frame"),
 # 3.10 has both frame (the one to walk) and cframe; 3.11/3.12 only cframe
 ("ts_frame", "&((struct _ts*)0)->frame"),
 ("ts_frame", "&((struct _ts*)0)->cframe"),
 ("cframe_current", "&((_PyCFrame*)0)->current_frame"),
 ("ts_thread_id", "&((struct _ts*)0)->thread_id"),
 ("ts_native_thread_id", "&((struct _ts*)0)->native_thread_id"),
 ("ts_status", "&((struct _ts*)0)->_status"),
 ("ts_holds_gil", "&((struct _ts*)0)->holds_gil"),
 ("ts_gil_requested", "&((struct _ts*)0)->gil_requested"),
 ("ts_base_frame", "&((struct _ts*)0)->base_frame"),
 # _PyInterpreterFrame first: 3.11/3.12 also have a struct _frame
 ("fr_back", "&((struct _PyInterpreterFrame*)0)->previous"),
 ("fr_back", "&((struct _frame*)0)->f_back"),
 ("fr_code", "&((struct _PyInterpreterFrame*)0)->f_executable"),
 ("fr_code", "&((struct _PyInterpreterFrame*)0)->f_code"),
 ("fr_code", "&((struct _frame*)0)->f_code"),
 ("fr_lasti", "&((struct _PyInterpreterFrame*)0)->instr_ptr"),
 ("fr_lasti", "&((struct _PyInterpreterFrame*)0)->prev_instr"),
 ("fr_lasti", "&((struct _frame*)0)->f_lasti"),
 ("fr_owner", "&((struct _PyInterpreterFrame*)0)->owner"),
 ("fr_is_entry", "&((struct _PyInterpreterFrame*)0)->is_entry"),
 ("co_filename", "&((PyCodeObject*)0)->co_filename"),
 ("co_name", "&((PyCodeObject*)0)->co_name"),
 ("co_qualname", "&((PyCodeObject*)0)->co_qualname"),
 ("co_firstlineno", "&((PyCodeObject*)0)->co_firstlineno"),
 ("co_linetable", "&((PyCodeObject*)0)->co_linetable"),
 ("co_linetable", "&((PyCodeObject*)0)->co_lnotab"),
 ("co_code_adaptive", "&((PyCodeObject*)0)->co_code_adaptive"),
 ("ob_type", "&((PyObject*)0)->ob_type"),
 ("tp_name", "&((PyTypeObject*)0)->tp_name"),
 ("unicode_state", "&((PyASCIIObject*)0)->state"),
 ("unicode_length", "&((PyASCIIObject*)0)->length"),
 ("unicode_ascii_size", "sizeof(PyASCIIObject)"),
 ("unicode_compact_size", "sizeof(PyCompactUnicodeObject)"),
 ("bytes_size", "&((PyBytesObject*)0)->ob_base.ob_size"),
 ("bytes_sval", "&((PyBytesObject*)0)->ob_sval"),
 # the first owner that is not Python code: INTERPRETER (3.14+), else CSTACK
 ("skip_owner", "(int)FRAME_OWNED_BY_INTERPRETER"),
 ("skip_owner", "(int)FRAME_OWNED_BY_CSTACK"),
]
seen = set()
for k, e in Q:
    if k in seen:
        continue
    try:
        v = int(gdb.parse_and_eval("(long)(" + e + ")"))
    except gdb.error:
        continue
    seen.add(k)
    print("%s %d" % (k, v))
PY
}

# Lines "label|run command|ELF with .PyRuntime|ELF with debug info or -".
dbo_targets() {
	local v m p lib root=${PYENV_ROOT:-$HOME/.pyenv} chr=${PYCHROOT:-/opt/pychroot}

	for v in "$root"/versions/3.*; do
		m=${v##*/3.}; m=${m%%.*}
		[[ $m =~ ^[0-9]+$ ]] && [ "$m" -ge 13 ] || continue
		for p in "$v"/bin/python3.$m "$v"/bin/python3.${m}t; do
			[ -x "$p" ] || continue
			lib=$(ls "$v"/lib/libpython3.$m${p##*python3.$m}.so.1.0 2>/dev/null)
			[ -n "$lib" ] || lib=$p
			echo "pyenv-${v##*/}${p##*python3.$m}|$p|$lib|$lib"
		done
	done
	for p in python3.13 python3.13d python3.14 python3.14d python3.15 \
		 python3.15d; do
		[ -x "$chr/usr/bin/$p" ] || continue
		echo "chroot-$p|chroot $chr /usr/bin/$p|$chr/usr/bin/$p|$chr/usr/bin/${p%d}d"
	done
}

gen_debugoffsets() {
	local dir=$1 label run elf dbg hex dhex n=0 gdbpy=$1/.dbo-gdb.py
	local have_gdb=0

	if ! command -v objcopy >/dev/null; then
		echo "gen-data: debug offsets: no objcopy, skipped" >&2
		return
	fi
	command -v gdb >/dev/null && have_gdb=1
	dbo_gdb_script >"$gdbpy"
	while IFS='|' read -r label run elf dbg; do
		if ! objcopy -O binary --only-section=.PyRuntime "$elf" \
			"$dir/pyruntime-$label.bin" 2>/dev/null ||
		   [ "$(stat -c %s "$dir/pyruntime-$label.bin")" -lt 24 ]; then
			echo "gen-data: debug offsets: no .PyRuntime in '$elf', skipped" >&2
			rm -f "$dir/pyruntime-$label.bin"
			continue
		fi
		hex=$($run -c 'import sys; print(hex(sys.hexversion), int(sys._is_gil_enabled() is False if hasattr(sys, "_is_gil_enabled") else 0))' 2>/dev/null </dev/null)
		{
			echo "# from '$elf'; offsets by gdb from '$dbg'"
			[ -n "$hex" ] && echo "hexversion ${hex% *}"
			[ -n "$hex" ] && echo "free_threaded ${hex#* }"
		} >"$dir/pyruntime-$label.expect"
		if [ "$dbg" != "$elf" ] && [ -n "$hex" ]; then
			# a release build: trust its debug sibling only for the
			# very same version
			dhex=$(${run%d}d -c 'import sys; print(hex(sys.hexversion))' 2>/dev/null </dev/null)
			[ "$dhex" = "${hex% *}" ] || dbg=-
		fi
		if [ $have_gdb = 1 ] && [ "$dbg" != - ] && [ -e "$dbg" ]; then
			gdb -nx -batch -x "$gdbpy" "$dbg" 2>/dev/null \
				>>"$dir/pyruntime-$label.expect"
		fi
		n=$((n + 1))
	done < <(dbo_targets)
	echo "gen-data: debug offsets from $n interpreters" >&2

	# The static tables of 3.6-3.12 (src/python/layout_3NN.c) are checked
	# against the same gdb measurements of each pyenv libpython.
	n=0
	[ $have_gdb = 1 ] && for elf in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/lib/libpython3.*.so.1.0; do
		[[ $elf =~ libpython3\.([0-9]+)m?\.so ]] || continue
		[ "${BASH_REMATCH[1]}" -ge 6 ] && [ "${BASH_REMATCH[1]}" -le 12 ] || continue
		label=3.${BASH_REMATCH[1]}
		{
			echo "# offsets by gdb from '$elf'"
			gdb -nx -batch -x "$gdbpy" "$elf" 2>/dev/null
		} >"$dir/layout-$label.expect"
		n=$((n + 1))
	done
	rm -f "$gdbpy"
	echo "gen-data: static layouts measured for $n interpreters" >&2
}

gen_debugoffsets "$1"
# --- end of debug offsets ----------------------------------------------------
