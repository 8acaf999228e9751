# ASan + UBSan for the whole build (preset "asan"); libFuzzer instrumentation for fuzz targets.
if(PERISCOPE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(PERISCOPE_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "PERISCOPE_FUZZ needs clang (use the 'fuzz' preset)")
endif()
