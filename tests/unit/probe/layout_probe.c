/*
 * layout_probe.c - compare one layout table (src/python/layout_3NN.c) with
 * offsetof() on the interpreter's own headers.  Built at test time by
 * tests/unit/t0010-layout-probes.sh, once per interpreter with headers:
 *
 *   cc -DLAYOUT=py_layout_311 -DPy_BUILD_CORE -I<python include dir> \
 *      -Iinclude layout_probe.c src/python/layout_311.c
 *
 * Prints "# field: table T, headers H" per mismatch, then one line
 * "checked N mismatched M"; exits 1 on a mismatch.  A field the table marks
 * OFF_NONE is not compared (the walkers do not read it), nor one whose
 * struct this version does not install (3.6's GIL and dict keys live in .c
 * files, PyModuleObject before 3.10).  This is test code: the version
 * tests below are what the product's tables exist to avoid.
 */
#include <stddef.h>
#include <stdio.h>

#include <Python.h>
#include <frameobject.h>
#if PY_MINOR_VERSION == 7
#include <internal/pystate.h>
#elif PY_MINOR_VERSION == 8
#include <internal/pycore_pystate.h>
#elif PY_MINOR_VERSION >= 9
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#endif
#if PY_MINOR_VERSION >= 10
#include <internal/pycore_moduleobject.h>
#endif
#if PY_MINOR_VERSION >= 11
#include <internal/pycore_dict.h>
#include <internal/pycore_frame.h>
#endif

#include "gilspy/pylayout.h"

extern const struct py_layout LAYOUT;

static int checked, mismatched;

static void check(const char *field, long table, long headers)
{
	if (table == OFF_NONE)
		return;
	checked++;
	if (table != headers) {
		mismatched++;
		printf("# %s: table %ld, headers %ld\n", field, table, headers);
	}
}

/* The table's read size must cover the field at off. */
static void covers(const char *what, long size, long off, long len)
{
	if (off == OFF_NONE)
		return;
	checked++;
	if (off + len > size) {
		mismatched++;
		printf("# %s: reads %ld bytes, field ends at %ld\n", what, size,
		       off + len);
	}
}

#define P(field, expr) check(#field, (long)LAYOUT.field, (long)(expr))

int main(void)
{
	const struct py_layout *l = &LAYOUT;

	/* _PyRuntimeState (3.7+) */
#if PY_MINOR_VERSION >= 7
	P(rt_interp_head, offsetof(_PyRuntimeState, interpreters.head));
#endif
#if PY_MINOR_VERSION >= 7 && PY_MINOR_VERSION <= 11
	P(rt_gil, offsetof(_PyRuntimeState, ceval.gil));
#endif
	/* struct _gil_runtime_state (3.7+) */
#if PY_MINOR_VERSION >= 7
	P(gil_interval, offsetof(struct _gil_runtime_state, interval));
	P(gil_last_holder, offsetof(struct _gil_runtime_state, last_holder));
	P(gil_locked, offsetof(struct _gil_runtime_state, locked));
	P(gil_switch_number, offsetof(struct _gil_runtime_state, switch_number));
	P(gil_cond, offsetof(struct _gil_runtime_state, cond));
	P(gil_mutex, offsetof(struct _gil_runtime_state, mutex));
#ifdef FORCE_SWITCHING
	P(gil_switch_cond, offsetof(struct _gil_runtime_state, switch_cond));
#endif
	P(gil_end, sizeof(struct _gil_runtime_state));
#endif
	/* PyInterpreterState */
	P(is_next, offsetof(PyInterpreterState, next));
#if PY_MINOR_VERSION <= 10
	P(is_tstate_head, offsetof(PyInterpreterState, tstate_head));
#else
	P(is_tstate_head, offsetof(PyInterpreterState, threads.head));
#endif
#if PY_MINOR_VERSION >= 7
	P(is_id, offsetof(PyInterpreterState, id));
#endif
#if PY_MINOR_VERSION >= 12
	P(is_ceval_gil, offsetof(PyInterpreterState, ceval.gil));
	P(is_modules, offsetof(PyInterpreterState, imports.modules));
#else
	P(is_modules, offsetof(PyInterpreterState, modules));
#endif
	/* PyThreadState */
	P(ts_next, offsetof(PyThreadState, next));
	P(ts_interp, offsetof(PyThreadState, interp));
#if PY_MINOR_VERSION <= 10
	P(ts_frame, offsetof(PyThreadState, frame));
#elif PY_MINOR_VERSION <= 12
	P(ts_frame, offsetof(PyThreadState, cframe));
	P(cframe_current, offsetof(_PyCFrame, current_frame));
#else
	P(ts_frame, offsetof(PyThreadState, current_frame));
#endif
	P(ts_thread_id, offsetof(PyThreadState, thread_id));
#if PY_MINOR_VERSION >= 11
	P(ts_native_thread_id, offsetof(PyThreadState, native_thread_id));
#endif
#if PY_MINOR_VERSION >= 12
	P(ts_status, offsetof(PyThreadState, _status));
#endif
	covers("ts_size (thread_id)", l->ts_size, l->ts_thread_id, 8);
	covers("ts_size (native_thread_id)", l->ts_size, l->ts_native_thread_id, 8);
	covers("ts_size (frame)", l->ts_size, l->ts_frame, 8);
	covers("ts_size (next)", l->ts_size, l->ts_next, 8);
	covers("ts_size (status)", l->ts_size, l->ts_status, 4);
	/* frames */
#if PY_MINOR_VERSION <= 10
	P(fr_back, offsetof(PyFrameObject, f_back));
	P(fr_code, offsetof(PyFrameObject, f_code));
	P(fr_lasti, offsetof(PyFrameObject, f_lasti));
#else
	P(fr_back, offsetof(_PyInterpreterFrame, previous));
#if PY_MINOR_VERSION <= 12
	P(fr_code, offsetof(_PyInterpreterFrame, f_code));
	P(fr_lasti, offsetof(_PyInterpreterFrame, prev_instr));
#else
	P(fr_code, offsetof(_PyInterpreterFrame, f_executable));
	P(fr_lasti, offsetof(_PyInterpreterFrame, instr_ptr));
#endif
	P(fr_owner, offsetof(_PyInterpreterFrame, owner));
#if PY_MINOR_VERSION == 11
	P(fr_is_entry, offsetof(_PyInterpreterFrame, is_entry));
#endif
#endif
	covers("fr_size (back)", l->fr_size, l->fr_back, 8);
	covers("fr_size (code)", l->fr_size, l->fr_code, 8);
	covers("fr_size (lasti)", l->fr_size, l->fr_lasti, 4);
	covers("fr_size (owner)", l->fr_size, l->fr_owner, 1);
	/* PyCodeObject */
	P(co_filename, offsetof(PyCodeObject, co_filename));
	P(co_name, offsetof(PyCodeObject, co_name));
#if PY_MINOR_VERSION >= 11
	P(co_qualname, offsetof(PyCodeObject, co_qualname));
	P(co_code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
#endif
	P(co_firstlineno, offsetof(PyCodeObject, co_firstlineno));
#if PY_MINOR_VERSION <= 9
	P(co_linetable, offsetof(PyCodeObject, co_lnotab));
#else
	P(co_linetable, offsetof(PyCodeObject, co_linetable));
#endif
	covers("co_size (filename)", l->co_size, l->co_filename, 8);
	covers("co_size (name)", l->co_size, l->co_name, 8);
	covers("co_size (qualname)", l->co_size, l->co_qualname, 8);
	covers("co_size (linetable)", l->co_size, l->co_linetable, 8);
	covers("co_size (firstlineno)", l->co_size, l->co_firstlineno, 4);
	/* objects, str, bytes */
	P(ob_type, offsetof(PyObject, ob_type));
	P(tp_name, offsetof(PyTypeObject, tp_name));
	P(unicode_state, offsetof(PyASCIIObject, state));
	P(unicode_length, offsetof(PyASCIIObject, length));
	P(unicode_ascii_size, sizeof(PyASCIIObject));
	P(unicode_compact_size, sizeof(PyCompactUnicodeObject));
	P(bytes_size, offsetof(PyBytesObject, ob_base.ob_size));
	P(bytes_sval, offsetof(PyBytesObject, ob_sval));
	/* thread names: modules, dicts, ints, types */
#if PY_MINOR_VERSION >= 10
	P(mod_dict, offsetof(PyModuleObject, md_dict));
#endif
	P(dict_keys, offsetof(PyDictObject, ma_keys));
	P(dict_values, offsetof(PyDictObject, ma_values));
#if PY_MINOR_VERSION >= 11
	P(dk_size, offsetof(PyDictKeysObject, dk_log2_size));
	P(dk_log2_index_bytes, offsetof(PyDictKeysObject, dk_log2_index_bytes));
	P(dk_kind, offsetof(PyDictKeysObject, dk_kind));
	P(dk_nentries, offsetof(PyDictKeysObject, dk_nentries));
	P(dk_indices, offsetof(PyDictKeysObject, dk_indices));
	P(dv_values, offsetof(PyDictValues, values));
#endif
#if PY_MINOR_VERSION <= 11
	P(long_size, offsetof(PyLongObject, ob_base.ob_size));
	P(long_digits, offsetof(PyLongObject, ob_digit));
#else
	P(long_size, offsetof(PyLongObject, long_value.lv_tag));
	P(long_digits, offsetof(PyLongObject, long_value.ob_digit));
#endif
	P(tp_flags, offsetof(PyTypeObject, tp_flags));
	P(tp_basicsize, offsetof(PyTypeObject, tp_basicsize));
	P(tp_dictoffset, offsetof(PyTypeObject, tp_dictoffset));
	P(ht_cached_keys, offsetof(PyHeapTypeObject, ht_cached_keys));
	printf("checked %d mismatched %d\n", checked, mismatched);
	return mismatched != 0;
}
