/*
 * layout_313.c - CPython 3.13 template (x86-64, default release build).
 *
 * A template: pydebug_parse() (debugoffsets.c) copies it and overwrites
 * every offset the target's own _Py_DebugOffsets provides.  What stays is
 * the kinds and the fields with no debug offset (the GIL struct's inner
 * layout, the holds_gil bit, the compact-unicode size).  The defaults are
 * what the parser yields for a release build: measured with gdb `ptype /o`
 * on the pyenv 3.13.0 libpython3.13.so.1.0 and the chroot's python3.13d,
 * and equal to the parsed .PyRuntime of the chroot's release 3.13.18.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_313 = {
	.major = 3, .minor = 13, .name = "3.13",

	/* 3.13 Include/internal/pycore_runtime.h: struct pyruntimestate
	 * (_Py_DebugOffsets is its first member) */
	.rt_interp_head = 632,		/* interpreters.head */
	.rt_gil = OFF_NONE,

	/* 3.13 Include/internal/pycore_gil.h: struct _gil_runtime_state
	 * (default build; free-threaded builds put `int enabled` first) */
	.gil_kind = PY_GIL_INTERP,
	.gil_interval = 0,
	.gil_last_holder = 8,
	.gil_locked = 16,
	.gil_switch_number = 24,
	.gil_cond = 32,
	.gil_mutex = 80,
	.gil_switch_cond = 120,
	.gil_end = 208,

	/* 3.13 Include/internal/pycore_interp.h: struct _is;
	 * ceval.gil is a pointer (Include/internal/pycore_ceval_state.h) */
	.is_next = 7264,
	.is_tstate_head = 7344,		/* threads.head */
	.is_id = 7272,
	.is_ceval_gil = 16,		/* ceval.gil */

	/* 3.13 Include/cpython/pystate.h: struct _ts; _status bitfield:
	 * initialized 0, bound 1, unbound 2, bound_gilstate 3, active 4,
	 * holds_gil 5 (gdb ptype /o) */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 72,			/* current_frame */
	.cframe_current = OFF_NONE,
	.ts_thread_id = 152,
	.ts_native_thread_id = 160,
	.ts_status = 32,
	.ts_holds_gil_bit = 5,
	.ts_holds_gil = OFF_NONE,
	.ts_gil_requested = OFF_NONE,
	.ts_base_frame = OFF_NONE,
	.ts_size = 168,
	.tflag_kind = PY_TFLAG_STATUS_BIT,

	/* 3.13 Include/internal/pycore_frame.h: _PyInterpreterFrame,
	 * enum _frameowner (FRAME_OWNED_BY_CSTACK = 3).  f_executable is a
	 * plain PyObject * (None for shim frames). */
	.frame_kind = PY_FRAME_DIRECT,
	.fr_back = 8,			/* previous */
	.fr_code = 0,			/* f_executable */
	.fr_lasti = 56,			/* instr_ptr */
	.fr_owner = 70,
	.fr_is_entry = OFF_NONE,
	.fr_size = 80,
	.lasti_kind = PY_LASTI_PTR,
	.skip_kind = PY_SKIP_OWNER_EQ,
	.skip_owner = 3,
	.code_ptr_mask = ~0ull,

	/* 3.13 Include/cpython/code.h: PyCodeObject */
	.co_filename = 112,
	.co_name = 120,
	.co_qualname = 128,
	.co_firstlineno = 68,
	.co_linetable = 136,
	.co_code_adaptive = 200,
	.co_size = 208,
	.lines_kind = PY_LINES_LOCATIONS,

	/* 3.13 Include/object.h, Include/cpython/object.h,
	 * Include/cpython/unicodeobject.h, Include/cpython/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 40,
	.unicode_compact_size = 56,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.13 Include/internal/pycore_interp.h:
	 * PyInterpreterState.imports.modules */
	.is_modules = 7656,
	/* 3.13 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.13 PyDictObject {ob_base, ma_used, ma_version_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.13 Include/internal/pycore_dict.h: PyDictKeysObject {dk_refcnt,
	 * uint8 dk_log2_size, dk_log2_index_bytes, dk_kind, dk_version,
	 * dk_usable, dk_nentries, dk_indices[]} */
	.dict_kind = PY_DICT_LOG2,
	.dk_size = 8,			/* dk_log2_size */
	.dk_log2_index_bytes = 9,
	.dk_kind = 10,
	.dk_nentries = 24,
	.dk_indices = 32,
	.dv_values = 8,			/* struct _dictvalues {capacity, size,
					   embedded, valid, values[]} */
	.dv_valid = 3,
	/* 3.13 Include/cpython/longintrepr.h: PyLongObject, long_value.lv_tag */
	.long_kind = PY_LONG_LV_TAG,
	.long_size = 16,
	.long_digits = 24,
	/* 3.13 Include/cpython/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 880,
	/* 3.13 Include/internal/pycore_object.h: Py_TPFLAGS_INLINE_VALUES
	 * puts struct _dictvalues at obj + tp_basicsize;
	 * MANAGED_DICT_OFFSET is -3 words (default builds) */
	.attr_kind = PY_ATTR_INLINE,
	.attr_values = OFF_NONE,
	.attr_dict = -24,
};
