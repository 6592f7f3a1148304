#!/bin/sh
# tsan_options.sh VMTORTURE 'NAME=VALUE ...' - TAP (TSan builds): the
# binary runs with the project's TSan options (vt_tsan_options in
# meson.build) compiled in: with nothing but help=1 in TSAN_OPTIONS, TSan's
# list of flags shows each of them at its value.  This fails if
# stress/tsan_options.o is not linked in (the engine's anchor) or does not
# carry the string meson defines.
V=${1:?usage: tsan_options.sh PATH-TO-VMTORTURE OPTIONS}
OPTS=${2:?options}
T=$(mktemp -d "${TMPDIR:-/tmp}/tsan_options.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
TSAN_OPTIONS=help=1 "$V" list --names >/dev/null 2>"$T/help"
rc=$?
set -- $OPTS
echo "1..$(($# + 1))"
if [ $rc -eq 0 ] && grep -q 'Available flags for ThreadSanitizer' "$T/help"; then
	echo "ok 1 - TSan lists its flags (help=1)"
else
	echo "not ok 1 - no TSan flag list (exit $rc): is this a TSan build?"
fi
n=1
for o in "$@"; do
	n=$((n + 1))
	name=${o%%=*}
	want=${o#*=}
	case $want in 1) alt=true ;; 0) alt=false ;; *) alt=$want ;; esac
	# "\tNAME\n\t\t- description (Current Value: VALUE)"
	got=$(awk -v n="$name" '$1 == n { f = 1; next }
	    f { sub(/.*\(Current Value: /, ""); sub(/\)$/, ""); print; exit }' "$T/help")
	if [ "$got" = "$want" ] || [ "$got" = "$alt" ]; then
		echo "ok $n - $name=$want is in force ($got)"
	else
		echo "not ok $n - $name: wanted $want, TSan has ${got:-nothing}"
	fi
done
