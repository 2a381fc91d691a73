# Sanitizer builds and the run-time options the tests give them.
#
#   VMHI_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer (with
#                     LeakSanitizer)
#   VMHI_TSAN=ON      ThreadSanitizer (alone: it cannot share a process
#                     with ASan)
#
# Sets VMHI_SANITIZER_CFLAGS and VMHI_SANITIZER_TEST_ENV (below).

# VMHI_SANITIZER_CFLAGS: what a program built against this libvmhi outside
# the build (tests/install, tests/porting) needs to load it.
set(VMHI_SANITIZER_CFLAGS "")
if(VMHI_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  set(VMHI_SANITIZER_CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer)
endif()
if(VMHI_TSAN)
  # TSan cannot share a process with ASan, and libFuzzer builds use ASan.
  if(VMHI_SANITIZE OR VMHI_FUZZ)
    message(FATAL_ERROR "VMHI_TSAN cannot be combined with VMHI_SANITIZE or VMHI_FUZZ")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  set(VMHI_SANITIZER_CFLAGS -fsanitize=thread -fno-omit-frame-pointer)
endif()

# Sanitizer run-time options for the tests: every test that runs a program
# of this build puts ${VMHI_SANITIZER_TEST_ENV} in its ENVIRONMENT.
#  - detect_leaks=1: LeakSanitizer in every process, the CLI and children
#    included (ASan's default on x86-64 Linux only).
#  - exitcode=23: a finding must not exit 1, which the CLI (a backend error)
#    and vmhi-conformance (not certified) return as results: a test that
#    expects that status would take a leak for it.
#  - VMHI_SANITIZER_LOG_DIR (scripts/test.sh sets it): ASan, LeakSanitizer
#    and TSan reports go to files there instead of stderr, so that a
#    report from a program whose output or status a test discards still
#    shows; CI fails when the directory is not empty after ctest.  (UBSan,
#    halting on the first error, still writes to stderr: in the ASan
#    runtime it ignores log_path.)
#  - intercept_tls_get_addr=0: works around a bug of gcc 12's sanitizer
#    runtime.  Its __tls_get_addr interceptor takes a dynamic TLS block
#    that starts 16 bytes past a page boundary for one with the header of
#    glibc 2.19-2.24, and records the two words before it as the block's
#    start and size.  Later glibc has no such header, so a heap-allocated
#    block can land there by chance, and LeakSanitizer dies at exit
#    scanning the bogus range ("Tracer caught signal 11", exit 23).  Seen
#    in porting.skeleton-cmake, where vmhi-conformance loads every
#    installed module: libgnutls (under the ESX module's libcurl) reads
#    its TLS in its destructor; with verbosity=2, "__tls_get_addr: glibc
#    >=2.19 suspected; tls={0x16c 0x1000001102}" for a block at
#    0x602000020010.  Without the interceptor LeakSanitizer still sees
#    what dynamic TLS holds (through glibc's DTV): checked that a heap
#    block held only by a dlopen()ed module's __thread pointer is not
#    reported, and a real leak still is.
#  - TSan: the suppressions of tests/tsan.supp (races proven to be a
#    dependency's, each with its evidence).
set(VMHI_SANITIZER_LOG_DIR "" CACHE PATH
    "Write sanitizer reports of the tests to files in this directory (empty: stderr)")
set(_vmhi_asan "detect_leaks=1:abort_on_error=0:exitcode=23:intercept_tls_get_addr=0")
set(_vmhi_tsan "suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp:second_deadlock_stack=1")
if(VMHI_SANITIZER_LOG_DIR)
  file(MAKE_DIRECTORY "${VMHI_SANITIZER_LOG_DIR}")
  string(APPEND _vmhi_asan ":log_path=${VMHI_SANITIZER_LOG_DIR}/asan")
  string(APPEND _vmhi_tsan ":log_path=${VMHI_SANITIZER_LOG_DIR}/tsan")
endif()
set(VMHI_SANITIZER_TEST_ENV
  "ASAN_OPTIONS=${_vmhi_asan}"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=23"
  "TSAN_OPTIONS=${_vmhi_tsan}")
