/*
 * layout_312.c - CPython 3.12 (x86-64, default release build).
 *
 * Measured with gdb `ptype /o` on the pyenv 3.12.1 libpython3.12.so.1.0
 * (debug info); headers as named per group.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_312 = {
	.major = 3, .minor = 12, .name = "3.12",

	/* 3.12 Include/internal/pycore_runtime.h: struct pyruntimestate.
	 * The GIL left the runtime: it is per interpreter (is_ceval_gil). */
	.rt_interp_head = 40,		/* interpreters.head */
	.rt_gil = OFF_NONE,

	/* 3.12 Include/internal/pycore_gil.h: struct _gil_runtime_state */
	.gil_kind = PY_GIL_INTERP,
	.gil_interval = 0,
	.gil_last_holder = 8,
	.gil_locked = 16,
	.gil_switch_number = 24,
	.gil_cond = 32,
	.gil_mutex = 80,
	.gil_switch_cond = 120,
	.gil_end = 208,

	/* 3.12 Include/internal/pycore_interp.h: struct _is;
	 * ceval is struct _ceval_state (Include/internal/pycore_ceval_state.h),
	 * whose gil is a pointer (to interp->_gil at +1040 for the main
	 * interpreter and OWN_GIL subinterpreters) */
	.is_next = 0,
	.is_tstate_head = 72,		/* threads.head */
	.is_id = 8,
	.is_ceval_gil = 384,		/* ceval.gil */

	/* 3.12 Include/cpython/pystate.h: struct _ts, _PyCFrame.
	 * _status (bitfield) has `active` at bit 4 but no holds_gil bit. */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 56,			/* cframe */
	.cframe_current = 0,		/* _PyCFrame.current_frame */
	.ts_thread_id = 136,
	.ts_native_thread_id = 144,
	.ts_status = 24,
	.ts_holds_gil_bit = -1,
	.ts_holds_gil = OFF_NONE,
	.ts_gil_requested = OFF_NONE,
	.ts_base_frame = OFF_NONE,
	.ts_size = 160,
	.tflag_kind = PY_TFLAG_NONE,

	/* 3.12 Include/internal/pycore_frame.h: _PyInterpreterFrame and
	 * enum _frameowner (FRAME_OWNED_BY_CSTACK = 3: entry shim frames) */
	.frame_kind = PY_FRAME_CFRAME,
	.fr_back = 8,			/* previous */
	.fr_code = 0,			/* f_code */
	.fr_lasti = 56,			/* prev_instr */
	.fr_owner = 70,			/* char owner */
	.fr_is_entry = OFF_NONE,
	.fr_size = 80,
	.lasti_kind = PY_LASTI_PTR,
	.skip_kind = PY_SKIP_OWNER_EQ,
	.skip_owner = 3,
	.code_ptr_mask = ~0ull,

	/* 3.12 Include/cpython/code.h: PyCodeObject */
	.co_filename = 112,
	.co_name = 120,
	.co_qualname = 128,
	.co_firstlineno = 68,
	.co_linetable = 136,
	.co_code_adaptive = 192,
	.co_size = 200,
	.lines_kind = PY_LINES_LOCATIONS,

	/* 3.12 Include/object.h, Include/cpython/object.h (PyTypeObject),
	 * Include/cpython/unicodeobject.h (wstr gone: smaller),
	 * Include/cpython/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 40,
	.unicode_compact_size = 56,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.12 Include/internal/pycore_interp.h:
	 * PyInterpreterState.imports.modules */
	.is_modules = 944,
	/* 3.12 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.12 PyDictObject {ob_base, ma_used, ma_version_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.12 Include/internal/pycore_dict.h: PyDictKeysObject {dk_refcnt,
	 * uint8 dk_log2_size, dk_log2_index_bytes, dk_kind, dk_version,
	 * dk_usable, dk_nentries, dk_indices[]} */
	.dict_kind = PY_DICT_LOG2,
	.dk_size = 8,			/* dk_log2_size */
	.dk_log2_index_bytes = 9,
	.dk_kind = 10,
	.dk_nentries = 24,
	.dk_indices = 32,
	.dv_values = 0,			/* struct _dictvalues {values[]} */
	.dv_valid = OFF_NONE,
	/* 3.12 Include/cpython/longintrepr.h: PyLongObject, long_value.lv_tag */
	.long_kind = PY_LONG_LV_TAG,
	.long_size = 16,
	.long_digits = 24,
	/* 3.12 Include/cpython/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 880,
	/* 3.12 Include/internal/pycore_object.h: with Py_TPFLAGS_MANAGED_DICT,
	 * _PyObject_DictOrValuesPointer is obj - 3 words, holding the
	 * values pointer minus 1 (odd) or the dict */
	.attr_kind = PY_ATTR_TAGGED,
	.attr_values = OFF_NONE,
	.attr_dict = -24,
};
