# What `cmake --install build --prefix PREFIX` puts where:
#   bin/ntkgram                               the program
#   lib/libntkgram.so*                        the library (public interface only)
#   include/ntkgram/ntkgram.h, ntk_version.h  its public headers
#   lib/cmake/ntkgram/                        find_package(ntkgram): ntkgram::ntkgram
#   lib/pkgconfig/ntkgram.pc                  pkg-config --cflags --libs ntkgram
#   share/ntkgram/jobs/*.yaml                 the example jobs
#   share/ntkgram/examples/                   a program that uses the library
# The library is shared: it exports the ntk_ functions of the public header
# and nothing else (the modules under src/ are compiled with hidden
# visibility), and records its own dependencies (ScaLAPACK, BLAS, libyaml,
# libcjson, ELPA, PARPACK), so a program links only it and MPI. The private
# headers under src/ are not installed.

include(CMakePackageConfigHelpers)

set(NTK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ntkgram)

install(TARGETS ntkgram RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ntkgram_library EXPORT ntkgramTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/ntkgram/ntkgram.h
              ${CMAKE_CURRENT_BINARY_DIR}/include/ntkgram/ntk_version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ntkgram)
install(DIRECTORY jobs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ntkgram/jobs
        FILES_MATCHING PATTERN "*.yaml")
install(FILES examples/CMakeLists.txt examples/theta_checksum.c examples/mlp.yaml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ntkgram/examples)

# The CMake package: ntkgramConfig.cmake finds MPI (the public header
# includes <mpi.h>) and loads the exported target.
install(EXPORT ntkgramTargets NAMESPACE ntkgram:: FILE ntkgramTargets.cmake
        DESTINATION ${NTK_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/ntkgramConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/ntkgramConfig.cmake
                              INSTALL_DESTINATION ${NTK_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the interface.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ntkgramConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ntkgramConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ntkgramConfigVersion.cmake
        DESTINATION ${NTK_INSTALL_CMAKEDIR})

# ntkgram.pc finds the prefix from its own folder, so it stays right for
# whatever --prefix the install is given. Requires: MPI (the public header
# includes <mpi.h>); Requires.private and Libs.private: what a static link
# would need (pkg-config --static), by pkg-config name where there is one.
set(NTK_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH NTK_PKGCONFIG_TO_PREFIX /${NTK_PKGCONFIG_DIR} /)
string(REGEX REPLACE "/$" "" NTK_PKGCONFIG_TO_PREFIX "${NTK_PKGCONFIG_TO_PREFIX}")
set(NTK_MPI_PKG "ompi-c" CACHE STRING "pkg-config name of the MPI C library, for ntkgram.pc")
set(NTK_PKGCONFIG_REQUIRES_PRIVATE "${NTK_SCALAPACK_PKG} yaml-0.1 libcjson")
set(NTK_PKGCONFIG_LIBS_PRIVATE "${NTK_BLAS_PKGCONFIG_LIBS}")
if(ELPA_FOUND)
  string(APPEND NTK_PKGCONFIG_REQUIRES_PRIVATE " elpa")
endif()
if(PARPACK_FOUND)
  string(APPEND NTK_PKGCONFIG_REQUIRES_PRIVATE " parpack")
elseif(NTK_PARPACK_LIBRARY)
  string(APPEND NTK_PKGCONFIG_LIBS_PRIVATE " -lparpack")
endif()
string(APPEND NTK_PKGCONFIG_LIBS_PRIVATE " -lm")
configure_file(cmake/ntkgram.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ntkgram.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ntkgram.pc DESTINATION ${NTK_PKGCONFIG_DIR})
