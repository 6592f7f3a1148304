#!/bin/sh
# ini.sh VMTORTURE SRCDIR - TAP: every shipped scenario file runs and
# passes (the command line overriding its duration), and malformed or
# unsuitable files are refused with exit 2 and one line naming file:line.
V=${1:?usage: ini.sh VMTORTURE SRCDIR}
S=${2:?usage: ini.sh VMTORTURE SRCDIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/vt_ini.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
files=$(ls "$S"/scenarios/*.ini)
nfiles=$(echo "$files" | wc -l)
echo "1..$((nfiles + 9))"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
for f in $files; do
	name=$(sed -n 's/^scenario *= *//p' "$f")
	if "$V" run -f "$f" --duration 1 -q >"$T/out" 2>&1 &&
	    grep -q '^RESULT: PASS' "$T/out" &&
	    grep -q "^vmtorture run $name .*--duration 1 " "$T/out"; then
		ok "$(basename "$f") runs scenario $name and passes (--duration 1 overrides the file)"
	else
		nok "$(basename "$f")"; sed 's/^/# /' "$T/out"
	fi
done
# expect_2 DESCRIPTION PATTERN ARGS...: exit 2, one line matching PATTERN.
expect_2() {
	d=$1; pat=$2; shift 2
	"$V" run "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -q -- "$pat" "$T/err" && [ ! -s "$T/out" ]; then
		ok "$d: exit 2, $(cat "$T/err")"
	else
		nok "$d: exit $rc"; sed 's/^/# /' "$T/err"
	fi
}
printf '[global]\nscenario = map-unmap\npages = 12x\n' >"$T/badval.ini"
expect_2 "a bad value names file:line" "badval.ini:3: --pages 12x" -f "$T/badval.ini"
printf '[global]\nscenario = map-unmap\n\n[mapper]\ncount = many\n' >"$T/badrole.ini"
expect_2 "a bad role count names file:line" "badrole.ini:5: --mapper" -f "$T/badrole.ini"
printf '[global]\nscenario = map-unmap\nno equals sign here\n' >"$T/syntax.ini"
expect_2 "a syntax error names file:line" "syntax.ini:3: syntax error" -f "$T/syntax.ini"
printf '[global]\nscenario = map-unmap\nbogus_option = 1\n' >"$T/unknown.ini"
expect_2 "an unknown option names file:line" "unknown.ini:3: unknown option" -f "$T/unknown.ini"
printf '[global]\nscenario = no-such\n' >"$T/nosc.ini"
expect_2 "an unknown scenario in the file" "unknown scenario" -f "$T/nosc.ini"
printf '[global]\nseed = 2\n' >"$T/nosc2.ini"
expect_2 "a file without scenario and none given" "names no scenario" -f "$T/nosc2.ini"
expect_2 "a directory" "not a regular file" map-unmap -f "$T"
expect_2 "a device" "not a regular file" map-unmap -f /dev/zero
printf 'abc\001def\n' >"$T/binary.ini"
expect_2 "a binary file" "not a text file" map-unmap -f "$T/binary.ini"
