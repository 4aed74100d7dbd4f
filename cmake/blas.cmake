# The BLAS that does the work, chosen by CMake's standard BLA_VENDOR
# (FindBLAS): OpenBLAS by default; e.g. -DBLA_VENDOR=Intel10_64_dyn (MKL's
# single dynamic library, mkl_rt), Intel10_64lp (MKL, LP64, threaded),
# FLAME (BLIS), Generic (the reference libblas). It must provide the CBLAS
# interface (cblas.h). It comes before ScaLAPACK's own BLAS on the link line,
# so it is the one used.
#
# -DNTK_BLAS=openblas|mkl|blis|generic, the older spelling, still works: it
# sets BLA_VENDOR to OpenBLAS, Intel10_64_dyn, FLAME or Generic, unless
# BLA_VENDOR is given too.
#
# Sets BLAS::BLAS, NTK_BLAS_VENDOR (the vendor in use) and
# NTK_BLAS_PKGCONFIG_LIBS (the same libraries as -L/-l flags, for ntkgram.pc).

set(NTK_BLAS "" CACHE STRING "Older spelling of BLA_VENDOR: openblas, mkl, blis or generic")
if(NTK_BLAS)
  set(ntk_blas_vendor_openblas OpenBLAS)
  set(ntk_blas_vendor_mkl Intel10_64_dyn)
  set(ntk_blas_vendor_blis FLAME)
  set(ntk_blas_vendor_generic Generic)
  if(NOT DEFINED ntk_blas_vendor_${NTK_BLAS})
    message(FATAL_ERROR "NTK_BLAS=${NTK_BLAS}: expected openblas, mkl, blis or generic "
                        "(or set BLA_VENDOR instead)")
  endif()
endif()
# BLA_VENDOR wins when both are given (a build folder configured before may
# still hold NTK_BLAS in its cache).
if(BLA_VENDOR)
  if(NTK_BLAS AND NOT ntk_blas_vendor_${NTK_BLAS} STREQUAL BLA_VENDOR)
    message(WARNING "BLA_VENDOR=${BLA_VENDOR} and NTK_BLAS=${NTK_BLAS} disagree: using "
                    "BLA_VENDOR (-UNTK_BLAS clears the older setting)")
  endif()
elseif(NTK_BLAS)
  set(BLA_VENDOR ${ntk_blas_vendor_${NTK_BLAS}})
else()
  set(BLA_VENDOR OpenBLAS)
endif()
set(NTK_BLAS_VENDOR ${BLA_VENDOR})

find_package(BLAS)
if(NOT BLAS_FOUND)
  message(FATAL_ERROR "BLAS: BLA_VENDOR=${BLA_VENDOR} not found. Install it (OpenBLAS: "
                      "libopenblas-dev), point CMAKE_PREFIX_PATH at it, or pick another "
                      "BLA_VENDOR (OpenBLAS, Intel10_64_dyn, Intel10_64lp, FLAME, Generic).")
endif()
message(STATUS "BLAS (BLA_VENDOR=${BLA_VENDOR}): ${BLAS_LIBRARIES}")

# BLAS_LIBRARIES holds full paths (and sometimes flags such as -lpthread):
# ntkgram.pc names them as -l (with -L only outside the compiler's own
# library directories), so the file holds no path of this machine.
set(NTK_BLAS_PKGCONFIG_LIBS)
foreach(item IN LISTS BLAS_LIBRARIES BLAS_LINKER_FLAGS)
  if(item MATCHES "^/.*/(lib)?([^/]+)\\.(so|a|dylib)(\\.[0-9.]*)?$")
    get_filename_component(directory "${item}" DIRECTORY)
    if(NOT directory IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
      list(APPEND NTK_BLAS_PKGCONFIG_LIBS "-L${directory}")
    endif()
    list(APPEND NTK_BLAS_PKGCONFIG_LIBS "-l${CMAKE_MATCH_2}")
  elseif(item)
    list(APPEND NTK_BLAS_PKGCONFIG_LIBS "${item}")
  endif()
endforeach()
list(REMOVE_DUPLICATES NTK_BLAS_PKGCONFIG_LIBS)
list(JOIN NTK_BLAS_PKGCONFIG_LIBS " " NTK_BLAS_PKGCONFIG_LIBS)
