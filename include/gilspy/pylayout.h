/*
 * pylayout.h - where CPython keeps what gilspy reads, one table per minor.
 *
 * Every difference between CPython versions that the walkers care about is a
 * field of struct py_layout: an offset, or a "kind" enum that selects one of
 * a few behaviours.  Walkers never test the version number.
 *
 *  - 3.6 .. 3.12: a const table per minor in src/python/layout_3NN.c, offsets
 *    measured with gdb `ptype /o` on real x86-64 builds (release builds;
 *    CPython's debug builds of these versions are not supported), and
 *    compared with offsetof() on each interpreter's own headers wherever
 *    they are installed (tests/unit/t0010-layout-probes.sh).
 *  - 3.13+: a template table per minor (for the kinds and the fields that
 *    have no debug offset), whose offsets are then overwritten from the
 *    target's own _Py_DebugOffsets (src/python/debugoffsets.c), so new
 *    patch releases and debug builds (python3.14d) work without new tables.
 *
 * All offsets are in bytes.  OFF_NONE marks a field the version lacks.
 */
#ifndef GILSPY_PYLAYOUT_H
#define GILSPY_PYLAYOUT_H

#include <stdint.h>

#define OFF_NONE (-1)

/* How the interpreter list and the GIL are found. */
enum py_gil_kind {
	PY_GIL_STATIC,	/* 3.6: static globals gil_locked, gil_last_holder, ... */
	PY_GIL_RUNTIME,	/* 3.7-3.11: struct _gil_runtime_state inside _PyRuntime */
	PY_GIL_INTERP,	/* 3.12+: *(interp + is_ceval_gil) points to the GIL */
};

/* How a thread's current Python frame is reached and walked. */
enum py_frame_kind {
	PY_FRAME_OBJECT,	/* <=3.10: tstate->frame, PyFrameObject.f_back */
	PY_FRAME_CFRAME,	/* 3.11/3.12: tstate->cframe->current_frame,
				   _PyInterpreterFrame.previous */
	PY_FRAME_DIRECT,	/* 3.13+: tstate->current_frame */
};

/* How the instruction index of a frame is stored. */
enum py_lasti_kind {
	PY_LASTI_BYTES,		/* <=3.9: f_lasti, a byte offset */
	PY_LASTI_UNITS,		/* 3.10: f_lasti, in 2-byte code units */
	PY_LASTI_PTR,		/* 3.11+: prev_instr / instr_ptr into
				   co_code_adaptive */
};

/* Line-table format of code objects. */
enum py_lines_kind {
	PY_LINES_LNOTAB,	/* <=3.9 co_lnotab */
	PY_LINES_LINETABLE,	/* 3.10 co_linetable (PEP 626) */
	PY_LINES_LOCATIONS,	/* 3.11+ location table */
};

/* Which frames to skip (not Python code). */
enum py_skip_kind {
	PY_SKIP_NONE,		/* <=3.11 */
	PY_SKIP_OWNER_EQ,	/* skip frames whose owner == skip_owner */
	PY_SKIP_OWNER_GE,	/* skip frames whose owner >= skip_owner (3.14) */
};

/* How a thread that holds the GIL or waits for it can be told apart,
 * beyond the GIL's own locked/last_holder. */
enum py_tflag_kind {
	PY_TFLAG_NONE,		/* <=3.12 */
	PY_TFLAG_STATUS_BIT,	/* 3.13: ts_status bit ts_holds_gil_bit */
	PY_TFLAG_INT,		/* 3.14+: int at ts_holds_gil (and ts_gil_requested) */
};

/* How a PyDictKeysObject says its size (names.c). */
enum py_dict_kind {
	PY_DICT_SIZE,		/* <=3.10: Py_ssize_t dk_size, entries of
				   {hash, key, value} after dk_size indices */
	PY_DICT_LOG2,		/* 3.11+: uint8 dk_log2_size,
				   dk_log2_index_bytes, dk_kind; unicode-only
				   tables keep {key, value} entries */
};

/* How an int's digit count and sign are stored (names.c). */
enum py_long_kind {
	PY_LONG_OB_SIZE,	/* <=3.11: PyVarObject ob_size, signed count */
	PY_LONG_LV_TAG,		/* 3.12+: lv_tag = ndigits << 3 | sign */
};

/* Where an instance keeps its attributes (names.c). */
enum py_attr_kind {
	PY_ATTR_DICTOFFSET,	/* <=3.10: a dict at obj + tp_dictoffset */
	PY_ATTR_VALUES_PTR,	/* 3.11: values pointer at obj + attr_values,
				   else the dict at obj + attr_dict */
	PY_ATTR_TAGGED,		/* 3.12: PyDictOrValues at obj + attr_dict,
				   values (tagged: pointer - 1, odd) or dict */
	PY_ATTR_INLINE,		/* 3.13+: PyDictValues inline at
				   obj + tp_basicsize while `valid`, else the
				   dict at obj + attr_dict */
};

struct py_layout {
	int major, minor;
	const char *name;		/* "3.12" */

	/* _PyRuntime (unused on 3.6, which has no runtime struct) */
	int64_t rt_interp_head;		/* _PyRuntime.interpreters.head */
	int64_t rt_gil;			/* _PyRuntime.ceval.gil (PY_GIL_RUNTIME) */

	enum py_gil_kind gil_kind;
	/* struct _gil_runtime_state, relative to its start */
	int64_t gil_interval, gil_last_holder, gil_locked, gil_switch_number;
	int64_t gil_cond, gil_mutex, gil_switch_cond, gil_end;

	/* PyInterpreterState */
	int64_t is_next, is_tstate_head, is_id;
	int64_t is_ceval_gil;		/* PY_GIL_INTERP: pointer to the GIL */

	/* PyThreadState */
	int64_t ts_next, ts_interp;
	int64_t ts_frame;		/* frame / cframe / current_frame */
	int64_t cframe_current;		/* _PyCFrame.current_frame (CFRAME) */
	int64_t ts_thread_id;		/* pthread_t */
	int64_t ts_native_thread_id;	/* 3.11+, else OFF_NONE */
	int64_t ts_status;		/* 3.13 bitfield */
	int ts_holds_gil_bit;
	int64_t ts_holds_gil;		/* 3.14+ int */
	int64_t ts_gil_requested;	/* 3.15+ int */
	int64_t ts_base_frame;		/* 3.15 */
	int64_t ts_size;		/* bytes to read from a tstate */
	enum py_tflag_kind tflag_kind;

	/* frames */
	enum py_frame_kind frame_kind;
	int64_t fr_back, fr_code, fr_lasti, fr_owner, fr_is_entry;
	int64_t fr_size;		/* bytes to read from a frame */
	enum py_lasti_kind lasti_kind;
	enum py_skip_kind skip_kind;
	int skip_owner;
	uint64_t code_ptr_mask;		/* ~3 for 3.14 _PyStackRef, else ~0 */

	/* code objects */
	int64_t co_filename, co_name, co_qualname, co_firstlineno;
	int64_t co_linetable, co_code_adaptive;
	int64_t co_size;		/* bytes to read from a code object */
	enum py_lines_kind lines_kind;

	/* objects */
	int64_t ob_type;
	int64_t tp_name;
	int64_t unicode_state;		/* PyASCIIObject.state */
	int64_t unicode_length;
	int64_t unicode_ascii_size;	/* sizeof(PyASCIIObject) */
	int64_t unicode_compact_size;	/* sizeof(PyCompactUnicodeObject) */
	int64_t bytes_size, bytes_sval;	/* PyBytesObject ob_size, ob_sval */

	/*
	 * Python thread names (src/python/names.c): interp -> sys.modules ->
	 * threading -> _active[ident] -> Thread._name.  Measured with gdb
	 * `ptype /o` on the builds named in each layout file; 3.13+ take
	 * is_modules, dict_*, long_*, tp_flags (and 3.15 tp_basicsize,
	 * tp_dictoffset, ht_cached_keys) from _Py_DebugOffsets.
	 */
	int64_t is_modules;		/* PyInterpreterState: modules (<=3.11),
					   imports.modules (3.12+) */
	int64_t mod_dict;		/* PyModuleObject.md_dict */
	int64_t dict_keys, dict_values;	/* PyDictObject.ma_keys, ma_values */
	enum py_dict_kind dict_kind;
	int64_t dk_size;		/* dk_size, or dk_log2_size (uint8) */
	int64_t dk_log2_index_bytes;	/* PY_DICT_LOG2 (uint8), else OFF_NONE */
	int64_t dk_kind;		/* PY_DICT_LOG2 (uint8), else OFF_NONE */
	int64_t dk_nentries;
	int64_t dk_indices;		/* start of the index table */
	int64_t dv_values;		/* values[] in ma_values: 0, or 8 in
					   3.13+ (struct _dictvalues) */
	int64_t dv_valid;		/* 3.13+ _dictvalues.valid, else OFF_NONE */
	enum py_long_kind long_kind;
	int64_t long_size;		/* ob_size or lv_tag */
	int64_t long_digits;		/* ob_digit (30-bit digits in uint32) */
	int64_t tp_flags, tp_basicsize, tp_dictoffset;
	int64_t ht_cached_keys;		/* PyHeapTypeObject: shared instance keys */
	enum py_attr_kind attr_kind;
	int64_t attr_values;		/* 3.11: obj-relative values pointer */
	int64_t attr_dict;		/* 3.11+: obj-relative managed dict */
};

/* The static tables; NULL-terminated.  3.13+ entries are templates. */
extern const struct py_layout *const py_layouts[];

/* The table for major.minor, or NULL if unsupported. */
const struct py_layout *py_layout_for(int major, int minor);

#endif
