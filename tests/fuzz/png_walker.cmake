# fuzz-png-walker: the v6-upload PNG walker, fed arbitrary bytes in arbitrary slices.
if(EXISTS ${PROJECT_SOURCE_DIR}/v6-upload/png_walker.cpp)
    find_package(ZLIB REQUIRED)
    course_fuzz_target(png-walker
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_png_walker.cpp ${PROJECT_SOURCE_DIR}/v6-upload/png_walker.cpp
        INCLUDES ${PROJECT_SOURCE_DIR}/v6-upload
        LIBS ZLIB::ZLIB)
endif()
