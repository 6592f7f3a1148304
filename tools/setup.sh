#!/usr/bin/env bash
# Sourced by tools/run and tools/check: make sure the build dependencies are
# present (installing Debian packages when running as root), then configure
# a build directory.  Usage: vt_setup_deps; vt_configure DIR [meson args...]

# gcc: also its ASan/UBSan runtimes (libasan8, libubsan1, via libgcc-12-dev);
# libclang-rt-14-dev: clang's TSan, ASan, UBSan and libFuzzer; valgrind:
# tools/check's memcheck runs (and valgrind.h, which stress/fiber.c uses
# when present); parallel: GNU parallel, the engine tests/campaign.sh runs
# campaign shards on; gnuplot-nox: the plots of `vmtorture sweep`.
VT_DEB_PACKAGES="meson ninja-build pkg-config gcc binutils python3 libck-dev
liburcu-dev libbsd-dev libinih-dev libjson-c-dev libdw-dev clang-14 libclang-rt-14-dev
scdoc valgrind parallel gnuplot-nox"

vt_have_deps() {
	command -v meson >/dev/null 2>&1 && command -v ninja >/dev/null 2>&1 &&
	command -v clang-14 >/dev/null 2>&1 && command -v scdoc >/dev/null 2>&1 &&
	command -v python3 >/dev/null 2>&1 && command -v nm >/dev/null 2>&1 &&
	pkg-config --exists ck liburcu-memb liburcu-cds libbsd json-c inih libdw 2>/dev/null &&
	command -v valgrind >/dev/null 2>&1 && command -v parallel >/dev/null 2>&1 &&
	    command -v gnuplot >/dev/null 2>&1 &&
	[ -n "$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.tsan-x86_64.a 2>/dev/null)" ] &&
	[ -n "$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ]
}

vt_setup_deps() {
	if vt_have_deps; then
		return 0
	fi
	# shellcheck disable=SC2086
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "setup: installing build dependencies (Debian packages)" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null || true
		apt-get install -y -q $VT_DEB_PACKAGES >/dev/null || {
			echo "setup: apt-get install failed" >&2
			return 1
		}
	else
		echo "setup: missing build dependencies; run as root:" >&2
		echo "  apt-get install -y $(echo $VT_DEB_PACKAGES)" >&2
		return 1
	fi
	vt_have_deps || { echo "setup: dependencies still missing after install" >&2; return 1; }
}

# vt_configure DIR [extra meson setup args]: configure DIR if needed.
vt_configure() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		return 0
	fi
	meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
		cat "$dir.setup.log" >&2
		return 1
	}
	rm -f "$dir.setup.log"
}
