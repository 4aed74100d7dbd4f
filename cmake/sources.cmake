# The library's source files, listed explicitly: each module folder under src/
# has a sources.cmake naming its .c files (paths relative to that folder), so
# a new file is one line in its module's list, and a new module is one line in
# NTK_MODULES below plus its own sources.cmake.
#
# Sets NTK_LIBRARY_SOURCES. Configuring fails, naming the file and the list to
# edit, when a .c file under src/ is in no list (it would otherwise be missing
# from the library and show up only as an undefined symbol at link time).

set(NTK_MODULES
    core format data job model kernel grid spectrum diagnostics plan predict train output
    checkpoint sweep pipeline cli api)

set(NTK_LIBRARY_SOURCES)
# ntk_module_sources(module file...): append src/<module>/<file> for each file.
macro(ntk_module_sources module)
  foreach(ntk_source_file ${ARGN})
    list(APPEND NTK_LIBRARY_SOURCES "${PROJECT_SOURCE_DIR}/src/${module}/${ntk_source_file}")
  endforeach()
endmacro()

foreach(module IN LISTS NTK_MODULES)
  include(${PROJECT_SOURCE_DIR}/src/${module}/sources.cmake)
endforeach()

# The command-line entry point is the program, not the library.
set(NTK_PROGRAM_SOURCES ${PROJECT_SOURCE_DIR}/src/cli/main.c)

# Every .c under src/ must be in a list (the glob is only this check; it does
# not decide what is built).
file(GLOB_RECURSE ntk_sources_on_disk CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*.c)
set(ntk_unlisted)
foreach(file IN LISTS ntk_sources_on_disk)
  if(NOT file IN_LIST NTK_LIBRARY_SOURCES AND NOT file IN_LIST NTK_PROGRAM_SOURCES)
    file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR}/src ${file})
    string(REGEX MATCH "^[^/]+" module "${relative}")
    list(APPEND ntk_unlisted "src/${relative} (add it to src/${module}/sources.cmake)")
  endif()
endforeach()
if(ntk_unlisted)
  list(JOIN ntk_unlisted "\n  " ntk_unlisted_lines)
  message(FATAL_ERROR "Source files in no list:\n  ${ntk_unlisted_lines}\n"
                      "A new module folder also needs its name in NTK_MODULES (cmake/sources.cmake).")
endif()
