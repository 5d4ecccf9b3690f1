/*
 * layout_314.c - CPython 3.14 template (x86-64, default release build).
 *
 * A template for pydebug_parse() (debugoffsets.c), see layout_313.c.
 * Defaults measured with gdb `ptype /o` on the chroot's python3.14d and
 * equal to the parsed .PyRuntime of the chroot's release 3.14.10.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_314 = {
	.major = 3, .minor = 14, .name = "3.14",

	/* 3.14 Include/internal/pycore_runtime_structs.h: struct
	 * pyruntimestate; _Py_DebugOffsets in pycore_debug_offsets.h */
	.rt_interp_head = 808,		/* interpreters.head */
	.rt_gil = OFF_NONE,

	/* 3.14 Include/internal/pycore_gil.h: struct _gil_runtime_state */
	.gil_kind = PY_GIL_INTERP,
	.gil_interval = 0,
	.gil_last_holder = 8,
	.gil_locked = 16,
	.gil_switch_number = 24,
	.gil_cond = 32,
	.gil_mutex = 80,
	.gil_switch_cond = 120,
	.gil_end = 208,

	/* 3.14 Include/internal/pycore_interp_structs.h: struct _is */
	.is_next = 7272,
	.is_tstate_head = 7344,		/* threads.head */
	.is_id = 7280,
	.is_ceval_gil = 16,		/* ceval.gil */

	/* 3.14 Include/cpython/pystate.h: struct _ts.  holds_gil left the
	 * _status bitfield for `int holds_gil` right after it (+36); it has
	 * no debug offset, so the parser derives it as status + 4. */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 72,			/* current_frame */
	.cframe_current = OFF_NONE,
	.ts_thread_id = 152,
	.ts_native_thread_id = 160,
	.ts_status = 32,
	.ts_holds_gil_bit = -1,
	.ts_holds_gil = 36,
	.ts_gil_requested = OFF_NONE,
	.ts_base_frame = OFF_NONE,
	.ts_size = 168,
	.tflag_kind = PY_TFLAG_INT,

	/* 3.14 Include/internal/pycore_interpframe_structs.h:
	 * _PyInterpreterFrame, enum _frameowner (THREAD 0, GENERATOR 1,
	 * FRAME_OBJECT 2, INTERPRETER 3, CSTACK 4: skip >= 3).
	 * f_executable is a _PyStackRef: tag bits in the low 2 bits. */
	.frame_kind = PY_FRAME_DIRECT,
	.fr_back = 8,			/* previous */
	.fr_code = 0,			/* f_executable */
	.fr_lasti = 56,			/* instr_ptr */
	.fr_owner = 74,
	.fr_is_entry = OFF_NONE,
	.fr_size = 88,
	.lasti_kind = PY_LASTI_PTR,
	.skip_kind = PY_SKIP_OWNER_GE,
	.skip_owner = 3,
	.code_ptr_mask = ~3ull,

	/* 3.14 Include/cpython/code.h: PyCodeObject */
	.co_filename = 112,
	.co_name = 120,
	.co_qualname = 128,
	.co_firstlineno = 68,
	.co_linetable = 136,
	.co_code_adaptive = 208,
	.co_size = 216,
	.lines_kind = PY_LINES_LOCATIONS,

	/* 3.14 Include/object.h, Include/cpython/object.h,
	 * Include/cpython/unicodeobject.h, Include/cpython/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 40,
	.unicode_compact_size = 56,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.14 Include/internal/pycore_interp.h:
	 * PyInterpreterState.imports.modules */
	.is_modules = 7688,
	/* 3.14 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.14 PyDictObject {ob_base, ma_used, _ma_watcher_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.14 Include/internal/pycore_dict.h: PyDictKeysObject {dk_refcnt,
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
	/* 3.14 Include/cpython/longintrepr.h: PyLongObject, long_value.lv_tag */
	.long_kind = PY_LONG_LV_TAG,
	.long_size = 16,
	.long_digits = 24,
	/* 3.14 Include/cpython/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 880,
	/* 3.14 Include/internal/pycore_object.h: Py_TPFLAGS_INLINE_VALUES
	 * puts struct _dictvalues at obj + tp_basicsize;
	 * MANAGED_DICT_OFFSET is -3 words (default builds) */
	.attr_kind = PY_ATTR_INLINE,
	.attr_values = OFF_NONE,
	.attr_dict = -24,
};
