# Build settings every stage shares. A stage's CMakeLists.txt includes this file, so
# `cmake -S v3-threaded -B out` works on its own: it brings in ../common by itself.
include_guard(GLOBAL)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()
if(NOT CMAKE_RUNTIME_OUTPUT_DIRECTORY)
    set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()

find_package(Threads REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)

# Standalone Asio is header-only and Debian ships no CMake config for it, so we make
# the imported target ourselves. ASIO_NO_DEPRECATED keeps the lessons on today's API.
if(NOT TARGET course::asio)
    find_path(COURSE_ASIO_INCLUDE_DIR asio.hpp REQUIRED)
    add_library(course_asio INTERFACE IMPORTED GLOBAL)
    target_include_directories(course_asio SYSTEM INTERFACE ${COURSE_ASIO_INCLUDE_DIR})
    # ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio 1.22 picks aligned_alloc or operator new by
    # what the standard headers included before it declare, so two files can disagree
    # and free() what the other new-ed; ASan rightly reports that. One choice for all.
    target_compile_definitions(course_asio INTERFACE
        ASIO_STANDALONE ASIO_NO_DEPRECATED ASIO_DISABLE_STD_ALIGNED_ALLOC)
    target_link_libraries(course_asio INTERFACE Threads::Threads)
    add_library(course::asio ALIAS course_asio)
endif()

# Warnings on, for every target of the course.
function(course_target target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
endfunction()

get_filename_component(COURSE_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
if(NOT TARGET course::common AND NOT CMAKE_CURRENT_SOURCE_DIR STREQUAL COURSE_COMMON_DIR)
    add_subdirectory(${COURSE_COMMON_DIR} ${CMAKE_BINARY_DIR}/common)
endif()
