/*
 * layout_36.c - CPython 3.6 (x86-64, default release build).
 *
 * Measured with gdb `ptype /o` on the pyenv 3.6.15 libpython3.6m.so.1.0
 * (debug info); headers as named per group.
 *
 * 3.6 has no _PyRuntime.  The GIL is a set of static globals in
 * Python/ceval_gil.h, found by name in the library's (or executable's)
 * .symtab, where they are LOCAL symbols (not in .dynsym):
 *   gil_locked        _Py_atomic_int, -1 before the GIL exists (in .data)
 *   gil_last_holder   _Py_atomic_address (a PyThreadState *)
 *   gil_switch_number unsigned long
 *   gil_interval      unsigned long, in microseconds (in .data)
 *   gil_cond          pthread_cond_t
 *   gil_mutex         pthread_mutex_t
 * The interpreter list is the static `interp_head` (Python/pystate.c,
 * also LOCAL).  `_PyThreadState_Current` (.dynsym) is the tstate holding
 * the GIL.  So every gil_* and rt_* offset below is OFF_NONE.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_36 = {
	.major = 3, .minor = 6, .name = "3.6",

	.rt_interp_head = OFF_NONE,
	.rt_gil = OFF_NONE,

	.gil_kind = PY_GIL_STATIC,
	.gil_interval = OFF_NONE,
	.gil_last_holder = OFF_NONE,
	.gil_locked = OFF_NONE,
	.gil_switch_number = OFF_NONE,
	.gil_cond = OFF_NONE,
	.gil_mutex = OFF_NONE,
	.gil_switch_cond = OFF_NONE,
	.gil_end = OFF_NONE,

	/* 3.6 Include/pystate.h: struct _is (no id field before 3.7) */
	.is_next = 0,
	.is_tstate_head = 8,
	.is_id = OFF_NONE,
	.is_ceval_gil = OFF_NONE,

	/* 3.6 Include/pystate.h: struct _ts */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 24,			/* frame */
	.cframe_current = OFF_NONE,
	.ts_thread_id = 152,		/* long thread_id */
	.ts_native_thread_id = OFF_NONE,
	.ts_status = OFF_NONE,
	.ts_holds_gil_bit = -1,
	.ts_holds_gil = OFF_NONE,
	.ts_gil_requested = OFF_NONE,
	.ts_base_frame = OFF_NONE,
	.ts_size = 160,
	.tflag_kind = PY_TFLAG_NONE,

	/* 3.6 Include/frameobject.h: struct _frame */
	.frame_kind = PY_FRAME_OBJECT,
	.fr_back = 24,
	.fr_code = 32,
	.fr_lasti = 120,		/* int f_lasti, bytes */
	.fr_owner = OFF_NONE,
	.fr_is_entry = OFF_NONE,
	.fr_size = 128,
	.lasti_kind = PY_LASTI_BYTES,
	.skip_kind = PY_SKIP_NONE,
	.skip_owner = 0,
	.code_ptr_mask = ~0ull,

	/* 3.6 Include/code.h: PyCodeObject */
	.co_filename = 96,
	.co_name = 104,
	.co_qualname = OFF_NONE,
	.co_firstlineno = 36,
	.co_linetable = 112,		/* co_lnotab */
	.co_code_adaptive = OFF_NONE,
	.co_size = 128,
	.lines_kind = PY_LINES_LNOTAB,

	/* 3.6 Include/object.h, Include/unicodeobject.h, Include/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 48,
	.unicode_compact_size = 72,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.6 Include/pystate.h:
	 * PyInterpreterState.modules */
	.is_modules = 16,
	/* 3.6 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.6 PyDictObject {ob_base, ma_used, ma_version_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.6 Objects/dict-common.h: PyDictKeysObject {dk_refcnt, dk_size,
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
	/* 3.6 Include/longintrepr.h: PyLongObject, ob_size (signed digit count) */
	.long_kind = PY_LONG_OB_SIZE,
	.long_size = 16,
	.long_digits = 24,
	/* 3.6 Include/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 856,
	/* 3.6 instances keep a __dict__ at tp_dictoffset */
	.attr_kind = PY_ATTR_DICTOFFSET,
	.attr_values = OFF_NONE,
	.attr_dict = OFF_NONE,
};
