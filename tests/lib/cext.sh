# cext.sh - build tests/targets/gilspy_cext.c for an interpreter (sourced
# after common.sh), for the tests that want C frames of their own.
#
#   build_cext LABEL DIR   build gilspy_cext for LABEL's interpreter into
#       DIR (against its own headers); prints why not and fails when it
#       has none (the chroot installs no -dev packages) or cc failed
build_cext() {
	local l=$1 dir=$2 inc suffix
	# shellcheck disable=SC2046
	read -r inc suffix < <($(py_cmd "$l") -c 'import sysconfig
print(sysconfig.get_paths()["include"], sysconfig.get_config_var("EXT_SUFFIX") or ".so")')
	case $l in *-chroot) inc=$PYCHROOT$inc ;; esac
	if [ ! -e "$inc/Python.h" ]; then
		echo "no Python.h under $inc"
		return 1
	fi
	cc -shared -fPIC -O2 -I"$inc" "$TOP/tests/targets/gilspy_cext.c" \
		-o "$dir/gilspy_cext$suffix" 2>&1 | head -5
	[ -e "$dir/gilspy_cext$suffix" ]
}
