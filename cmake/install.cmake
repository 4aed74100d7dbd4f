# What `cmake --install build --prefix PREFIX` puts where:
#   bin/ntkgram                          the program
#   lib/libntkcore.a                     every stage of the data flow as a library
#   include/ntkgram/<module>/*.h         its headers, laid out as in src/
#   lib/pkgconfig/ntkgram.pc             compile and link flags for the library
#   share/ntkgram/jobs/*.yaml            the example jobs
# The library is static: a program that links it also needs MPI, ScaLAPACK,
# BLAS, libyaml and libcjson, which ntkgram.pc names. Build such a program
# with mpicc: `mpicc prog.c $(pkg-config --cflags --libs ntkgram)`.

set(NTK_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/ntkgram)

install(TARGETS ntkgram RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ntkcore ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY src/ DESTINATION ${NTK_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/generated/version.h
        DESTINATION ${NTK_INSTALL_INCLUDEDIR})
install(DIRECTORY jobs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ntkgram/jobs
        FILES_MATCHING PATTERN "*.yaml")

# ntkgram.pc finds the prefix from its own folder, so it stays right for
# whatever --prefix the install is given.
set(NTK_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH NTK_PKGCONFIG_TO_PREFIX /${NTK_PKGCONFIG_DIR} /)
string(REGEX REPLACE "/$" "" NTK_PKGCONFIG_TO_PREFIX "${NTK_PKGCONFIG_TO_PREFIX}")
configure_file(cmake/ntkgram.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ntkgram.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ntkgram.pc DESTINATION ${NTK_PKGCONFIG_DIR})
