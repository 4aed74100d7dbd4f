# Build options for the reliability machinery (README, "Fuzzing and sanitizers"):
#   NTK_SANITIZE  everything (library, binary, tests) with AddressSanitizer and
#                 UndefinedBehaviorSanitizer; any UB report aborts, so it fails a test.
#   NTK_FUZZ      the libFuzzer harnesses in fuzz/, which needs clang; the library is
#                 built with coverage instrumentation (fuzzer-no-link) and both sanitizers.
# Included before any target is defined, so the flags reach every target.
option(NTK_SANITIZE "Build with -fsanitize=address,undefined" OFF)
option(NTK_FUZZ "Build the libFuzzer harnesses in fuzz/ (needs clang: CC=clang-14)" OFF)

set(NTK_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

if(NTK_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR
      "NTK_FUZZ=ON needs clang for libFuzzer, but the C compiler is ${CMAKE_C_COMPILER_ID} "
      "(${CMAKE_C_COMPILER}). Configure a fresh build directory with CC=clang-14 "
      "(scripts/fuzz does this in build-fuzz/).")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link ${NTK_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
elseif(NTK_SANITIZE)
  add_compile_options(${NTK_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
