/*
 * layout_310.c - CPython 3.10 (x86-64, default release build).
 *
 * Measured with gdb `ptype /o` on the pyenv 3.10.13 libpython3.10.so.1.0
 * (debug info); headers as named per group.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_310 = {
	.major = 3, .minor = 10, .name = "3.10",

	/* 3.10 Include/internal/pycore_runtime.h: struct pyruntimestate,
	 * struct _ceval_runtime_state */
	.rt_interp_head = 32,		/* interpreters.head */
	.rt_gil = 352,			/* ceval.gil */

	/* 3.10 Include/internal/pycore_gil.h: struct _gil_runtime_state */
	.gil_kind = PY_GIL_RUNTIME,
	.gil_interval = 0,
	.gil_last_holder = 8,
	.gil_locked = 16,
	.gil_switch_number = 24,
	.gil_cond = 32,
	.gil_mutex = 80,
	.gil_switch_cond = 120,
	.gil_end = 208,

	/* 3.10 Include/internal/pycore_interp.h: struct _is */
	.is_next = 0,
	.is_tstate_head = 8,
	.is_id = 24,
	.is_ceval_gil = OFF_NONE,

	/* 3.10 Include/cpython/pystate.h: struct _ts */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 24,			/* frame */
	.cframe_current = OFF_NONE,
	.ts_thread_id = 176,
	.ts_native_thread_id = OFF_NONE,
	.ts_status = OFF_NONE,
	.ts_holds_gil_bit = -1,
	.ts_holds_gil = OFF_NONE,
	.ts_gil_requested = OFF_NONE,
	.ts_base_frame = OFF_NONE,
	.ts_size = 192,
	.tflag_kind = PY_TFLAG_NONE,

	/* 3.10 Include/cpython/frameobject.h: struct _frame */
	.frame_kind = PY_FRAME_OBJECT,
	.fr_back = 24,
	.fr_code = 32,
	.fr_lasti = 96,			/* int f_lasti, code units */
	.fr_owner = OFF_NONE,
	.fr_is_entry = OFF_NONE,
	.fr_size = 112,
	.lasti_kind = PY_LASTI_UNITS,
	.skip_kind = PY_SKIP_NONE,
	.skip_owner = 0,
	.code_ptr_mask = ~0ull,

	/* 3.10 Include/cpython/code.h: PyCodeObject */
	.co_filename = 104,
	.co_name = 112,
	.co_qualname = OFF_NONE,
	.co_firstlineno = 40,
	.co_linetable = 120,		/* co_linetable (PEP 626) */
	.co_code_adaptive = OFF_NONE,
	.co_size = 128,
	.lines_kind = PY_LINES_LINETABLE,

	/* 3.10 Include/object.h, Include/cpython/object.h (PyTypeObject),
	 * Include/cpython/unicodeobject.h, Include/cpython/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 48,
	.unicode_compact_size = 72,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.10 Include/internal/pycore_interp.h:
	 * PyInterpreterState.modules */
	.is_modules = 856,
	/* 3.10 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.10 PyDictObject {ob_base, ma_used, ma_version_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.10 Objects/dict-common.h: PyDictKeysObject {dk_refcnt, dk_size,
	 * dk_lookup, dk_usable, dk_nentries, dk_indices[]}, then 24-byte
	 * PyDictKeyEntry {hash, key, value}; split tables keep a plain
	 * PyObject **ma_values */
	.dict_kind = PY_DICT_SIZE,
	.dk_size = 8,
	.dk_log2_index_bytes = OFF_NONE,
	.dk_kind = OFF_NONE,
	.dk_nentries = 32,
	.dk_indices = 40,
	.dv_values = 0,
	.dv_valid = OFF_NONE,
	/* 3.10 Include/cpython/longintrepr.h: PyLongObject, ob_size (signed digit count) */
	.long_kind = PY_LONG_OB_SIZE,
	.long_size = 16,
	.long_digits = 24,
	/* 3.10 Include/cpython/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 872,
	/* 3.10 instances keep a __dict__ at tp_dictoffset */
	.attr_kind = PY_ATTR_DICTOFFSET,
	.attr_values = OFF_NONE,
	.attr_dict = OFF_NONE,
};
