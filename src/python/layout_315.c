/*
 * layout_315.c - CPython 3.15 template (x86-64, default release build).
 *
 * A template for pydebug_parse() (debugoffsets.c), see layout_313.c.
 * Defaults measured with gdb `ptype /o` on the chroot's python3.15d and
 * equal to the parsed .PyRuntime of the chroot's release 3.15.2.
 */
#include "gilspy/pylayout.h"

const struct py_layout py_layout_315 = {
	.major = 3, .minor = 15, .name = "3.15",

	/* 3.15 Include/internal/pycore_runtime_structs.h: struct
	 * pyruntimestate; _Py_DebugOffsets in pycore_debug_offsets.h */
	.rt_interp_head = 936,		/* interpreters.head */
	.rt_gil = OFF_NONE,

	/* 3.15 Include/internal/pycore_gil.h: struct _gil_runtime_state */
	.gil_kind = PY_GIL_INTERP,
	.gil_interval = 0,
	.gil_last_holder = 8,
	.gil_locked = 16,
	.gil_switch_number = 24,
	.gil_cond = 32,
	.gil_mutex = 80,
	.gil_switch_cond = 120,
	.gil_end = 208,

	/* 3.15 Include/internal/pycore_interp_structs.h: struct _is */
	.is_next = 7264,
	.is_tstate_head = 7336,		/* threads.head */
	.is_id = 7272,
	.is_ceval_gil = 16,		/* ceval.gil */

	/* 3.15 Include/cpython/pystate.h: struct _ts; `int holds_gil` and
	 * `int gil_requested` follow _status, both with debug offsets.
	 * base_frame ends every complete stack walk. */
	.ts_next = 8,
	.ts_interp = 16,
	.ts_frame = 72,			/* current_frame */
	.cframe_current = OFF_NONE,
	.ts_thread_id = 176,
	.ts_native_thread_id = 184,
	.ts_status = 32,
	.ts_holds_gil_bit = -1,
	.ts_holds_gil = 36,
	.ts_gil_requested = 40,
	.ts_base_frame = 80,
	.ts_size = 192,
	.tflag_kind = PY_TFLAG_INT,

	/* 3.15 Include/internal/pycore_interpframe_structs.h:
	 * _PyInterpreterFrame, enum _frameowner (THREAD 0, GENERATOR 1,
	 * FRAME_OBJECT 2, INTERPRETER 3; CSTACK is gone).  f_executable is
	 * still a _PyStackRef (Py_TAG_BITS 3). */
	.frame_kind = PY_FRAME_DIRECT,
	.fr_back = 8,			/* previous */
	.fr_code = 0,			/* f_executable */
	.fr_lasti = 56,			/* instr_ptr */
	.fr_owner = 74,
	.fr_is_entry = OFF_NONE,
	.fr_size = 88,
	.lasti_kind = PY_LASTI_PTR,
	.skip_kind = PY_SKIP_OWNER_EQ,
	.skip_owner = 3,
	.code_ptr_mask = ~3ull,

	/* 3.15 Include/cpython/code.h: PyCodeObject */
	.co_filename = 112,
	.co_name = 120,
	.co_qualname = 128,
	.co_firstlineno = 68,
	.co_linetable = 136,
	.co_code_adaptive = 208,
	.co_size = 216,
	.lines_kind = PY_LINES_LOCATIONS,

	/* 3.15 Include/object.h, Include/cpython/object.h,
	 * Include/cpython/unicodeobject.h, Include/cpython/bytesobject.h */
	.ob_type = 8,
	.tp_name = 24,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 40,
	.unicode_compact_size = 56,
	.bytes_size = 16,
	.bytes_sval = 32,

	/* Thread names (names.c).  3.15 Include/internal/pycore_interp.h:
	 * PyInterpreterState.imports.modules */
	.is_modules = 7592,
	/* 3.15 Objects/moduleobject.c: PyModuleObject */
	.mod_dict = 16,
	/* 3.15 PyDictObject {ob_base, ma_used, _ma_watcher_tag, ma_keys,
	 * ma_values} */
	.dict_keys = 32,
	.dict_values = 40,
	/* 3.15 Include/internal/pycore_dict.h: PyDictKeysObject {dk_refcnt,
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
	/* 3.15 Include/cpython/longintrepr.h: PyLongObject, long_value.lv_tag */
	.long_kind = PY_LONG_LV_TAG,
	.long_size = 16,
	.long_digits = 24,
	/* 3.15 Include/cpython/object.h: PyTypeObject, PyHeapTypeObject */
	.tp_flags = 168,
	.tp_basicsize = 32,
	.tp_dictoffset = 288,
	.ht_cached_keys = 888,
	/* 3.15 Include/internal/pycore_object.h: Py_TPFLAGS_INLINE_VALUES
	 * puts struct _dictvalues at obj + tp_basicsize;
	 * MANAGED_DICT_OFFSET is -3 words (default builds) */
	.attr_kind = PY_ATTR_INLINE,
	.attr_values = OFF_NONE,
	.attr_dict = -24,
};
