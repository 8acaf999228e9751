# One place for the warning flags every target of ours gets (not third-party headers).
add_library(periscope_warnings INTERFACE)
target_compile_options(periscope_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough)
if(PERISCOPE_WERROR)
  target_compile_options(periscope_warnings INTERFACE -Werror)
endif()
