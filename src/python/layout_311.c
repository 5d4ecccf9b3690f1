/*
 * layout_311.c - CPython 3.11 (x86-64, default release build).
 *
 * Measured with gdb `ptype /o` on the pyenv 3.11.7 libpython3.11.so.1.0
 * (debug info); headers as named per group.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_311 = {
	.major = 3, .minor = 11, .name = "3.11",

	/* 3.11 Include/internal/pycore_runtime.h: struct pyruntimestate,
	 * struct _ceval_runtime_state */
	.rt_interp_head = 40,		/* interpreters.head */
	.rt_gil = 360,			/* ceval.gil */

	/* 3.11 Include/internal/pycore_gil.h: struct _gil_runtime_state */
	.gil_kind = PY_GIL_RUNTIME,
	.gil_interval = 0,
	.gil_last_holder = 8,
	.gil_locked = 16,
	.gil_switch_number = 24,
	.gil_cond = 32,
	.gil_mutex = 80,
	.gil_switch_cond = 120,
	.gil_end = 208,

	/* 3.11 Include/internal/pycore_interp.h: struct _is */
	.is_next = 0,
	.is_tstate_head = 16,		/* threads.head */
	.is_id = 48,
	.is_ceval_gil = OFF_NONE,

	/* 3.11 Include/cpython/pystate.h: struct _ts, _PyCFrame */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 56,			/* cframe */
	.cframe_current = 8,		/* _PyCFrame.current_frame */
	.ts_thread_id = 152,
	.ts_native_thread_id = 160,
	.ts_status = OFF_NONE,
	.ts_holds_gil_bit = -1,
	.ts_holds_gil = OFF_NONE,
	.ts_gil_requested = OFF_NONE,
	.ts_base_frame = OFF_NONE,
	.ts_size = 176,
	.tflag_kind = PY_TFLAG_NONE,

	/* 3.11 Include/internal/pycore_frame.h: _PyInterpreterFrame.
	 * The chain crosses C calls; is_entry marks an eval-loop entry. */
	.frame_kind = PY_FRAME_CFRAME,
	.fr_back = 48,			/* previous */
	.fr_code = 32,			/* f_code */
	.fr_lasti = 56,			/* prev_instr */
	.fr_owner = 69,			/* char owner */
	.fr_is_entry = 68,		/* bool is_entry */
	.fr_size = 80,
	.lasti_kind = PY_LASTI_PTR,
	.skip_kind = PY_SKIP_NONE,
	.skip_owner = 0,
	.code_ptr_mask = ~0ull,

	/* 3.11 Include/cpython/code.h: PyCodeObject */
	.co_filename = 112,
	.co_name = 120,
	.co_qualname = 128,
	.co_firstlineno = 72,
	.co_linetable = 136,
	.co_code_adaptive = 184,
	.co_size = 192,
	.lines_kind = PY_LINES_LOCATIONS,

	/* 3.11 Include/object.h, Include/cpython/object.h (PyTypeObject),
	 * Include/cpython/unicodeobject.h, Include/cpython/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 48,
	.unicode_compact_size = 72,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.11 Include/internal/pycore_interp.h:
	 * PyInterpreterState.modules */
	.is_modules = 888,
	/* 3.11 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.11 PyDictObject {ob_base, ma_used, ma_version_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.11 Include/internal/pycore_dict.h: PyDictKeysObject {dk_refcnt,
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
	/* 3.11 Include/cpython/longintrepr.h: PyLongObject, ob_size (signed digit count) */
	.long_kind = PY_LONG_OB_SIZE,
	.long_size = 16,
	.long_digits = 24,
	/* 3.11 Include/cpython/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 872,
	/* 3.11 Include/internal/pycore_object.h: with Py_TPFLAGS_MANAGED_DICT,
	 * _PyObject_ValuesPointer is obj - 4 words and
	 * _PyObject_ManagedDictPointer obj - 3 words */
	.attr_kind = PY_ATTR_VALUES_PTR,
	.attr_values = -32,
	.attr_dict = -24,
};
