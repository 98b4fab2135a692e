# w2s_library.cmake — libw2s, the public C library (include/w2s/, runtime/api/), and its install:
# libw2s.so (SONAME libw2s.so.MAJOR.MINOR, only w2s_* symbols exported), libw2s.a, the headers,
# w2sConfig.cmake (target w2s::w2s), w2s.pc and the Python package (python/w2s, ctypes).
# Included by the top-level CMakeLists.txt after the layers and the CLI. The one thing to know:
# every layer is compiled position-independent with hidden visibility, and only the functions
# marked W2S_API in w2s.h are visible, so internal w2s_* helpers (w2s_error_set...) stay hidden.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(w2s_layers w2s_base w2s_simd w2s_quant w2s_models w2s_dist w2s_sched w2s_data w2s_train w2s_report
    w2s_profile w2s_protocol w2s_demo w2s_tune)
set_target_properties(${w2s_layers} PROPERTIES POSITION_INDEPENDENT_CODE ON
                      C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)

# The api room (w2s_api, a room of CMakeLists.txt) is what the CLI links; the libraries build
# its sources again, with the public functions exported.
file(GLOB w2s_api_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/runtime/api/*.c)
set_target_properties(w2s_api PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)

set(w2s_soversion ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
add_library(w2s_shared SHARED ${w2s_api_srcs})
target_include_directories(w2s_shared PRIVATE ${CMAKE_SOURCE_DIR}/runtime/api
                           PUBLIC $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
                                  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_options(w2s_shared PRIVATE ${W2S_WARNINGS})
target_link_libraries(w2s_shared PRIVATE w2s_runtime)
# --exclude-libs: nothing from a static archive is re-exported; --no-undefined: the library
# names every library it needs, so a consumer links with -lw2s alone.
target_link_options(w2s_shared PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)
set_target_properties(w2s_shared PROPERTIES OUTPUT_NAME w2s VERSION ${PROJECT_VERSION} SOVERSION ${w2s_soversion}
                      C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden EXPORT_NAME w2s)

# libw2s.a: the api room and every layer's objects in one archive (link it with
# `pkg-config --static --libs w2s`, which lists the system libraries it needs).
set(w2s_static_objs "")
foreach(l ${w2s_layers})
  list(APPEND w2s_static_objs $<TARGET_OBJECTS:${l}>)
endforeach()
add_library(w2s_static STATIC ${w2s_api_srcs} ${w2s_static_objs})
# w2s_runtime only for the rooms' include paths: the archive holds their objects already.
target_include_directories(w2s_static PRIVATE ${CMAKE_SOURCE_DIR}/runtime/api ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(w2s_static PRIVATE w2s_runtime)
target_compile_options(w2s_static PRIVATE ${W2S_WARNINGS})
target_link_libraries(w2s_static PRIVATE OpenMP::OpenMP_C PkgConfig::HWLOC PkgConfig::JANSSON PkgConfig::PCRE2
                      PkgConfig::ZLIB DNNL::dnnl MPI::MPI_C)
set_target_properties(w2s_static PROPERTIES OUTPUT_NAME w2s POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)

# ---- install
set(W2S_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/w2s CACHE STRING "where w2sConfig.cmake goes")
# Debian's python3 searches PREFIX/lib/python3.X/dist-packages for /usr/local (and /usr).
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_FOUND)
  set(w2s_pydir lib/python${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}/dist-packages)
else()
  set(w2s_pydir lib/python3/dist-packages)
endif()
set(W2S_INSTALL_PYTHONDIR ${w2s_pydir} CACHE STRING "where the w2s Python package goes (relative to the prefix)")
install(TARGETS w2s RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS w2s_shared EXPORT w2sTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS w2s_static ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/w2s DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT w2sTargets NAMESPACE w2s:: FILE w2sTargets.cmake DESTINATION ${W2S_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/w2sConfig.cmake.in ${CMAKE_BINARY_DIR}/w2sConfig.cmake
                              INSTALL_DESTINATION ${W2S_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/w2sConfigVersion.cmake VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/w2sConfig.cmake ${CMAKE_BINARY_DIR}/w2sConfigVersion.cmake
        DESTINATION ${W2S_INSTALL_CMAKEDIR})
# Relocatable: the prefix is found from the .pc file's own place, so `cmake --install --prefix`
# anywhere gives a working file.
file(RELATIVE_PATH w2s_pc_to_prefix /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${CMAKE_SOURCE_DIR}/cmake/w2s.pc.in ${CMAKE_BINARY_DIR}/w2s.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/w2s.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/python/w2s DESTINATION ${W2S_INSTALL_PYTHONDIR}
        PATTERN __pycache__ EXCLUDE)
